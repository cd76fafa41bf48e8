"""Django's PostgreSQL backend, with a connection health check that costs no round trip.

Django checks a persistent connection before a request's first statement with `SELECT 1`, a
round trip on every request. Here the check asks the connection itself: psycopg's view of it,
and its socket, which is readable on an idle connection only when the server has closed it (or
sent something unasked, after which a fresh connection is the safe choice too).

It also keeps prepared statements from failing requests after a migration: a statement prepared
on a connection before a column's type changed fails once run again ("cached plan must not
change result type"). Outside a transaction the statement is run again at once, after
`DEALLOCATE ALL` (which psycopg sees, forgetting its own list, so the retry runs unprepared). In
a transaction, which PostgreSQL has then aborted, the error goes up: the rollback deallocates
every statement (psycopg does that on any rollback), and the API runs the request again, nothing
having been written (graphql_api/unavailable.py). docs/adr/0012 says why this way.
"""

import select
from collections.abc import Callable

from django.db import DatabaseError
from django.db.backends.postgresql import base
from psycopg import pq

from learningplatform.db.faults import Fault, database_fault


def run_again_if_stale(execute: Callable, sql, params, many, context):
    """An execute wrapper: a statement that failed as stale runs once more, unprepared."""
    try:
        return execute(sql, params, many, context)
    except DatabaseError as error:
        raw = context["connection"].connection
        if (
            database_fault(error) is not Fault.STALE_STATEMENT
            or raw.info.transaction_status != pq.TransactionStatus.IDLE
        ):
            raise
        raw.execute("DEALLOCATE ALL", prepare=False)
    return execute(sql, params, many, context)


class DatabaseWrapper(base.DatabaseWrapper):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # First in the list: the innermost wrapper, so a retry is not counted twice by the others.
        self.execute_wrappers.append(run_again_if_stale)

    def is_usable(self) -> bool:
        """Whether the connection is open and idle, the server having said nothing since."""
        connection = self.connection
        if connection is None or connection.closed:
            return False
        if connection.pgconn.status != pq.ConnStatus.OK:
            return False
        if connection.info.transaction_status != pq.TransactionStatus.IDLE:
            return super().is_usable()  # mid-transaction: ask the server, as Django does
        try:
            readable, _, _ = select.select([connection.fileno()], [], [], 0)
        except (OSError, ValueError):
            return False
        return not readable
