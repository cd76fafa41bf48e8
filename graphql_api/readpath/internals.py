"""Every library internal the code relies on, imported or read here and nowhere else.

These names are not the libraries' documented API, so pyproject.toml pins strawberry-graphql,
strawberry-graphql-django and graphql-core to the minor versions tested, and
tests/graphql_api/test_readpath_internals.py imports each one: an upgrade that moves one fails
there first, by name.
"""

from graphql.execution.collect_fields import FieldDetails, collect_subfields
from graphql.execution.values import get_argument_values
from graphql.pyutils import Path
from strawberry.relay.types import PREFIX
from strawberry.schema.exceptions import InvalidOperationTypeError
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext, validate_document
from strawberry.schema.schema_converter import get_arguments
from strawberry_django.fields.field import (
    StrawberryDjangoConnectionExtension,
    StrawberryDjangoField,
)
from strawberry_django.optimizer import DjangoOptimizerExtension, optimizer
from strawberry_django.queryset import get_queryset_config, run_type_get_queryset
from strawberry_django.relay.utils import resolve_edge_class

# Each internal and the module it comes from (the test imports it from there).
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
}

__all__ = [
    "FieldDetails", "collect_subfields", "get_argument_values", "Path", "PREFIX",
    "StrawberryGraphQLCoreExecutionContext", "InvalidOperationTypeError",
    "get_arguments",
    "StrawberryDjangoConnectionExtension", "StrawberryDjangoField", "DjangoOptimizerExtension",
    "optimizer", "get_queryset_config", "run_type_get_queryset",
    "resolve_edge_class", "validate_document",
]  # fmt: skip

# The methods of Strawberry's Django view (strawberry.django.views.GraphQLView) that
# graphql_api/views.py overrides, none of them documented, with their parameters as installed.
OVERRIDDEN_VIEW_METHODS = {
    "run": ("self", "request", "context", "root_value"),  # called, not overridden
    "is_request_allowed": ("self", "request"),
    "parse_http_body": ("self", "request"),
    "execute_single": (
        "self", "request", "request_adapter", "sub_response", "context", "root_value",
        "request_data",
    ),
    "get_sub_response": ("self", "request"),
    "process_result": ("self", "request", "result"),
    "create_response": ("self", "response_data", "sub_response"),
    "decode_json": ("self", "data"),
    "encode_json": ("self", "data"),
    "should_render_graphql_ide": ("self", "request"),
}  # fmt: skip

# The methods graphql_api/nested.py overrides on strawberry-django's StrawberryDjangoField, and
# graphql_api/connections.py on Django's Query (`add_q`: Django's prefetch of a reverse foreign
# key passes it `Q(<parent>__in=...)`, in related_descriptors._filter_prefetch_queryset), with
# their parameters as installed.
OVERRIDDEN_FIELD_METHODS = {
    "get_result": ("self", "source", "info", "args", "kwargs"),
    "get_queryset": ("self", "queryset", "info", "kwargs"),
}
OVERRIDDEN_QUERY_METHODS = {"add_q": ("self", "q_object", "reuse_all")}

# prometheus-client: a histogram child's values, `_sum` and one per bucket in `_buckets` (in the
# order of its bounds), which `histogram_add` increments to add many observations at once
# (graphql_api/observability/metrics.py). Its public `observe` takes one observation.
HISTOGRAM_VALUES = ("_sum", "_buckets")


def histogram_add(child, total: float, counts: list[int]) -> None:
    """Add observations to a histogram child: `total` to its sum, counts[i] to bucket i."""
    child._sum.inc(total)
    for bucket, count in zip(child._buckets, counts, strict=True):
        if count:
            bucket.inc(count)
