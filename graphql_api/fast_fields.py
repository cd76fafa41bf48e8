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
"""

from django.db import models
from strawberry.relay import to_base64
from strawberry.types.base import StrawberryObjectDefinition
from strawberry_django.fields.field import StrawberryDjangoField

from graphql_api.ids import pk_id_attr

# Model fields whose loaded value is what the API serializes (no wrapping on attribute access).
PLAIN = (
    models.CharField, models.TextField, models.IntegerField, models.BooleanField,
    models.DateTimeField, models.DateField, models.DecimalField, models.DurationField,
    models.EmailField,
)  # fmt: skip


def column_resolver(attname: str, slow):
    def resolve(source, info, **kwargs):
        try:
            return source.__dict__[attname]
        except (KeyError, AttributeError):
            return slow(source, info, **kwargs)  # deferred, or not a model instance

    return resolve


def id_resolver(type_name: str, attname: str, slow):
    def resolve(source, info, **kwargs):
        try:
            return to_base64(type_name, source.__dict__[attname])
        except (KeyError, AttributeError):
            return slow(source, info, **kwargs)

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
        for field in definition.fields:
            graphql_name = schema.config.name_converter.get_graphql_name(field)
            graphql_field = fields.get(graphql_name)
            if graphql_field is None or graphql_field.resolve is None:
                continue
            if graphql_name == "id" and model is not None and not field.extensions:
                named_by = getattr(definition.origin, "resolve_id_attr", None)
                if getattr(named_by, "__func__", None) is pk_id_attr:
                    graphql_field.resolve = id_resolver(
                        name, model._meta.pk.attname, graphql_field.resolve
                    )
                    installed += 1
                continue
            column = plain_column(field, model)
            if column is not None:
                graphql_field.resolve = column_resolver(column.attname, graphql_field.resolve)
                installed += 1
    return installed
