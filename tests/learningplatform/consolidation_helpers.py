"""Helpers shared by the consolidation tests."""

import hashlib

from django.db import connection

# Tables whose content says nothing about the data (Django's bookkeeping, planner statistics).
IGNORED_TABLES = {
    "django_migrations",
    "django_session",
    "sqlite_sequence",
    "sqlite_stat1",
    "sqlite_stat4",
}


def database_checksum(using=connection) -> dict[str, str]:
    """A digest of every row of every table, per table: equal digests mean equal contents.

    Values are taken by column name, so a table SQLite rebuilt with its columns in another
    order (as some reverse migrations do) still has the same digest.
    """
    digests = {}
    with using.cursor() as cursor:
        for table in sorted(set(using.introspection.table_names()) - IGNORED_TABLES):
            cursor.execute(f"SELECT * FROM {table}")  # noqa: S608 - names from introspection
            names = [column[0] for column in cursor.description]
            rows = sorted(repr(sorted(zip(names, row, strict=True))) for row in cursor.fetchall())
            digests[table] = hashlib.sha256("\n".join(rows).encode()).hexdigest()
    return digests
