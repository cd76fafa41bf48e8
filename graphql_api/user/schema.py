"""The user domain's root fields: you (`me`), sessions, and your personal access tokens."""

import strawberry

from graphql_api.nodes import viewer_field
from graphql_api.user.access_tokens import AccessTokenMutation, AccessTokenQuery
from graphql_api.user.mutations import UserMutation
from graphql_api.user.types import User


@strawberry.type
class UserQuery:
    me: User | None = viewer_field(description="You, when logged in; null otherwise.")


__all__ = ["AccessTokenMutation", "AccessTokenQuery", "UserMutation", "UserQuery"]
