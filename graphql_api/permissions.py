"""Where mutations find the object they act on, through learningplatform.selectors' rules.

The rules themselves (who may see or change what) live in learningplatform/selectors.py only.

Objects a user may not act on are reported exactly like unknown ids (NOT_FOUND), so the API
never reveals whether a hidden object exists.
"""

from collections.abc import Callable

from django.contrib.auth.models import AnonymousUser
from django.db.models import Model, QuerySet
from graphql import GraphQLError
from strawberry import relay
from strawberry.extensions import SchemaExtension
from strawberry.types import ExecutionResult, Info

from graphql_api.errors import ErrorCode, FieldError, error
from graphql_api.ids import is_node_id
from graphql_api.library_internals import OperationType
from learningplatform.access_tokens import may_mutate
from learningplatform.models import User


def current_user(info: Info) -> User | AnonymousUser:
    return info.context.request.user


def require_login(info: Info) -> list[FieldError]:
    if current_user(info).is_authenticated:
        return []
    return error(ErrorCode.NOT_AUTHENTICATED, "Log in first (the login mutation).")


def object_for(
    info: Info,
    global_id: relay.GlobalID,
    *,
    type_name: str,
    visible: Callable[..., QuerySet],
    allowed: Callable[[object, Model], bool] = lambda user, obj: True,
    field: str = "id",
    related: tuple[str, ...] = (),
) -> tuple[Model | None, list[FieldError]]:
    """The object a mutation acts on, or the NOT_FOUND error for unknown and forbidden ids.

    `related` names the to-one relations `allowed` and the service read, fetched in the same
    statement.
    """
    user = current_user(info)
    not_found = error(ErrorCode.NOT_FOUND, f"No {type_name.lower()} with id {global_id}.", field)
    if global_id.type_name != type_name:
        return None, not_found
    obj = (
        visible(user).filter(pk=global_id.node_id).select_related(*related).first()
        if is_node_id(global_id.node_id)
        else None
    )
    if obj is None or not allowed(user, obj):
        return None, not_found
    return obj, []


class ReadTokensCannotMutate(SchemaExtension):
    """Refuse, before execution, a mutation sent with a `read` personal access token."""

    def on_execute(self):
        context = self.execution_context
        token = getattr(context.context.request, "access_token", None)
        if context.operation_type == OperationType.MUTATION and not may_mutate(token):
            message = (
                "This token's scope is read: it runs queries only. "
                "Make a token with the write scope to change data."
            )
            error = GraphQLError(message, extensions={"code": ErrorCode.INSUFFICIENT_SCOPE.value})
            context.result = ExecutionResult(data=None, errors=[error])
        yield
