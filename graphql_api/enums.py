"""The GraphQL enums and scalars: each enum is the model's TextChoices, exposed as is."""

import dataclasses
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from enum import Enum
from typing import NewType

import strawberry
from django.utils.dateparse import parse_duration
from django.utils.duration import duration_iso_string
from graphql import GraphQLError
from strawberry.schema.types.base_scalars import DateTimeDefinition, DecimalDefinition
from strawberry.types.enum import has_enum_definition

from learningplatform import choices

CourseStatus = strawberry.enum(choices.CourseStatus, name="CourseStatus")
Visibility = strawberry.enum(choices.Visibility, name="Visibility")
DifficultyLevel = strawberry.enum(choices.DifficultyLevel, name="DifficultyLevel")
TaskStatus = strawberry.enum(choices.TaskStatus, name="TaskStatus")
TaskType = strawberry.enum(
    choices.TaskType, name="TaskType", description=choices.TaskType.__doc__.split("\n\n")[0]
)


def exposed(choices_class: type) -> type:
    """The GraphQL enum of a TextChoices: the class itself, once `strawberry.enum` above (the
    one place an enum is named) has exposed it."""
    if not has_enum_definition(choices_class):
        raise TypeError(
            f"{choices_class.__name__} is not a GraphQL enum: expose it in graphql_api/enums.py."
        )
    return choices_class


# The longest duration stored: SQLite keeps microseconds in 64 bits (about 292,000 years), and
# no course runs for more than a lifetime.
MAX_DURATION = timedelta(days=36_500)


def _parse_duration(value: str) -> timedelta:
    # A GraphQLError, so GraphQL reports it as it is, for variables and literals alike (any other
    # exception raised while parsing a literal would be masked as unexpected).
    try:
        parsed = parse_duration(value) if isinstance(value, str) and value.strip() else None
    except (OverflowError, ValueError):
        parsed = MAX_DURATION * 2
    if parsed is None:
        raise GraphQLError(f"{value!r} is not an ISO 8601 duration such as 'P3DT4H' or 'PT90M'.")
    if abs(parsed) > MAX_DURATION:
        raise GraphQLError(
            f"{value!r} is longer than the longest duration stored, {MAX_DURATION.days:,} days."
        )
    return parsed


def _parse_datetime(value: object) -> datetime:
    parsed = DateTimeDefinition.parse_value(value)
    try:
        if parsed.tzinfo is not None:
            parsed.astimezone(UTC)
    except OverflowError:
        raise GraphQLError(
            f"{value!r} is outside the dates stored: years 1 to 9999, in UTC."
        ) from None
    return parsed


def _parse_decimal(value: object) -> Decimal:
    parsed = DecimalDefinition.parse_value(value)
    if not parsed.is_finite():
        raise GraphQLError(f"{value!r} is not a number; send digits such as '42.5'.")
    return parsed


# Fields hold timedeltas; the schema's scalar_map (see SCALARS) turns them into ISO 8601 text.
Duration = NewType("Duration", timedelta)

SCALARS = {
    Duration: strawberry.scalar(
        name="Duration",
        description="An ISO 8601 duration, for example 'P42D' (six weeks) or 'PT1H30M'.",
        serialize=duration_iso_string,
        parse_value=_parse_duration,
    ),
    # Strawberry's own, refusing what would fail in the database instead of reaching it: dates
    # that leave years 1 to 9999 once in UTC, and NaN or infinite decimals.
    datetime: dataclasses.replace(DateTimeDefinition, parse_value=_parse_datetime),
    Decimal: dataclasses.replace(DecimalDefinition, parse_value=_parse_decimal),
}


@strawberry.enum(description="Sort order; ties are always broken by id in the same direction.")
class OrderDirection(Enum):
    ASC = "ASC"
    DESC = "DESC"
