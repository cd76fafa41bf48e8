"""submitTask and gradeSubmission."""

from decimal import Decimal

import strawberry
from strawberry import relay
from strawberry.types import Info

from graphql_api.errors import FieldError
from graphql_api.payloads import run_service
from graphql_api.permissions import current_user, object_for, require_login
from graphql_api.submission.types import Submission
from learningplatform import services
from learningplatform.selectors import (
    can_manage_course,
    submissions_visible_to,
    tasks_visible_to,
)


@strawberry.input
class SubmitTaskInput:
    task_id: relay.GlobalID
    content: str


@strawberry.input
class GradeSubmissionInput:
    submission_id: relay.GlobalID
    score: Decimal


@strawberry.type
class SubmissionPayload:
    submission: Submission | None = None
    errors: list[FieldError] = strawberry.field(default_factory=list)


@strawberry.type
class SubmissionMutation:
    @strawberry.mutation(
        description="Hand in your next attempt at a task. Refused once the task's "
        "maxSubmissions are used, after its deadline, or when its course is not published."
    )
    def submit_task(self, info: Info, input: SubmitTaskInput) -> SubmissionPayload:
        if errors := require_login(info):
            return SubmissionPayload(errors=errors)
        task, errors = object_for(
            info, input.task_id, type_name="Task", visible=tasks_visible_to, field="taskId"
        )
        if errors:
            return SubmissionPayload(errors=errors)
        submission, errors = run_service(
            info,
            services.submission_create,
            task=task,
            user=current_user(info),
            content=input.content,
            field_names={"task": "taskId"},
        )
        return SubmissionPayload(submission=submission, errors=errors)

    @strawberry.mutation(description="Score a submission to a course you teach (0 to maxScore).")
    def grade_submission(self, info: Info, input: GradeSubmissionInput) -> SubmissionPayload:
        submission, errors = object_for(
            info,
            input.submission_id,
            type_name="Submission",
            visible=submissions_visible_to,
            allowed=lambda user, submission: can_manage_course(user, submission.task.course),
            field="submissionId",
            related=("task__course",),
        )
        if errors:
            return SubmissionPayload(errors=errors)
        submission, errors = run_service(
            info,
            services.submission_grade,
            submission=submission,
            grader=current_user(info),
            score=input.score,
        )
        return SubmissionPayload(submission=submission, errors=errors)
