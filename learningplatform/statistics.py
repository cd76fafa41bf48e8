"""Fresh planner statistics after bulk writes, so the first request after them is planned well.

A table that just received thousands of rows has no statistics yet (or stale ones), and
PostgreSQL then picks plans made for an empty table: the first reads after a seed or an
upgrade could take seconds. Every command that writes in bulk calls `refresh_statistics`.
"""

from collections.abc import Iterable

from django.db import connection as default_connection
from django.db.models import Model


def refresh_statistics(tables: Iterable[str | type[Model]], connection=default_connection) -> None:
    """ANALYZE each table (a name or a model); PostgreSQL and SQLite both keep the results.

    On PostgreSQL, outside a transaction, VACUUM (ANALYZE) instead: it also fills the visibility
    map, without which a count cannot be answered from an index alone and reads the table.
    """
    quote = connection.ops.quote_name
    vacuum = connection.vendor == "postgresql" and not connection.in_atomic_block
    with connection.cursor() as cursor:
        for table in tables:
            name = table if isinstance(table, str) else table._meta.db_table
            cursor.execute(f"{'VACUUM (ANALYZE)' if vacuum else 'ANALYZE'} {quote(name)}")
