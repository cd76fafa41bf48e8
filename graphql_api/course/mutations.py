"""createCourse, updateCourse, deleteCourse."""

import strawberry
from strawberry import UNSET, relay
from strawberry.types import Info

from graphql_api.course.types import Course
from graphql_api.enums import CourseStatus, DifficultyLevel, Duration, Visibility
from graphql_api.errors import ErrorCode, FieldError, error
from graphql_api.payloads import DeletePayload, given_fields, run_service
from graphql_api.permissions import current_user, object_for, require_login
from learningplatform import services
from learningplatform.selectors import can_create_courses, can_manage_course, courses_visible_to


@strawberry.input
class CreateCourseInput:
    title: str
    description: str = ""
    status: CourseStatus = CourseStatus.DRAFT
    visibility: Visibility = Visibility.PUBLIC
    learning_objectives: str | None = None
    prerequisites: str | None = None
    duration: Duration | None = None
    difficulty_level: DifficultyLevel | None = None


@strawberry.input(description="The course to change and the fields to change; others stay.")
class UpdateCourseInput:
    id: relay.GlobalID
    title: str | None = UNSET
    description: str | None = UNSET
    status: CourseStatus | None = UNSET
    visibility: Visibility | None = UNSET
    learning_objectives: str | None = UNSET
    prerequisites: str | None = UNSET
    duration: Duration | None = UNSET
    difficulty_level: DifficultyLevel | None = UNSET


@strawberry.type
class CoursePayload:
    course: Course | None = None
    errors: list[FieldError] = strawberry.field(default_factory=list)


@strawberry.type
class CourseMutation:
    @strawberry.mutation(description="Create a course taught by you (instructors and staff).")
    def create_course(self, info: Info, input: CreateCourseInput) -> CoursePayload:
        if errors := require_login(info):
            return CoursePayload(errors=errors)
        user = current_user(info)
        if not can_create_courses(user):
            return CoursePayload(
                errors=error(ErrorCode.PERMISSION_DENIED, "Only instructors can create courses.")
            )
        course, errors = run_service(
            info, services.course_create, instructor=user, **given_fields(input)
        )
        return CoursePayload(course=course, errors=errors)

    @strawberry.mutation(description="Change a course you teach.")
    def update_course(self, info: Info, input: UpdateCourseInput) -> CoursePayload:
        course, errors = object_for(
            info,
            input.id,
            type_name="Course",
            visible=courses_visible_to,
            allowed=can_manage_course,
        )
        if errors:
            return CoursePayload(errors=errors)
        course, errors = run_service(
            info, services.course_update, course=course, **given_fields(input, exclude=("id",))
        )
        return CoursePayload(course=course, errors=errors)

    @strawberry.mutation(description="Delete a course you teach, with its tasks and submissions.")
    def delete_course(self, info: Info, id: relay.GlobalID) -> DeletePayload:
        course, errors = object_for(
            info, id, type_name="Course", visible=courses_visible_to, allowed=can_manage_course
        )
        if errors:
            return DeletePayload(errors=errors)
        services.course_delete(course=course)
        return DeletePayload(deleted_id=id)
