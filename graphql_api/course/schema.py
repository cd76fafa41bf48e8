"""The course domain's root fields."""

from collections.abc import Iterable

import strawberry
import strawberry_django
from strawberry.types import Info

from graphql_api.connections import Connection
from graphql_api.course.filters import CourseFilterInput, CourseOrder
from graphql_api.course.mutations import CourseMutation
from graphql_api.course.types import Course
from graphql_api.filters import apply_filter, apply_order
from learningplatform import models


@strawberry.type
class CourseQuery:
    course: Course | None = strawberry_django.node(
        description="A course by id; null if there is none you can see."
    )

    @strawberry_django.connection(
        Connection[Course],
        description="Courses you can see, a page at a time (at most the page size limit).",
        disable_optimization=True,  # the connection optimizes the page (connections.py)
    )
    def courses(
        self,
        info: Info,
        filter: CourseFilterInput | None = None,  # noqa: A002 - the GraphQL argument's name
        order_by: CourseOrder | None = None,
    ) -> Iterable[models.Course]:
        # Visibility: Course.get_queryset (courses_visible_to), which strawberry-django applies
        # to every list of courses, this one included; filtering here too would repeat it.
        courses = models.Course.objects.all()
        courses = apply_filter(courses, filter, info)
        return apply_order(courses, order_by)


__all__ = ["CourseMutation", "CourseQuery"]
