"""Every library internal the API relies on, listed here and reached through this module only.

None of these is a library's documented API, so pyproject.toml pins strawberry-graphql,
strawberry-graphql-django, graphql-core, Django and prometheus-client to the versions tested,
and tests/graphql_api/test_library_internals.py checks each one against what is installed: an
upgrade that moves or reshapes one fails there, by name, not in a request. Three kinds:

- `INTERNALS`: names imported from where the libraries keep them (modules not documented);
- `METHODS`: methods the code overrides, replaces or calls that the libraries do not document,
  with their parameters as installed;
- `ATTRIBUTES`: attributes read or written that the libraries do not document (most of them
  named with an underscore), each through a function here, so that no other module of the API
  names one (a test reads every module for `._name`, `_name=` and "_name").

The domain's own (Django's permission cache, psycopg's C loader, the database backend's health
check) are in learningplatform/library_internals.py, which the domain can import.
.ci/newest-libraries runs the guard tests and the read path's tests against the newest releases.
"""

import contextlib

from django.http import HttpResponse
from django.middleware.csrf import CsrfViewMiddleware
from graphql.execution.collect_fields import FieldDetails, collect_subfields
from graphql.execution.values import get_argument_values
from graphql.pyutils import Path
from strawberry.annotation import StrawberryAnnotation
from strawberry.extensions.max_aliases import create_validator as aliases_rule
from strawberry.extensions.query_depth_limiter import create_validator as depth_rule
from strawberry.relay.types import PREFIX
from strawberry.schema.exceptions import InvalidOperationTypeError
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext, validate_document
from strawberry.schema.schema_converter import get_arguments
from strawberry.schema.types.base_scalars import DateTimeDefinition, DecimalDefinition
from strawberry.types.arguments import StrawberryArgument
from strawberry.types.base import StrawberryObjectDefinition
from strawberry.types.enum import has_enum_definition
from strawberry.types.graphql import OperationType
from strawberry.types.info import Info
from strawberry.utils.str_converters import to_camel_case
from strawberry_django.fields.field import (
    StrawberryDjangoConnectionExtension,
    StrawberryDjangoField,
)
from strawberry_django.optimizer import DjangoOptimizerExtension, optimizer
from strawberry_django.queryset import get_queryset_config, run_type_get_queryset
from strawberry_django.relay.utils import resolve_edge_class

# Each internal and the module it comes from, "module:name" if imported under another name (the
# test imports it from there).
INTERNALS = {
    "FieldDetails": "graphql.execution.collect_fields",
    "collect_subfields": "graphql.execution.collect_fields",  # CollectFields per response key
    "get_argument_values": "graphql.execution.values",  # coerce one field's arguments
    "Path": "graphql.pyutils",  # the response path of an error
    "PREFIX": "strawberry.relay.types",  # the cursor prefix
    "StrawberryGraphQLCoreExecutionContext": "strawberry.schema.schema",  # extended here
    "validate_document": "strawberry.schema.schema",  # validation with Strawberry's own rules
    # What Strawberry's view raises for a mutation over GET (graphql_api/views.py makes it a 405).
    "InvalidOperationTypeError": "strawberry.schema.exceptions",
    "get_arguments": "strawberry.schema.schema_converter",  # arguments as a resolver gets them
    "StrawberryDjangoConnectionExtension": "strawberry_django.fields.field",
    "StrawberryDjangoField": "strawberry_django.fields.field",
    "DjangoOptimizerExtension": "strawberry_django.optimizer",  # off while the path plans
    "optimizer": "strawberry_django.optimizer",  # the request's optimizer, for root lists
    "get_queryset_config": "strawberry_django.queryset",  # marks a prefetch as paginated
    "run_type_get_queryset": "strawberry_django.queryset",  # a type's visibility rules
    "resolve_edge_class": "strawberry_django.relay.utils",  # the edge type of a keyset page
    # graphql_api/schema.py: the depth and alias limits as validation rules.
    "aliases_rule": "strawberry.extensions.max_aliases:create_validator",
    "depth_rule": "strawberry.extensions.query_depth_limiter:create_validator",
    # graphql_api/enums.py: the built-in scalars' parsing, reused.
    "DateTimeDefinition": "strawberry.schema.types.base_scalars",
    "DecimalDefinition": "strawberry.schema.types.base_scalars",
    "StrawberryObjectDefinition": "strawberry.types.base",  # what a Strawberry type is
    "has_enum_definition": "strawberry.types.enum",  # whether a choices class is an enum yet
    "OperationType": "strawberry.types.graphql",  # query or mutation (permissions, transactions)
    "to_camel_case": "strawberry.utils.str_converters",  # input names as clients write them
    # graphql_api/nested.py: a nested list's `orderBy` argument, added to its field.
    "StrawberryAnnotation": "strawberry.annotation",
    "StrawberryArgument": "strawberry.types.arguments",
}

