"""The connection type every list uses, and the page rules both read paths share.

Relay cursors, a total count, pages of at most settings.GRAPHQL_MAX_PAGE_SIZE (100 unless the
operator raises it), read for each request. GraphQL's executor (through `Connection` and the
schema's `PageLimitConfig`) and the read path (graphql_api/readpath/) call the functions below;
neither keeps a copy of these rules.
"""

from typing import Any

import strawberry
from django.conf import settings
from django.db import models
from strawberry import relay
from strawberry.schema.config import StrawberryConfig
from strawberry_django.relay import DjangoListConnection

from graphql_api.errors import ErrorCode, FieldError, UserError
from graphql_api.readpath.internals import PREFIX, SliceMetadata


def page_limit() -> int:
    """The most rows one page may hold, and the page size when none is asked for."""
    return settings.GRAPHQL_MAX_PAGE_SIZE


class PageLimitConfig(StrawberryConfig):
    """Strawberry's configuration, with `relay_max_results` read from the settings each time.

    Strawberry and strawberry-django read it for every page they cut (root lists and nested
    prefetches alike); a value fixed when the schema was built would disagree with the read
    path once the operator changed the setting.
    """

    @property
    def relay_max_results(self) -> int:
        return page_limit()

    @relay_max_results.setter
    def relay_max_results(self, value: int) -> None:
        pass  # the setting decides, per request


def page_argument_error(
    *, first: int | None, last: int | None, after: str | None, before: str | None
) -> UserError | None:
    """The error the client is told for page arguments the API refuses, or None."""
    limit = page_limit()
    for argument, size in (("first", first), ("last", last)):
        if size is not None and not 0 <= size <= limit:
            return _refusal(argument, f"'{argument}' must be between 0 and {limit}; got {size}.")
    for argument, cursor in (("after", after), ("before", before)):
        if cursor and cursor_position(cursor) is None:
            return _refusal(
                argument, f"'{argument}' is not a cursor: use a pageInfo or edge cursor."
            )
    return None


def page_slice(*, first: int | None, after: str | None) -> SliceMetadata:
    """Which rows a forward page holds: Strawberry's Relay slice under this API's limit."""
    return SliceMetadata.from_arguments(
        None, first=first, after=after, max_results=page_limit(), prefix=PREFIX
    )


def cursor(position: int) -> str:
    """The cursor of the row at `position` (0 for the first row of the whole list)."""
    return relay.to_base64(PREFIX, position)


# Positions beyond this do not fit the database's 64-bit OFFSET once a page is added.
MAX_POSITION = 2**62


def cursor_position(value: str) -> int | None:
    """The position a cursor this API hands out names, or None if it is not one."""
    try:
        prefix, position = relay.from_base64(value)
    except (ValueError, TypeError):
        return None
    if prefix != PREFIX or not (position.isascii() and position.isdigit()) or len(position) > 19:
        return None
    number = int(position)
    return number if number < MAX_POSITION else None


def node_rows(model: type[models.Model]) -> models.QuerySet:
    """The rows an object fetched by id comes from: the default manager, as strawberry-django."""
    return model._default_manager.all()


def related_rows(model: type[models.Model]) -> models.QuerySet:
    """The rows related objects come from: the base manager, as strawberry-django's prefetches."""
    return model._base_manager.all()


@strawberry.type(description="A page of a list, with Relay cursors and the total count.")
class Connection(DjangoListConnection[relay.NodeType]):
    @classmethod
    def resolve_connection(cls, nodes: Any, *, info: Any, **kwargs: Any) -> Any:
        refusal = page_argument_error(
            first=kwargs.get("first"), last=kwargs.get("last"),
            after=kwargs.get("after"), before=kwargs.get("before"),
        )  # fmt: skip
        if refusal is not None:
            raise refusal
        return super().resolve_connection(nodes, info=info, **kwargs)


def _refusal(argument: str, message: str) -> UserError:
    code = ErrorCode.OUT_OF_RANGE if argument in {"first", "last"} else ErrorCode.INVALID
    return UserError(message, code, [FieldError(field=argument, message=message, code=code)])
