"""A deadline for the whole request: each SQL statement may use only the time the request has left.

A statement timeout alone bounds each statement, not the request: ten statements of 9 s each
pass it and hold a worker for 90 s, until gunicorn kills it and the client gets nothing. Here
the request's budget (settings.STATEMENT_TIMEOUT_MS, counted from its start) is what each next
statement may use: on PostgreSQL the session's statement_timeout is lowered to the time left
before a statement when it would otherwise outlive the deadline, and restored after the
request; behind a pooler in transaction mode (settings.DB_TRANSACTION_POOLING), where a session
setting would stay on a server connection another client gets next, each statement carries its
own `SET LOCAL statement_timeout` in the same round trip; on SQLite a progress handler
interrupts a statement at the deadline. Every database of the request (primary and replicas)
is held to the one deadline. A statement that
would start after the deadline is not run. Either way the request fails with `RequestTimedOut`,
which the API reports as its TIMEOUT error.
"""

import time
import weakref
from collections.abc import Callable
from contextlib import ExitStack

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, DatabaseError, OperationalError, connections
from django.http import HttpRequest, HttpResponse, JsonResponse

# A statement may overrun the deadline by this much before the timeout is set again: setting it
# costs a round trip, and a request far from its deadline should not pay one per statement.
SLACK_MS = 200

clock = time.monotonic  # tests replace it with a clock they move


class RequestTimedOut(OperationalError):
    """The request used up its time; `sqlstate` as PostgreSQL's own cancellation has it."""

    sqlstate = "57014"


def timeout_message() -> str:
    """What a client is told when its request ran out of time (or a statement was cancelled)."""
    limit = settings.STATEMENT_TIMEOUT_MS / 1000
    reason = (
        f"The request ran longer than the server allows ({limit:g} s) and was stopped"
        if limit
        else "The database cancelled the request"
    )
    return f"{reason}; nothing was written. Ask for less: smaller pages, fewer lists."


class Deadline:
    def __init__(self, budget_ms: int) -> None:
        self.ends = clock() + budget_ms / 1000

    def left_ms(self) -> int:
        return int((self.ends - clock()) * 1000)

    def passed(self) -> bool:
        return self.left_ms() <= 0


# statement_timeout (ms) each PostgreSQL session was last set to by this module.
_session_timeouts: "weakref.WeakKeyDictionary[object, int]" = weakref.WeakKeyDictionary()


class DeadlineWrapper:
    """An execute wrapper (connection.execute_wrapper) holding statements to a deadline."""

    def __init__(self, deadline: Deadline) -> None:
        self.deadline = deadline
        self.changed: set = set()  # the databases whose session timeout was lowered

    def __call__(self, execute: Callable, sql, params, many, context):
        left = self.deadline.left_ms()
        if left <= 0:
            raise RequestTimedOut("The request's time ran out before this statement.")
        database = context["connection"]
        raw = database.connection
        if database.vendor == "postgresql" and settings.DB_TRANSACTION_POOLING and not many:
            # One round trip, one implicit transaction: the timeout ends with the statement.
            limited = f"SET LOCAL statement_timeout = {int(left)}; {sql}"
            result = execute(limited, params, many, context)
            context["cursor"].nextset()  # the statement's own result, after SET's
            return result
        if database.vendor == "postgresql":
            current = _session_timeouts.get(raw, settings.STATEMENT_TIMEOUT_MS)
            if abs(current - left) > SLACK_MS:
                _set_statement_timeout(raw, left)
                self.changed.add(database)
        elif database.vendor == "sqlite":
            raw.set_progress_handler(lambda: int(self.deadline.passed()), 1000)
        try:
            return execute(sql, params, many, context)
        except OperationalError as error:
            if database.vendor == "sqlite" and "interrupted" in str(error):
                raise RequestTimedOut("The statement ran past the request's deadline.") from error
            raise

    def finish(self) -> None:
        """Give the connections back as the next request expects them."""
        for database in connections.all(initialized_only=True):
            raw = database.connection
            if raw is None:
                continue
            if database.vendor == "sqlite":
                raw.set_progress_handler(None, 0)
            elif database in self.changed and not database.in_atomic_block:
                try:
                    _set_statement_timeout(raw, settings.STATEMENT_TIMEOUT_MS)
                except DatabaseError:  # a broken connection: Django replaces it before reuse
                    _session_timeouts.pop(raw, None)


def request_time_left_ms() -> int | None:
    """The milliseconds the current request has left; None outside a request with a deadline."""
    for wrapper in connections[DEFAULT_DB_ALIAS].execute_wrappers:
        if isinstance(wrapper, DeadlineWrapper):
            return wrapper.deadline.left_ms()
    return None


def _set_statement_timeout(raw, milliseconds: int) -> None:
    with raw.cursor() as cursor:  # the driver's own cursor: not through the wrappers again
        cursor.execute(f"SET statement_timeout = {int(milliseconds)}")
    _session_timeouts[raw] = milliseconds


class RequestDeadlineMiddleware:
    """Give every request settings.STATEMENT_TIMEOUT_MS of database time from its start."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        budget = settings.STATEMENT_TIMEOUT_MS
        if not budget:
            return self.get_response(request)
        wrapper = DeadlineWrapper(Deadline(budget))
        try:
            with ExitStack() as stack:
                for database in connections.all():  # the primary and each replica
                    stack.enter_context(database.execute_wrapper(wrapper))
                return self.get_response(request)
        finally:
            wrapper.finish()

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        """Time that ran out before GraphQL started (loading the session, say): the same error."""
        if not isinstance(exception, RequestTimedOut):
            return None
        error = {"message": timeout_message(), "extensions": {"code": "TIMEOUT"}}
        return JsonResponse({"errors": [error]}, status=503)
