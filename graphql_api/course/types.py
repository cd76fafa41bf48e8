"""The Course type."""

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry
import strawberry_django
from django.db.models import Count, Q, QuerySet
from strawberry import relay
from strawberry.types import Info

from graphql_api.connections import Connection
from graphql_api.enums import CourseStatus, DifficultyLevel, Duration, Visibility
from graphql_api.permissions import current_user
from learningplatform import models
from learningplatform.selectors import courses_visible_to

if TYPE_CHECKING:
    from graphql_api.task.types import Task
    from graphql_api.user.types import User


def _visible_submissions(info: Info) -> Count:
    user = current_user(info)
    if user.is_staff:
        condition = Q()
    elif user.is_authenticated:
        condition = Q(instructor=user) | Q(tasks__submissions__user=user)
    else:
        condition = Q(pk__in=[])
    return Count("tasks__submissions", filter=condition, distinct=True)


@strawberry_django.type(models.Course, name="Course")
class Course(relay.Node):
    title: str
    description: str
    instructor: Annotated["User", strawberry.lazy("graphql_api.user.types")]
    status: CourseStatus
    visibility: Visibility
    learning_objectives: str | None
    prerequisites: str | None
    duration: Duration | None
    difficulty_level: DifficultyLevel | None
    created_at: datetime
    updated_at: datetime
    tasks: Connection[Annotated["Task", strawberry.lazy("graphql_api.task.types")]] = (
        strawberry_django.connection(description="The course's tasks that you can see.")
    )
    task_count: int = strawberry_django.field(
        annotate=Count("tasks", distinct=True),
        description="How many tasks the course has, drafts included.",
    )
    submission_count: int = strawberry_django.field(
        annotate=_visible_submissions,
        description="Submissions to the course's tasks that you can see.",
    )

    @classmethod
    def get_queryset(cls, queryset: QuerySet, info: Info, **kwargs) -> QuerySet:
        return courses_visible_to(current_user(info), queryset)
