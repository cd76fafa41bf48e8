"""accessTokens, createAccessToken and revokeAccessToken: your personal access tokens."""

from datetime import datetime

import strawberry
from strawberry import relay
from strawberry.types import Info

from graphql_api.errors import ErrorCode, FieldError, error
from graphql_api.payloads import run_service
from graphql_api.permissions import current_user, object_for, require_login
from learningplatform import access_tokens, choices
from learningplatform.models import PersonalAccessToken
from learningplatform.selectors import access_tokens_visible_to

TokenScope = strawberry.enum(
    choices.TokenScope, name="TokenScope", description=choices.TokenScope.__doc__
)


@strawberry.type(description="A personal access token of yours; its secret was shown once.")
class AccessToken:
    id: relay.GlobalID
    name: str
    scope: TokenScope
    hint: str = strawberry.field(description="The token's first characters, to tell it apart.")
    created_at: datetime
    expires_at: datetime
    last_used_at: datetime | None = strawberry.field(description="To the minute; null: never.")
    revoked_at: datetime | None

    @classmethod
    def of(cls, token: PersonalAccessToken) -> "AccessToken":
        return cls(
            id=relay.GlobalID("AccessToken", str(token.pk)),
            name=token.name,
            scope=TokenScope(token.scope),
            hint=token.hint,
            created_at=token.created_at,
            expires_at=token.expires_at,
            last_used_at=token.last_used_at,
            revoked_at=token.revoked_at,
        )


@strawberry.input
class CreateAccessTokenInput:
    name: str
    scope: TokenScope = TokenScope.READ
    expires_in_days: int = strawberry.field(
        default=30, description=f"1 to {access_tokens.MAX_LIFETIME_DAYS}."
    )


@strawberry.type
class CreateAccessTokenPayload:
    token: str | None = strawberry.field(
        default=None,
        description="The secret, shown this once: send it as `Authorization: Bearer <token>`.",
    )
    access_token: AccessToken | None = None
    errors: list[FieldError] = strawberry.field(default_factory=list)


@strawberry.type
class RevokeAccessTokenPayload:
    access_token: AccessToken | None = None
    errors: list[FieldError] = strawberry.field(default_factory=list)


def _request_token(info: Info) -> PersonalAccessToken | None:
    return getattr(info.context.request, "access_token", None)


@strawberry.type
class AccessTokenQuery:
    @strawberry.field(description="Your personal access tokens, newest first; empty if anonymous.")
    def access_tokens(self, info: Info) -> list[AccessToken]:
        return [AccessToken.of(token) for token in access_tokens_visible_to(current_user(info))]


@strawberry.type
class AccessTokenMutation:
    @strawberry.mutation(
        description="Make a personal access token for a client without a browser (a script, an "
        "app, a server). Needs a session: a token cannot make tokens."
    )
    def create_access_token(
        self, info: Info, input: CreateAccessTokenInput
    ) -> CreateAccessTokenPayload:
        if errors := require_login(info):
            return CreateAccessTokenPayload(errors=errors)
        if _request_token(info) is not None:
            return CreateAccessTokenPayload(
                errors=error(
                    ErrorCode.PERMISSION_DENIED,
                    "Tokens are made from a logged-in session, not with another token.",
                )
            )
        made, errors = run_service(
            info,
            access_tokens.access_token_create,
            user=current_user(info),
            name=input.name,
            scope=input.scope.value,
            expires_in_days=input.expires_in_days,
        )
        if errors:
            return CreateAccessTokenPayload(errors=errors)
        token, secret = made
        return CreateAccessTokenPayload(token=secret, access_token=AccessToken.of(token))

    @strawberry.mutation(description="Revoke one of your tokens; it is refused from now on.")
    def revoke_access_token(self, info: Info, id: relay.GlobalID) -> RevokeAccessTokenPayload:
        if errors := require_login(info):
            return RevokeAccessTokenPayload(errors=errors)
        token, errors = object_for(
            info, id, type_name="AccessToken", visible=access_tokens_visible_to
        )
        if errors:
            return RevokeAccessTokenPayload(errors=errors)
        token = access_tokens.access_token_revoke(token=token)
        return RevokeAccessTokenPayload(access_token=AccessToken.of(token))