__all__ = [
    "FieldDetails", "collect_subfields", "get_argument_values", "Path", "PREFIX",
    "StrawberryGraphQLCoreExecutionContext", "InvalidOperationTypeError",
    "get_arguments",
    "StrawberryDjangoConnectionExtension", "StrawberryDjangoField", "DjangoOptimizerExtension",
    "optimizer", "get_queryset_config", "run_type_get_queryset",
    "resolve_edge_class", "validate_document", "aliases_rule", "depth_rule", "DateTimeDefinition",
    "DecimalDefinition", "StrawberryObjectDefinition", "OperationType", "to_camel_case",
    "has_enum_definition",
    "StrawberryAnnotation", "StrawberryArgument",
]  # fmt: skip

# The methods the API overrides (o), replaces (r) or calls (c) that the libraries do not
# document, by where they are defined, with their parameters as installed. The test finds each
# by its dotted path and compares the parameters' names.
EXECUTION = "strawberry.schema.schema.StrawberryGraphQLCoreExecutionContext"
VIEW = "strawberry.django.views.GraphQLView"
METHODS = {
    # graphql_api/readpath/execution.py: the read path in front of the executor (o), and the
    # executor's column shortcut (o).
    f"{EXECUTION}.execute_collected_root_fields": (
        "self", "root_type", "root_value", "grouped_field_set", "serially", "new_defer_usages"),
    f"{EXECUTION}.execute_field": (
        "self", "parent_type", "source", "field_details_list", "path", "position_context"),
    # graphql_api/readpath/plan.py: a field's Info as the executor builds it (c).
    f"{EXECUTION}.build_resolve_info": (
        "self", "field_def", "field_nodes", "parent_type", "path"),
    # graphql_api/readpath/read.py: a database error reported on its root field (c).
    f"{EXECUTION}.handle_field_error": (
        "self", "raw_error", "return_type", "field_details_list", "path"),
    # graphql_api/errors.py: messages rewritten after masking (o).
    "strawberry.extensions.MaskErrors._process_errors": ("self", "errors"),
    "strawberry.extensions.MaskErrors.anonymise_error": ("self", "error"),
    # graphql_api/optimizer.py: count-only pages prefetched (o); off while the read path plans (c).
    "strawberry_django.optimizer.DjangoOptimizerExtension.optimize": (
        "self", "qs", "info", "store"),
    "strawberry_django.optimizer.DjangoOptimizerExtension.disabled": (),
    # graphql_api/readpath/read.py, graphql_api/optimizer.py: a field's own queryset and rules (c).
    "strawberry_django.fields.field.StrawberryDjangoField.get_queryset": (
        "self", "queryset", "info", "kwargs"),
    "strawberry_django.fields.field.StrawberryDjangoField.get_result": (
        "self", "source", "info", "args", "kwargs"),
    # graphql_api/readpath/statements.py: SQL taken where Django would run it (o), the
    # converters of its columns (c), and each connection's compiler swapped a moment (r).
    "django.db.models.sql.compiler.SQLCompiler.execute_sql": (
        "self", "result_type", "chunked_fetch", "chunk_size"),
    "django.db.models.sql.compiler.SQLCompiler.get_converters": ("self", "expressions"),
    "django.db.backends.base.operations.BaseDatabaseOperations.compiler": (
        "self", "compiler_name"),
    # graphql_api/views.py: a failed CSRF check answered in JSON (r).
    "django.middleware.csrf.CsrfViewMiddleware._reject": ("self", "request", "reason"),
    # graphql_api/views.py: Strawberry's Django view, its HTTP rules (o; `run` c).
    f"{VIEW}.run": ("self", "request", "context", "root_value"),
    f"{VIEW}.is_request_allowed": ("self", "request"),
    f"{VIEW}.parse_http_body": ("self", "request"),
    f"{VIEW}.execute_single": (
        "self", "request", "request_adapter", "sub_response", "context", "root_value",
        "request_data"),
    f"{VIEW}.get_sub_response": ("self", "request"),
    f"{VIEW}.process_result": ("self", "request", "result"),
    f"{VIEW}.create_response": (
        "self", "response_data", "sub_response"),
    f"{VIEW}.decode_json": ("self", "data"),
    f"{VIEW}.encode_json": ("self", "data"),
    f"{VIEW}.should_render_graphql_ide": ("self", "request"),
}  # fmt: skip

