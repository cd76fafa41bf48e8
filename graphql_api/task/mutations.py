"""createTask, updateTask, deleteTask."""

from datetime import datetime
from decimal import Decimal

import strawberry
from strawberry import UNSET, relay
from strawberry.types import Info

from graphql_api.enums import DifficultyLevel, TaskStatus, TaskType
from graphql_api.errors import FieldError
from graphql_api.payloads import DeletePayload, given_fields, run_service
from graphql_api.permissions import current_user, object_for
from graphql_api.task.types import Task
from learningplatform import services
from learningplatform.selectors import can_manage_course, courses_visible_to, tasks_visible_to


@strawberry.input
class CreateTaskInput:
    course_id: relay.GlobalID
    title: str
    description: str = ""
    task_type: TaskType = TaskType.LEARNING
    status: TaskStatus = TaskStatus.DRAFT
    difficulty_level: DifficultyLevel | None = None
    deadline: datetime | None = None
    max_score: Decimal | None = None
    passing_score: Decimal | None = None
    max_submissions: int | None = None
    time_limit: int | None = None
    is_randomized: bool = False


@strawberry.input(description="The task to change and the fields to change; others stay.")
class UpdateTaskInput:
    id: relay.GlobalID
    title: str | None = UNSET
    description: str | None = UNSET
    task_type: TaskType | None = UNSET
    status: TaskStatus | None = UNSET
    difficulty_level: DifficultyLevel | None = UNSET
    deadline: datetime | None = UNSET
    max_score: Decimal | None = UNSET
    passing_score: Decimal | None = UNSET
    max_submissions: int | None = UNSET
    time_limit: int | None = UNSET
    is_randomized: bool | None = UNSET


@strawberry.type
class TaskPayload:
    task: Task | None = None
    errors: list[FieldError] = strawberry.field(default_factory=list)


def _manageable(user, task) -> bool:
    return can_manage_course(user, task.course)


@strawberry.type
class TaskMutation:
    @strawberry.mutation(description="Add a task to a course you teach.")
    def create_task(self, info: Info, input: CreateTaskInput) -> TaskPayload:
        course, errors = object_for(
            info,
            input.course_id,
            type_name="Course",
            visible=courses_visible_to,
            allowed=can_manage_course,
            field="courseId",
        )
        if errors:
            return TaskPayload(errors=errors)
        task, errors = run_service(
            info,
            services.task_create,
            course=course,
            created_by=current_user(info),
            field_names={"course": "courseId"},
            **given_fields(input, exclude=("course_id",)),
        )
        return TaskPayload(task=task, errors=errors)

    @strawberry.mutation(description="Change a task of a course you teach.")
    def update_task(self, info: Info, input: UpdateTaskInput) -> TaskPayload:
        task, errors = object_for(
            info,
            input.id,
            type_name="Task",
            visible=tasks_visible_to,
            allowed=_manageable,
            related=("course",),
        )
        if errors:
            return TaskPayload(errors=errors)
        task, errors = run_service(
            info, services.task_update, task=task, **given_fields(input, exclude=("id",))
        )
        return TaskPayload(task=task, errors=errors)

    @strawberry.mutation(description="Delete a task of a course you teach, with its submissions.")
    def delete_task(self, info: Info, id: relay.GlobalID) -> DeletePayload:
        task, errors = object_for(
            info,
            id,
            type_name="Task",
            visible=tasks_visible_to,
            allowed=_manageable,
            related=("course",),
        )
        if errors:
            return DeletePayload(errors=errors)
        services.task_delete(task=task)
        return DeletePayload(deleted_id=id)
