"""The legacy GraphQL names (docs/legacy-shim.md): LearningTask, QuizTask and their root fields.

They read the consolidated Task through the same visibility rules and optimizer as the new
names. Ids: a task that came from tasks_learningtask (learning task or quiz) keeps the id old
clients held, the legacy row's number, resolved through the id map; every other task (old
learningplatform tasks, tasks created since) is named by its new global Task id, which is never a
bare number, so no id names two objects.
"""

from datetime import datetime
from decimal import Decimal

import strawberry
import strawberry_django
from django.db.models import OuterRef, QuerySet, Subquery
from strawberry import relay
from strawberry.relay.types import GlobalIDValueError
from strawberry.types import Info
from strawberry_django.optimizer import optimize

from graphql_api.course.types import Course
from graphql_api.enums import DifficultyLevel, TaskStatus
from graphql_api.errors import ErrorCode, FieldError, UserError
from graphql_api.ids import is_node_id
from graphql_api.permissions import current_user
from graphql_api.user.types import User
from learningplatform import models
from learningplatform.choices import TaskType
from learningplatform.selectors import tasks_visible_to

LEGACY_TABLE = "tasks_learningtask"
MAX_ITEMS = 100
# The database reads and drops every row before an OFFSET, so a deep offset costs as many pages
# as it skips; the connections page by cursor instead. Ten pages of the old default size.
MAX_OFFSET = 1000

_legacy_number = Subquery(
    models.LegacyIdMap.objects.filter(legacy_table=LEGACY_TABLE, new_id=OuterRef("pk")).values(
        "legacy_id"
    )[:1]
)


def legacy_id_of(task: models.Task) -> str:
    number = getattr(task, "legacy_number", None)
    return str(number) if number is not None else str(relay.GlobalID("Task", str(task.pk)))


def task_id_for(legacy_id: str) -> int | None:
    """The consolidated task an id held by an old client names, or None."""
    if is_node_id(legacy_id):
        return (
            models.LegacyIdMap.objects.filter(legacy_table=LEGACY_TABLE, legacy_id=int(legacy_id))
            .values_list("new_id", flat=True)
            .first()
        )
    try:
        global_id = relay.GlobalID.from_id(legacy_id)
    except GlobalIDValueError:  # an undecodable id is simply an unknown one
        return None
    return (
        int(global_id.node_id)
        if global_id.type_name == "Task" and is_node_id(global_id.node_id)
        else None
    )


@strawberry_django.type(models.Task, name="LegacyTaskFields")
class LegacyTaskFields:
    """What LearningTask and QuizTask share; not itself part of the schema."""

    @strawberry_django.field(
        annotate={"legacy_number": _legacy_number},
        description="The id old clients hold: the tasks_learningtask number for tasks that came "
        "from there, the Task's global id for the others.",
    )
    def id(self) -> strawberry.ID:
        return strawberry.ID(legacy_id_of(self))

    title: str
    description: str
    course: Course
    status: TaskStatus
    difficulty_level: DifficultyLevel | None
    created_by: User | None
    max_submissions: int | None
    due_date: datetime | None = strawberry_django.field(
        field_name="deadline", deprecation_reason="Use `Task.deadline`."
    )
    created_at: datetime
    updated_at: datetime

    @strawberry_django.field(description="The same task under its new name.")
    def task_id(self) -> relay.GlobalID:
        return relay.GlobalID("Task", str(self.pk))


def _scoped(info: Info, queryset: QuerySet, task_type: str) -> QuerySet:
    return tasks_visible_to(current_user(info), queryset).filter(task_type=task_type)


@strawberry_django.type(
    models.Task, name="LearningTask", description="Deprecated: a Task whose taskType is LEARNING."
)
class LearningTask(LegacyTaskFields):
    @classmethod
    def get_queryset(cls, queryset: QuerySet, info: Info, **kwargs) -> QuerySet:
        return _scoped(info, queryset, TaskType.LEARNING)


@strawberry_django.type(
    models.Task, name="QuizTask", description="Deprecated: a Task whose taskType is QUIZ."
)
class QuizTask(LegacyTaskFields):
    max_score: Decimal | None
    passing_score: Decimal | None
    time_limit: int | None
    is_randomized: bool

    @classmethod
    def get_queryset(cls, queryset: QuerySet, info: Info, **kwargs) -> QuerySet:
        return _scoped(info, queryset, TaskType.QUIZ)


def _one(info: Info, id: str, task_type: str) -> models.Task | None:
    pk = task_id_for(id)
    if pk is None:
        return None
    tasks = _scoped(info, models.Task.objects.filter(pk=pk), task_type)
    return optimize(tasks, info).first()


def _page(info: Info, task_type: str, limit: int, offset: int) -> list[models.Task]:
    refused = []
    if not 0 <= limit <= MAX_ITEMS:
        refused.append(("limit", f"limit must be between 0 and {MAX_ITEMS}; got {limit}."))
    if not 0 <= offset <= MAX_OFFSET:
        refused.append(
            (
                "offset",
                f"offset must be between 0 and {MAX_OFFSET}; got {offset}. Deeper pages: "
                f"`tasks(filter: {{taskType: {task_type}}}, after: ...)` pages on by cursor.",
            )
        )
    if refused:
        errors = [FieldError(field=f, message=m, code=ErrorCode.OUT_OF_RANGE) for f, m in refused]
        raise UserError(" ".join(m for _f, m in refused), ErrorCode.OUT_OF_RANGE, errors)
    tasks = _scoped(info, models.Task.objects.order_by("id"), task_type)
    return list(optimize(tasks, info)[offset : offset + limit])


@strawberry.type
class LegacyQuery:
    @strawberry_django.field(deprecation_reason="Use `task(id:)` (LearningTask.taskId is its id).")
    def learning_task(self, info: Info, id: strawberry.ID) -> LearningTask | None:
        return _one(info, id, TaskType.LEARNING)

    @strawberry_django.field(
        deprecation_reason="Use `tasks(filter: {taskType: LEARNING})`, a paginated connection."
    )
    def learning_tasks(
        self, info: Info, limit: int = MAX_ITEMS, offset: int = 0
    ) -> list[LearningTask]:
        return _page(info, TaskType.LEARNING, limit, offset)

    @strawberry_django.field(deprecation_reason="Use `task(id:)` (QuizTask.taskId is its id).")
    def quiz_task(self, info: Info, id: strawberry.ID) -> QuizTask | None:
        return _one(info, id, TaskType.QUIZ)

    @strawberry_django.field(
        deprecation_reason="Use `tasks(filter: {taskType: QUIZ})`, a paginated connection."
    )
    def quiz_tasks(self, info: Info, limit: int = MAX_ITEMS, offset: int = 0) -> list[QuizTask]:
        return _page(info, TaskType.QUIZ, limit, offset)
