"""The User type: the username for everyone who may see the user, the rest for them and staff.

Who may see a user at all is learningplatform.selectors.users_visible_to: an id of a user you
may not see answers null, like an unknown one.
"""

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from django.db.models import QuerySet
from strawberry import relay
from strawberry.types import Info

from graphql_api.connections import Connection
from graphql_api.course.filters import CourseOrder
from graphql_api.nested import NestedTotals, nested_connection
from graphql_api.nodes import node_type, private_field
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


def _private(attname: str, **kwargs) -> Any:
    """A field of the user's own: for them and staff, null for everyone else."""
    return private_field(
        attname,
        may_see=can_see_private_fields_of,
        description="Visible to the user themselves and to staff; null for everyone else.",
        **kwargs,
    )


@node_type(models.User, name="User", description="A person: student or instructor.")
class User(relay.Node):
    username: str
    courses: Connection[Annotated["Course", strawberry.lazy("graphql_api.course.types")]] = (
        nested_connection(CourseOrder, COURSE_TOTALS, "Courses this user teaches that you can see.")
    )
    first_name: str | None = _private("first_name")
    last_name: str | None = _private("last_name")
    bio: str | None = _private("bio")
    profile_picture_url: str | None = _private(
        "profile_picture", answer=lambda picture: picture.url if picture else None
    )
    email: str | None = _private("email")
    date_joined: datetime | None = _private("date_joined")
    last_login: datetime | None = _private("last_login")
    is_staff: bool | None = _private("is_staff")

    @classmethod
    def get_queryset(cls, queryset: QuerySet, info: Info, **kwargs) -> QuerySet:
        return users_visible_to(current_user(info), queryset)
