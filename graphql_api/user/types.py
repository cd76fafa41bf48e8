"""The User type: public profile fields for everyone, private ones for the user and staff."""

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry
import strawberry_django
from strawberry import relay
from strawberry.types import Info

from graphql_api.connections import Connection
from graphql_api.ids import pk_id_attr, resolve_node
from graphql_api.permissions import current_user
from learningplatform import models
from learningplatform.selectors import can_see_private_fields_of

if TYPE_CHECKING:
    from graphql_api.course.types import Course

PRIVATE = "Visible to the user themselves and to staff; null for everyone else."


@strawberry_django.type(models.User, name="User", description="A person: student or instructor.")
class User(relay.Node):
    resolve_id_attr = classmethod(pk_id_attr)
    resolve_node = classmethod(resolve_node)

    username: str
    first_name: str
    last_name: str
    bio: str | None
    courses: Connection[Annotated["Course", strawberry.lazy("graphql_api.course.types")]] = (
        strawberry_django.connection(description="Courses this user teaches that you can see.")
    )

    @strawberry_django.field(only=["profile_picture"])
    def profile_picture_url(self) -> str | None:
        return self.profile_picture.url if self.profile_picture else None

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
