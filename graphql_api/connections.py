"""The connection type every list uses: Relay cursors, a total count, pages of at most 100.

The page limit is settings.GRAPHQL_MAX_PAGE_SIZE (100 unless the operator raises it).
"""

from typing import Any

import strawberry
from django.conf import settings
from strawberry import relay
from strawberry.relay.types import PREFIX
from strawberry_django.relay import DjangoListConnection

from graphql_api.errors import ErrorCode, FieldError, UserError


@strawberry.type(description="A page of a list, with Relay cursors and the total count.")
class Connection(DjangoListConnection[relay.NodeType]):
    @classmethod
    def resolve_connection(cls, nodes: Any, *, info: Any, **kwargs: Any) -> Any:
        limit = settings.GRAPHQL_MAX_PAGE_SIZE
        for argument in ("first", "last"):
            size = kwargs.get(argument)
            if size is not None and not 0 <= size <= limit:
                _refuse(argument, f"'{argument}' must be between 0 and {limit}; got {size}.")
        for argument in ("after", "before"):
            if (cursor := kwargs.get(argument)) and not is_cursor(cursor):
                _refuse(argument, f"'{argument}' is not a cursor: use a pageInfo or edge cursor.")
        return super().resolve_connection(nodes, info=info, **kwargs)


# Positions beyond this do not fit the database's 64-bit OFFSET once a page is added.
MAX_POSITION = 2**62


def is_cursor(value: str) -> bool:
    """Whether `value` is a cursor this API hands out (Relay's base64 'arrayconnection:N')."""
    try:
        prefix, position = relay.from_base64(value)
        return (
            prefix == PREFIX
            and position.isascii()
            and position.isdigit()
            and len(position) <= 19
            and int(position) < MAX_POSITION
        )
    except (ValueError, TypeError):
        return False


def _refuse(argument: str, message: str) -> None:
    code = ErrorCode.OUT_OF_RANGE if argument in {"first", "last"} else ErrorCode.INVALID
    raise UserError(message, code, [FieldError(field=argument, message=message, code=code)])
