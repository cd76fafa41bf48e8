"""The connection type every list uses: Relay cursors, a total count, pages of at most 100."""

from typing import Any

import strawberry
from strawberry import relay
from strawberry_django.relay import DjangoListConnection

from graphql_api.errors import ErrorCode, FieldError, UserError

MAX_PAGE_SIZE = 100


@strawberry.type(description="A page of a list, with Relay cursors and the total count.")
class Connection(DjangoListConnection[relay.NodeType]):
    @classmethod
    def resolve_connection(cls, nodes: Any, *, info: Any, **kwargs: Any) -> Any:
        for argument in ("first", "last"):
            size = kwargs.get(argument)
            if size is not None and not 0 <= size <= MAX_PAGE_SIZE:
                message = f"'{argument}' must be between 0 and {MAX_PAGE_SIZE}; got {size}."
                raise UserError(
                    message,
                    ErrorCode.OUT_OF_RANGE,
                    [FieldError(field=argument, message=message, code=ErrorCode.OUT_OF_RANGE)],
                )
        return super().resolve_connection(nodes, info=info, **kwargs)
