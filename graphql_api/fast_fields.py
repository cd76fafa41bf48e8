"""Plain column fields and global ids, resolved straight off the model instance.

Strawberry calls every field's resolver through its own layers (resolve info, argument
conversion, extension chain, strawberry-django's get_result) even when the field is a model
column with no arguments, no resolver and no extension; for a list of 2,100 objects that is
most of the request (bench/api.py). Such a field's answer is the instance's loaded attribute,
exactly what strawberry-django's get_result returns for it; `install` gives those fields, and
the `id` of node types named by their primary key, a resolver that reads it directly.

Anything else keeps Strawberry's resolver: fields with a resolver, arguments or extensions,
relations, file fields (Django wraps their values on access), and any attribute that was not
loaded (deferred), which the resolver then loads as before.

`FastExecutionContext` goes one step further for those fields: GraphQL's executor builds a
resolve-info object, calls the resolver and dispatches on the field's type for every field of
every object; for a loaded, non-null column of a leaf type the answer is just the scalar's
serialization of the value, so it returns that at once and leaves everything else (nulls,
errors, objects, lists, middleware) to the executor as before.
"""

import contextlib

from django.db import models
from graphql import Undefined, get_named_type
from strawberry.relay import to_base64
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.types.base import StrawberryObjectDefinition
from strawberry_django.fields.field import StrawberryDjangoField

from graphql_api import compiled
from graphql_api.ids import pk_id_attr

# Model fields whose loaded value is what the API serializes (no wrapping on attribute access).
PLAIN = (
    models.CharField, models.TextField, models.IntegerField, models.BooleanField,
    models.DateTimeField, models.DateField, models.DecimalField, models.DurationField,
    models.EmailField,
)  # fmt: skip


MISSING = object()


class FastExecutionContext(StrawberryGraphQLCoreExecutionContext):
    def execute_collected_root_fields(
        self, root_type, root_value, grouped_field_set, serially, new_defer_usages
    ):
        if (
            not serially
            and not new_defer_usages
            and compiled.enabled(self.schema)
            and not getattr(self.middleware_manager, "middlewares", None)
        ):
            data = compiled.read(self, root_type, grouped_field_set)
            if data is not None:
                return data
        return super().execute_collected_root_fields(
            root_type, root_value, grouped_field_set, serially, new_defer_usages
        )

    def execute_field(self, parent_type, source, field_details_list, path, position_context):
        plans = getattr(parent_type, "direct_fields", None)
        if plans and not getattr(self.middleware_manager, "middlewares", None):
            plan = plans.get(field_details_list[0].node.name.value)
            if plan is not None:
                attname, leaf, type_name = plan
                value = getattr(source, "__dict__", {}).get(attname, MISSING)
                if value is not MISSING and value is not None:
                    if type_name is not None:
                        value = to_base64(type_name, value)
                    try:
                        coerced = leaf.coerce_output_value(value)
                    except Exception:  # noqa: BLE001 - the executor reports it, as before
                        coerced = None
                    if coerced is not None and coerced is not Undefined:
                        return coerced
        return super().execute_field(
            parent_type, source, field_details_list, path, position_context
        )


def column_resolver(attname: str, slow):
    def resolve(source, info, **kwargs):
        try:
            return source.__dict__[attname]
        except (KeyError, AttributeError):
            return slow(source, info, **kwargs)  # deferred, or not a model instance

    resolve.strawberry_resolver = slow
    return resolve


def id_resolver(type_name: str, attname: str, slow):
    def resolve(source, info, **kwargs):
        try:
            return to_base64(type_name, source.__dict__[attname])
        except (KeyError, AttributeError):
            return slow(source, info, **kwargs)

    resolve.strawberry_resolver = slow
    return resolve


def plain_column(field, model) -> models.Field | None:
    if not isinstance(field, StrawberryDjangoField) or model is None:
        return None
    if field.base_resolver is not None or field.extensions or field.arguments:
        return None
    try:
        column = model._meta.get_field(field.django_name or field.python_name)
    except Exception:  # noqa: BLE001 - a computed or annotated attribute: not a column
        return None
    if not column.concrete or column.is_relation or not isinstance(column, PLAIN):
        return None
    if isinstance(column, models.FileField):
        return None
    return column


def install(schema) -> int:
    """Give the eligible fields of `schema` direct resolvers; returns how many."""
    installed = 0
    for name, graphql_type in schema._schema.type_map.items():
        definition = schema.get_type_by_name(name)
        if not isinstance(definition, StrawberryObjectDefinition) or definition.is_input:
            continue
        django = getattr(definition.origin, "__strawberry_django_definition__", None)
        model = django.model if django else None
        fields = getattr(graphql_type, "fields", {})
        direct = {}  # GraphQL field name -> (attribute, leaf type, type name for global ids)
        for field in definition.fields:
            graphql_name = schema.config.name_converter.get_graphql_name(field)
            graphql_field = fields.get(graphql_name)
            if graphql_field is None or graphql_field.resolve is None:
                continue
            if graphql_name == "id" and model is not None and not field.extensions:
                named_by = getattr(definition.origin, "resolve_id_attr", None)
                if getattr(named_by, "__func__", None) is pk_id_attr:
                    attname = model._meta.pk.attname
                    graphql_field.resolve = id_resolver(name, attname, graphql_field.resolve)
                    direct[graphql_name] = (attname, get_named_type(graphql_field.type), name)
                    installed += 1
                continue
            column = plain_column(field, model)
            if column is not None:
                graphql_field.resolve = column_resolver(column.attname, graphql_field.resolve)
                direct[graphql_name] = (column.attname, get_named_type(graphql_field.type), None)
                installed += 1
        graphql_type.direct_fields = direct
    return installed


@contextlib.contextmanager
def strawberry_resolvers_only(schema):
    """Undo `install` for the duration of the block: for tests comparing both paths' answers."""
    saved = []
    for graphql_type in schema._schema.type_map.values():
        direct = getattr(graphql_type, "direct_fields", None)
        if direct is None:
            continue
        graphql_type.direct_fields = {}
        for field in graphql_type.fields.values():
            if original := getattr(field.resolve, "strawberry_resolver", None):
                saved.append((field, field.resolve))
                field.resolve = original
        saved.append((graphql_type, direct))
    try:
        yield
    finally:
        for owner, value in saved:
            if hasattr(owner, "direct_fields"):
                owner.direct_fields = value
            else:
                owner.resolve = value
