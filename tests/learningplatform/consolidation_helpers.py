"""Helpers shared by the consolidation tests."""

import hashlib

from django.db import connection

# Tables whose content says nothing about the data (and that Django rewrites as it likes).
IGNORED_TABLES = {"django_migrations", "django_session", "sqlite_sequence"}


def database_checksum(using=connection) -> dict[str, str]:
    """A digest of every row of every table, per table: equal digests mean equal contents."""
    digests = {}
    with using.cursor() as cursor:
        for table in sorted(set(using.introspection.table_names()) - IGNORED_TABLES):
            cursor.execute(f"SELECT * FROM {table}")  # noqa: S608 - names from introspection
            rows = sorted(repr(row) for row in cursor.fetchall())
            digests[table] = hashlib.sha256("\n".join(rows).encode()).hexdigest()
    return digests
