"""The User type: the username for everyone who may see the user, the rest for them and staff.

Who may see a user at all is learningplatform.selectors.users_visible_to: an id of a user you
may not see answers null, like an unknown one.
"""

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, ClassVar

import strawberry
import strawberry_django
from django.db.models import QuerySet
from strawberry import relay
from strawberry.types import Info

from graphql_api.connections import Connection
from graphql_api.course.filters import CourseOrder
from graphql_api.ids import pk_id_attr, resolve_node
from graphql_api.nested import NestedTotals, nested_connection
from graphql_api.permissions import current_user
from learningplatform import models
from learningplatform.selectors import (
    can_see_private_fields_of,
    courses_visible_to,
    users_visible_to,
)

if TYPE_CHECKING:
    from graphql_api.course.types import Course

COURSE_TOTALS = NestedTotals(
    lambda user: courses_visible_to(user, models.Course._base_manager.all()),
    parent="instructor_id", relation="courses",
)  # fmt: skip

PRIVATE = "Visible to the user themselves and to staff; null for everyone else."


@strawberry_django.type(models.User, name="User", description="A person: student or instructor.")
class User(relay.Node):
    resolve_id_attr = classmethod(pk_id_attr)
    resolve_node = classmethod(resolve_node)

    # The read path (graphql_api/readpath/) answers these columns from rows, nulled
    # unless may_see_private_columns; the resolvers below are the executor's.
    private_columns: ClassVar[dict[str, str]] = {
        "firstName": "first_name",
        "lastName": "last_name",
        "bio": "bio",
        "email": "email",
        "dateJoined": "date_joined",
        "lastLogin": "last_login",
        "isStaff": "is_staff",
    }

    username: str
    courses: Connection[Annotated["Course", strawberry.lazy("graphql_api.course.types")]] = (
        nested_connection(CourseOrder, COURSE_TOTALS, "Courses this user teaches that you can see.")
    )

    @strawberry_django.field(only=["first_name"], description=PRIVATE)
    def first_name(self, info: Info) -> str | None:
        return self.first_name if can_see_private_fields_of(current_user(info), self) else None

    @strawberry_django.field(only=["last_name"], description=PRIVATE)
    def last_name(self, info: Info) -> str | None:
        return self.last_name if can_see_private_fields_of(current_user(info), self) else None

    @strawberry_django.field(only=["bio"], description=PRIVATE)
    def bio(self, info: Info) -> str | None:
        return self.bio if can_see_private_fields_of(current_user(info), self) else None

    @strawberry_django.field(only=["profile_picture"], description=PRIVATE)
    def profile_picture_url(self, info: Info) -> str | None:
        if not self.profile_picture or not can_see_private_fields_of(current_user(info), self):
            return None
        return self.profile_picture.url

    @strawberry_django.field(only=["email"], description=PRIVATE)
    def email(self, info: Info) -> str | None:
        return self.email if can_see_private_fields_of(current_user(info), self) else None

    @strawberry_django.field(only=["date_joined"], description=PRIVATE)
    def date_joined(self, info: Info) -> datetime | None:
        return self.date_joined if can_see_private_fields_of(current_user(info), self) else None

    @strawberry_django.field(only=["last_login"], description=PRIVATE)
    def last_login(self, info: Info) -> datetime | None:
        return self.last_login if can_see_private_fields_of(current_user(info), self) else None

    @strawberry_django.field(only=["is_staff"], description=PRIVATE)
    def is_staff(self, info: Info) -> bool | None:
        return self.is_staff if can_see_private_fields_of(current_user(info), self) else None

    @classmethod
    def get_queryset(cls, queryset: QuerySet, info: Info, **kwargs) -> QuerySet:
        return users_visible_to(current_user(info), queryset)

    @staticmethod
    def may_see_private_columns(viewer, pk: int) -> bool:
        return can_see_private_fields_of(viewer, models.User(pk=pk))
