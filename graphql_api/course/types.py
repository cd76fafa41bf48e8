"""The Course type."""

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry
from django.db.models import OuterRef, QuerySet
from strawberry import relay
from strawberry.types import Info

from graphql_api.connections import Connection
from graphql_api.enums import CourseStatus, DifficultyLevel, Duration, Visibility
from graphql_api.nested import NestedTotals, nested_connection
from graphql_api.nodes import annotated_field, node_type
from graphql_api.permissions import current_user
from graphql_api.task.filters import TaskOrder
from learningplatform import models
from learningplatform.expressions import TallySum
from learningplatform.selectors import (
    courses_visible_to,
    submission_tallies_visible_to,
    tallies_visible_to,
)

if TYPE_CHECKING:
    from graphql_api.task.types import Task
    from graphql_api.user.types import User


# Each count is a correlated subquery of its course: the database counts it for the rows of the
# page only, after the LIMIT, instead of grouping every course, task and submission first (a
# COUNT over joins, which Django groups by the whole list before cutting the page).


def _visible_tasks(info: Info) -> TallySum:
    # The course's few tallies (one per status), not its tasks: a course of 100,000 tasks too.
    of_course = models.TaskTally.objects.filter(course=OuterRef("pk"))
    return TallySum(tallies_visible_to(current_user(info), of_course))


def _visible_submissions(info: Info) -> TallySum:
    # The course's tallies per submitter (the viewer's own one, unless they teach it), not its
    # tasks' submissions (ADR 0031).
    of_course = models.SubmissionTally.objects.filter(course=OuterRef("pk"))
    return TallySum(submission_tallies_visible_to(current_user(info), of_course), "submissions")


# A course's tasks are counted from its tallies (ADR 0016), a few rows, not its tasks.
TASK_TOTALS = NestedTotals(
    lambda user: tallies_visible_to(user, models.TaskTally._base_manager.all()),
    parent="course_id", relation="task_tallies", weight="tasks",
)  # fmt: skip


# Whoever sees a course sees its instructor (learningplatform/selectors.py): the read path joins
# the instructor instead of reading them apart through User's visibility rules.
@node_type(models.Course, name="Course", seen_with_it=("instructor",))
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
        nested_connection(TaskOrder, TASK_TOTALS, "The course's tasks that you can see.")
    )

    # Lists get both counts as annotations, in the same statement (the optimizer and the read
    # path alike); a course a mutation returns has none, and costs one statement per count.
    @annotated_field(
        _visible_tasks,
        description="How many of the course's tasks you can see (its `tasks` connection's total).",
    )
    def task_count(self, info: Info) -> int:
        return tallies_visible_to(current_user(info), self.task_tallies.all()).count()

    @annotated_field(
        _visible_submissions, description="Submissions to the course's tasks that you can see."
    )
    def submission_count(self, info: Info) -> int:
        of_course = self.submission_tallies.all()
        return submission_tallies_visible_to(current_user(info), of_course).count()

    @classmethod
    def get_queryset(cls, queryset: QuerySet, info: Info, **kwargs) -> QuerySet:
        return courses_visible_to(current_user(info), queryset)
