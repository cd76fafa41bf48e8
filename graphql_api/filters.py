"""GraphQL filter and order inputs, derived from the django-filter FilterSets.

The FilterSets in `learningplatform.filters` are the one definition of what can be filtered;
`filter_input` turns one into a Strawberry input type (one field per filter, typed from the
filter's class), and `apply_filter` runs the client's values through the same FilterSet, so its
validation (bad ids, bad dates) reaches the client as field-level errors.
"""

from dataclasses import make_dataclass
from datetime import datetime
from enum import Enum
from typing import Any

import django_filters
import strawberry
from django.db.models import QuerySet
from strawberry import relay
from strawberry.types import Info

from graphql_api import enums
from graphql_api.connections import keyset_for
from graphql_api.errors import ErrorCode, FieldError, UserError
from graphql_api.library_internals import to_camel_case
from graphql_api.nodes import node_type_names
from graphql_api.readpath.binding import checked_object
from learningplatform.filters import EnumFilter


def _graphql_type(name: str, filter_: django_filters.Filter) -> Any:
    if isinstance(filter_, EnumFilter):
        return enums.exposed(filter_.choices_class)
    if isinstance(filter_, django_filters.IsoDateTimeFilter):
        return datetime
    if isinstance(filter_, django_filters.ModelChoiceFilter):
        return relay.GlobalID
    if isinstance(filter_, django_filters.CharFilter):
        return str
    raise TypeError(
        f"No GraphQL type for filter {name!r} ({type(filter_).__name__}): add one here."
    )


def _description(name: str, filter_: django_filters.Filter) -> str:
    if help_text := filter_.extra.get("help_text"):
        return help_text
    lookup = {"gte": "at or after", "lt": "before"}.get(filter_.lookup_expr)
    if lookup:
        return f"{filter_.field_name.replace('_', ' ').capitalize()} {lookup} this time."
    return f"Only these with this {name.replace('_', ' ')}."


def filter_input(filterset: type[django_filters.FilterSet], name: str) -> type:
    """A Strawberry input type with one optional field per filter of the FilterSet."""
    fields = [
        (
            filter_name,
            _graphql_type(filter_name, filter_) | None,
            strawberry.field(default=None, description=_description(filter_name, filter_)),
        )
        for filter_name, filter_ in filterset.base_filters.items()
    ]
    input_class = make_dataclass(name, fields)
    input_class.filterset = filterset
    return strawberry.input(
        input_class,
        description=f"Filters for {filterset._meta.model._meta.verbose_name_plural}; "
        "all given conditions must hold.",
    )


def apply_filter(queryset: QuerySet, value: Any, info: Info) -> QuerySet:
    """Filter `queryset` by the client's filter input, or raise a UserError naming each field."""
    if value is None:
        return queryset
    request, node_types = info.context.request, node_type_names(info.schema)
    filterset = value.filterset
    data, errors, marked = {}, [], {}
    for name, filter_ in filterset.base_filters.items():
        given = getattr(value, name)
        if given is None:
            continue
        if isinstance(given, Enum):
            given = given.value
        elif isinstance(given, datetime):
            given = given.isoformat()
        elif isinstance(given, relay.GlobalID):
            expected = node_types[filter_.get_queryset(request).model]
            if given.type_name != expected:
                errors.append(
                    FieldError(
                        field=to_camel_case(name),
                        message=f"{given} is not the id of a {expected}.",
                        code=ErrorCode.NOT_FOUND,
                    )
                )
                continue
            mark = checked_object(filter_.get_queryset(request), given.node_id)
            if mark is not None:  # a plan by shape: its check runs with each request's id
                marked[filter_.field_name] = mark
                continue
            given = given.node_id
        data[name] = given
    applied = filterset(data, queryset=queryset, request=request)
    if not applied.is_valid():
        for name, messages in applied.errors.items():
            errors.extend(
                FieldError(field=to_camel_case(name), message=message, code=ErrorCode.INVALID)
                for message in messages
            )
    if errors:
        raise UserError(
            "Invalid filter: " + "; ".join(e.message for e in errors), ErrorCode.INVALID, errors
        )
    return applied.qs.filter(**marked) if marked else applied.qs


def order_input(name: str, fields: dict[str, str]) -> tuple[type, type]:
    """An enum of orderable fields (GraphQL name to model field) and the input that picks one."""
    field_enum = strawberry.enum(Enum(f"{name}Field", {k: v for k, v in fields.items()}))

    @strawberry.input(
        name=name,
        description="Sort order; ties are broken by id, and empty values come after every "
        "value (last ascending, first descending).",
    )
    class Order:
        field: field_enum  # type: ignore[valid-type]
        direction: enums.OrderDirection = enums.OrderDirection.ASC

    return Order, field_enum


def apply_order(queryset: QuerySet, order: Any) -> QuerySet:
    """Order by the chosen field, then by id in the same direction: the list's keyset."""
    return keyset_for(queryset.model, order).ordered(queryset)
