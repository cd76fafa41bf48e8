"""The GraphQL enums and scalars: each enum is the model's TextChoices, exposed as is."""

from datetime import timedelta
from enum import Enum
from typing import NewType

import strawberry
from django.utils.dateparse import parse_duration
from django.utils.duration import duration_iso_string
from graphql import GraphQLError

from learningplatform import choices

CourseStatus = strawberry.enum(choices.CourseStatus, name="CourseStatus")
Visibility = strawberry.enum(choices.Visibility, name="Visibility")
DifficultyLevel = strawberry.enum(choices.DifficultyLevel, name="DifficultyLevel")
TaskStatus = strawberry.enum(choices.TaskStatus, name="TaskStatus")
TaskType = strawberry.enum(
    choices.TaskType, name="TaskType", description=choices.TaskType.__doc__.split("\n\n")[0]
)


def _parse_duration(value: str) -> timedelta:
    parsed = parse_duration(value) if isinstance(value, str) else None
    if parsed is None:
        # A GraphQLError, so GraphQL reports it as it is, for variables and literals alike (any
        # other exception raised while parsing a literal would be masked as unexpected).
        raise GraphQLError(f"{value!r} is not an ISO 8601 duration such as 'P3DT4H' or 'PT90M'.")
    return parsed


# Fields hold timedeltas; the schema's scalar_map (see SCALARS) turns them into ISO 8601 text.
Duration = NewType("Duration", timedelta)

SCALARS = {
    Duration: strawberry.scalar(
        name="Duration",
        description="An ISO 8601 duration, for example 'P42D' (six weeks) or 'PT1H30M'.",
        serialize=duration_iso_string,
        parse_value=_parse_duration,
    )
}


@strawberry.enum(description="Sort order; ties are always broken by id in the same direction.")
class OrderDirection(Enum):
    ASC = "ASC"
    DESC = "DESC"
