"""What every mutation shares: reading the fields a client gave, running one service, and the
payload of a deletion."""

from collections.abc import Callable
from typing import Any

import strawberry
from django.core.exceptions import ValidationError
from strawberry import UNSET, relay
from strawberry.types import Info

from graphql_api.errors import FieldError, field_errors
from graphql_api.transactions import own_savepoint


def given_fields(data: object, *, exclude: tuple[str, ...] = ()) -> dict[str, Any]:
    """The input's fields the client set (null included), without those named in `exclude`."""
    return {
        name: value
        for name, value in vars(data).items()
        if value is not UNSET and name not in exclude
    }


def run_service(
    info: Info,
    service: Callable[..., Any],
    *,
    field_names: dict[str, str] | None = None,
    **kwargs: Any,
) -> tuple[Any, list[FieldError]]:
    """Call a service; a ValidationError becomes field errors and nothing is written."""
    try:
        with own_savepoint(info):
            return service(**kwargs), []
    except ValidationError as error:
        return None, field_errors(error, field_names)


@strawberry.type
class DeletePayload:
    deleted_id: relay.GlobalID | None = None
    errors: list[FieldError] = strawberry.field(default_factory=list)
