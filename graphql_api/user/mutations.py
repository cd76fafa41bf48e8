"""login and logout."""

import strawberry
from django.contrib import auth
from strawberry.types import Info

from graphql_api.errors import ErrorCode, FieldError, error
from graphql_api.user.types import User
from learningplatform.throttling import lockout_message


@strawberry.type
class LoginPayload:
    user: User | None = None
    errors: list[FieldError] = strawberry.field(default_factory=list)


@strawberry.type
class LogoutPayload:
    ok: bool


@strawberry.type
class UserMutation:
    @strawberry.mutation(
        description="Start a session (a cookie). Later POSTs must send the CSRF token from "
        "the csrftoken cookie in the X-CSRFToken header. Failed logins are throttled per "
        "account and per client address; a request may log in once."
    )
    def login(self, info: Info, username: str, password: str) -> LoginPayload:
        request = info.context.request
        user = auth.authenticate(request, username=username, password=password)
        if getattr(request, "axes_locked_out", False):
            return LoginPayload(errors=error(ErrorCode.THROTTLED, lockout_message()))
        if user is None:
            return LoginPayload(
                errors=error(ErrorCode.INVALID_CREDENTIALS, "Wrong username or password.")
            )
        auth.login(request, user)
        return LoginPayload(user=user)

    @strawberry.mutation(description="End the session.")
    def logout(self, info: Info) -> LogoutPayload:
        auth.logout(info.context.request)
        return LogoutPayload(ok=True)
