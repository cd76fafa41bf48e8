"""Which database failures are faults of the moment, not of the request: the one classification.

- An **outage**: the database cannot be reached or went away under the request (connection
  refused or lost, the server shutting down, starting up or in recovery, too many connections, a
  standby promoted under a write). The request itself is fine; the same request a moment later
  will most likely be answered. The API answers 503 with Retry-After and the code UNAVAILABLE.
- A **stale statement**: a statement prepared on this connection no longer matches the schema
  (a migration changed a column's type under it: "cached plan must not change result type"), or
  is gone from the server. Run again unprepared it succeeds; the backend does that at once
  (learningplatform/db/postgresql/base.py).

Everything else (a constraint, a bug, a cancelled statement) is neither: it stays what it was.
"""

from enum import Enum

import psycopg
from django.db import InterfaceError as DjangoInterfaceError


class Fault(Enum):
    OUTAGE = "outage"
    STALE_STATEMENT = "stale statement"


# SQLSTATEs of an outage: class 08 (connection exceptions), the server shutting down (57P01
# admin, 57P02 crash), not accepting connections yet (57P03: starting up, in recovery), the
# connection limit (53300), and a write sent to a standby (25006: a failover in progress, or a
# replica behind an address the primary held).
OUTAGE_STATES = {"57P01", "57P02", "57P03", "53300", "25006"}

# SQLSTATEs of a stale statement: feature_not_supported (0A000) is also raised for other
# reasons, so its message is checked too; 26000 is a prepared statement the server no longer has.
STALE_MESSAGE = "cached plan must not change result type"


def database_fault(error: BaseException | None) -> Fault | None:
    """The fault behind an exception (or any exception it was raised from), if it is one."""
    seen = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        if (fault := _fault_of(error)) is not None:
            return fault
        error = error.__cause__ or error.__context__
    return None


def _fault_of(error: BaseException) -> Fault | None:
    sqlstate = getattr(error, "sqlstate", None)
    if sqlstate is not None:
        if sqlstate.startswith("08") or sqlstate in OUTAGE_STATES:
            return Fault.OUTAGE
        if sqlstate == "26000" or (sqlstate == "0A000" and STALE_MESSAGE in str(error)):
            return Fault.STALE_STATEMENT
        return None
    # psycopg raises OperationalError without a SQLSTATE when the server never answered: the
    # connection could not be made, or broke before a result ("server closed the connection
    # unexpectedly", "consuming input failed", "the connection is closed").
    if isinstance(error, psycopg.OperationalError):
        return Fault.OUTAGE
    # psycopg's and Django's word for a connection already known to be closed.
    if isinstance(error, psycopg.InterfaceError | DjangoInterfaceError) and "closed" in str(error):
        return Fault.OUTAGE
    return None
