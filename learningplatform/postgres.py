"""Timestamps read from PostgreSQL by psycopg's C loader instead of Django's Python one.

Django registers its own `timestamptz` loader on every connection, a subclass of psycopg's
pure-Python loader that parses each value with a regular expression and then sets the tzinfo
to the connection's time zone: a cost per value that large answers feel (docs/performance.md
has the figures). psycopg's C loader (psycopg[binary]) parses the same text about ten times
faster and already answers in the connection's time zone. So where the connection is in UTC,
as Django keeps it with USE_TZ and no TIME_ZONE of its own, the C loader is registered in
Django's place: the same datetimes, equal and with the same tzinfo (a test compares them).
Anywhere else (another time zone, no C implementation), nothing changes.
"""

import datetime

from psycopg.pq import Format

from learningplatform.library_internals import CTimestamptzLoader


class UtcTimestamptzLoader:
    """Registered as a loader class; each instance is psycopg's C loader.

    Django reads `timezone` from the registered class to decide whether a cursor needs its own
    loader (DatabaseWrapper.create_cursor), hence a class rather than the C type itself, which
    cannot carry the attribute or be subclassed.
    """

    format = Format.TEXT
    timezone = datetime.UTC

    def __new__(cls, oid, context=None):
        return CTimestamptzLoader(oid, context)


def use_c_timestamp_loader(sender, connection, **kwargs) -> None:
    """connection_created receiver."""
    if (
        connection.vendor != "postgresql"
        or CTimestamptzLoader is None
        or connection.timezone != datetime.UTC
        or connection.connection.info.parameter_status("TimeZone") not in ("UTC", "Etc/UTC")
    ):
        return
    connection.connection.adapters.register_loader("timestamptz", UtcTimestamptzLoader)
