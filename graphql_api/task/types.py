"""The Task type."""

from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated

import strawberry
import strawberry_django
from django.db.models import QuerySet
from strawberry import relay
from strawberry.types import Info

from graphql_api.connections import Connection
from graphql_api.enums import DifficultyLevel, TaskStatus, TaskType
from graphql_api.nested import NestedTotals, nested_connection
from graphql_api.nodes import node_type
from graphql_api.permissions import current_user
from graphql_api.submission.filters import SubmissionOrder
from learningplatform import models
from learningplatform.selectors import submissions_visible_to, tasks_visible_to

if TYPE_CHECKING:
    from graphql_api.course.types import Course
    from graphql_api.submission.types import Submission
    from graphql_api.user.types import User


SUBMISSION_TOTALS = NestedTotals(
    lambda user: submissions_visible_to(user, models.Submission._base_manager.all()),
    parent="task_id", relation="submissions",
)  # fmt: skip


# Whoever sees a task sees its course (learningplatform/selectors.py): the read path joins the
# course instead of reading it apart through Course's visibility rules.
@node_type(models.Task, name="Task", seen_with_it=("course",))
class Task(relay.Node):
    title: str
    description: str
    course: Annotated["Course", strawberry.lazy("graphql_api.course.types")]
    task_type: TaskType
    status: TaskStatus
    difficulty_level: DifficultyLevel | None
    created_by: Annotated["User", strawberry.lazy("graphql_api.user.types")] | None
    deadline: datetime | None
    max_score: Decimal | None
    passing_score: Decimal | None
    max_submissions: int | None = strawberry_django.field(description="Empty: unlimited.")
    time_limit: int | None = strawberry_django.field(description="Minutes; empty: no limit.")
    is_randomized: bool
    created_at: datetime
    updated_at: datetime
    submissions: Connection[
        Annotated["Submission", strawberry.lazy("graphql_api.submission.types")]
    ] = nested_connection(
        SubmissionOrder, SUBMISSION_TOTALS, "Submissions to this task that you can see."
    )

    @classmethod
    def get_queryset(cls, queryset: QuerySet, info: Info, **kwargs) -> QuerySet:
        return tasks_visible_to(current_user(info), queryset)
