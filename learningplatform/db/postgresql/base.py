"""Django's PostgreSQL backend, with a connection health check that costs no round trip.

Django checks a persistent connection before a request's first statement with `SELECT 1`, a
round trip on every request. Here the check asks the connection itself: psycopg's view of it,
and its socket, which is readable on an idle connection only when the server has closed it (or
sent something unasked, after which a fresh connection is the safe choice too).
"""

import select

from django.db.backends.postgresql import base
from psycopg import pq


class DatabaseWrapper(base.DatabaseWrapper):
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