# The attributes read or written, each reached through the function named, which the test
# exercises against the installed libraries.
ATTRIBUTES = {
    "strawberry.Schema._schema": "graphql_schema_of",
    "graphql.GraphQLSchema._strawberry_schema": "strawberry_schema_of",
    "strawberry.Info(_raw_info=, _field=)": "info_of",
    "strawberry.Info._raw_info": "raw_info_of",
    "strawberry.Info._field": "field_of",
    "django QuerySet._result_cache": "fetched",
    "strawberry.types.execution.ExecutionContext._provided_operation_name": (
        "provided_operation_name"),
    "StrawberryDjangoField.store.annotate": "annotations_of",
    "StrawberryDjangoField.get_queryset(_strawberry_related_field_id=)": "related_page",
    "StrawberryDjangoConnectionExtension.max_results": "own_page_limit",
    "graphql ExecutionContext.variable_values.coerced": "coerced_variables",
    "graphql VariableValues._replace(coerced=)": "variables_coerced_as",
    "graphql ExecutionContext.middleware_manager.middlewares": "resolve_middlewares",
    "django SQLCompiler.select, .col_count, .has_extra_select": "selected_converters",
    "django DatabaseOperations.compiler (swapped per connection)": "compilers_wrapped",
    "django CsrfViewMiddleware._reject": "csrf_check_answered_by",
    "prometheus_client Histogram child ._sum, ._buckets": "histogram_add",
}  # fmt: skip


def graphql_schema_of(schema):
    """The graphql-core schema a strawberry.Schema built (and executes against)."""
    return schema._schema


def strawberry_schema_of(graphql_schema):
    """The strawberry.Schema that built a graphql-core schema."""
    return graphql_schema._strawberry_schema


def info_of(raw, field):
    """Strawberry's Info over graphql-core's resolve info, for `field` (None: any field)."""
    return Info(_raw_info=raw, _field=field)


def raw_info_of(info):
    """graphql-core's resolve info under Strawberry's Info (or the resolve info itself)."""
    return getattr(info, "_raw_info", info)


def field_of(info):
    """The Strawberry field a Strawberry Info was made for."""
    return info._field


def fetched(queryset) -> bool:
    """Whether a queryset's rows are read already (a prefetch put them there)."""
    return queryset._result_cache is not None


def provided_operation_name(execution_context) -> str | None:
    """The operation name the client sent: Strawberry's `operation_name` falls back to the
    document's first operation's."""
    return execution_context._provided_operation_name


def annotations_of(strawberry_field) -> dict:
    """The annotations a strawberry-django field asks its queryset for (`annotate=`)."""
    return strawberry_field.store.annotate if strawberry_field.store else {}


# The keyword strawberry-django's prefetch passes a related field's `get_queryset`: the foreign
# key its rows are paged by, one page per parent.
RELATED_FIELD_ID = "_strawberry_related_field_id"


def related_page(strawberry_field, queryset, info, foreign_key: str, **arguments):
    """The field's queryset of related rows as strawberry-django pages them by parent (one page
    per `foreign_key` value); `arguments` are the field's own."""
    return strawberry_field.get_queryset(
        queryset, info, **{RELATED_FIELD_ID: foreign_key}, **arguments
    )


def own_page_limit(strawberry_field) -> int | None:
    """A connection field's own page limit (`max_results`), if it has one."""
    return strawberry_field.extensions[0].max_results


def coerced_variables(execution_context) -> dict:
    """The operation's variables as GraphQL coerced them (graphql-core 3.3's VariableValues)."""
    return execution_context.variable_values.coerced


def variables_coerced_as(variable_values, coerced: dict):
    """graphql-core 3.3's VariableValues (a named tuple) with other coerced values."""
    return variable_values._replace(coerced=coerced)


def resolve_middlewares(execution_context) -> list | None:
    """The field middlewares (extensions with a resolve hook) the executor would call, if any."""
    return getattr(execution_context.middleware_manager, "middlewares", None)


def selected_converters(compiler, width: int | None) -> tuple[dict, int | None, list]:
    """Django's converters of a compiled query's first `width` selected columns, by position;
    how many columns a row keeps (None: all; else the ordering columns Django added cut); and
    the output field of each column kept."""
    fields = [selected[0] for selected in compiler.select[0 : compiler.col_count]]
    kept = compiler.col_count if compiler.has_extra_select else None
    outputs = [field.output_field for field in fields[:width]]
    return compiler.get_converters(fields[:width]), kept, outputs


@contextlib.contextmanager
def compilers_wrapped(connection, wrap):
    """Within the block, `connection` compiles queries with `wrap(compiler class)`; other
    connections (other threads) are untouched."""
    ops = connection.ops
    compiler_of = ops.compiler
    ops.compiler = lambda name: wrap(compiler_of(name))
    try:
        yield
    finally:
        del ops.compiler


def csrf_check_answered_by(view):
    """Django's CSRF check, with a failure answered by `view(request, reason)`."""
    check = CsrfViewMiddleware(lambda request: HttpResponse())
    check._reject = view
    return check


def histogram_add(child, total: float, counts: list[int]) -> None:
    """Add observations to a prometheus-client histogram child at once: `total` to its sum,
    counts[i] to bucket i (its public `observe` takes one observation)."""
    child._sum.inc(total)
    for bucket, count in zip(child._buckets, counts, strict=True):
        if count:
            bucket.inc(count)
