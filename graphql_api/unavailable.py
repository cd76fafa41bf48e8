"""A database outage answered as one: 503, Retry-After, the code UNAVAILABLE; and one retry.

learningplatform/db/faults.py decides what is an outage (or a stale prepared statement). Here is
what the API does about it:

- A request that failed on one, having written nothing (a query; a mutation whose transaction
  failed before its commit, which PostgreSQL then rolls back), is answered again once, on a fresh
  connection, while the request's deadline leaves time (`answer_through_outages`, around the
  view). A mutation whose commit was sent but not confirmed is never run again: it may have been
  applied, and its client is told so.
- What still fails answers HTTP 503 with `Retry-After` and a GraphQL error with the code
  UNAVAILABLE (`unavailable_error`), whether it failed inside GraphQL (`note_outage`) or before
  (loading the session: `outage_response`, from the 500 handler).
"""

import logging
from collections.abc import Callable

from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from graphql import GraphQLError

from graphql_api.responses import response_media_type
from learningplatform.db.faults import database_fault
from learningplatform.deadline import request_time_left_ms
from learningplatform.replicas import read_primary_after_replica_fault

# Seconds a client should wait before sending again: a restart of PostgreSQL takes a few.
RETRY_AFTER_SECONDS = 1
# A retry needs a connection and its statements: not worth starting with less time left.
RETRY_MIN_MS = 500

UNAVAILABLE = "UNAVAILABLE"
NOTHING_WRITTEN = (
    "The service is briefly unavailable (its database could not be reached); nothing was "
    "written. Send the request again in a moment."
)
MAYBE_WRITTEN = (
    "The service is briefly unavailable (its database could not be reached) while this change "
    "was being saved: it may or may not have been applied. Read it back before sending it again."
)

logger = logging.getLogger("graphql_api.unavailable")


class Unavailable(Exception):
    """A request failed on a database fault; `written` is False when nothing was, None when the
    database may have committed it."""

    def __init__(self, written: bool | None) -> None:
        super().__init__(NOTHING_WRITTEN if written is False else MAYBE_WRITTEN)
        self.written = written


class CommitUncertain(Exception):
    """A mutation's commit failed on a database fault: it may or may not have been applied."""


def unavailable_error(error: GraphQLError) -> GraphQLError:
    """The UNAVAILABLE error a database fault (database_fault) becomes. Nothing was written
    unless a commit failed: any other failure of a mutation rolls its transaction back."""
    original = error.original_error
    written = None if isinstance(original, CommitUncertain) else False
    unavailable = Unavailable(written)
    unavailable.__cause__ = original
    return GraphQLError(
        str(unavailable), error.nodes, error.source, error.positions, error.path,
        original_error=unavailable, extensions={"code": UNAVAILABLE},
    )  # fmt: skip


def note_outage(request: HttpRequest, result, response: HttpResponse) -> None:
    """Answer 503 with Retry-After when the result carries UNAVAILABLE; keep it for the retry."""
    for error in getattr(result, "errors", None) or ():
        if isinstance(error.original_error, Unavailable):
            response.status_code = 503
            response["Retry-After"] = str(RETRY_AFTER_SECONDS)
            request.outage = error.original_error
            return


def answer_through_outages(request: HttpRequest, answer: Callable[[], HttpResponse]):
    """The answer, run once more on a fresh connection if it failed on a database fault having
    written nothing and the request's deadline leaves time."""
    for attempt in (1, 2):
        request.outage = None
        try:
            response = answer()
        except DatabaseError as error:
            if database_fault(error) is None:
                raise
            # Before GraphQL ran (the CSRF check, the session, the user): nothing was written.
            response = outage_response(request, written=False)
            request.outage = Unavailable(written=False)
        if attempt == 2 or request.outage is None or request.outage.written is not False:
            return response
        left = request_time_left_ms()
        if left is not None and left < RETRY_MIN_MS:
            return response
        logger.warning("Retrying %s %s on a fresh connection", request.method, request.path)
        if not read_primary_after_replica_fault():  # a replica's fault: the primary answers
            connection.close()
    raise AssertionError("unreachable")


def outage_response(request: HttpRequest, *, written: bool | None) -> JsonResponse:
    """The 503 for a database fault met outside GraphQL's execution, in the media type the
    client asked for."""
    error = {"message": str(Unavailable(written)), "extensions": {"code": UNAVAILABLE}}
    response = JsonResponse(
        {"errors": [error]}, status=503, content_type=response_media_type(request)
    )
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response
