"""The ids of a level's parents as one SQL parameter, for the read path and the nested lists.

`InIds(F("course_id"), IDS)` is `course_id = ANY(%s::bigint[])` on PostgreSQL and
`course_id IN (SELECT value FROM json_each(%s))` on SQLite: one parameter whatever the number of
parents, so a statement's text is the same for any parents (graphql_api/readpath/statements.py
keeps it compiled), filled in each time it runs. Apart from the read path, so that
graphql_api/connections.py, which the read path imports, can use it too.
"""

from typing import Any

from django.db import NotSupportedError
from django.db.models import Lookup


class Ids:
    """Where a statement takes the ids it reads: one parameter, filled in each time it runs."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "<ids>"


IDS = Ids()


class InIds(Lookup):
    """`column IN ids`, with the ids as one array parameter: `InIds(F("course_id"), IDS)`."""

    lookup_name = "in_ids"
    prepare_rhs = False

    def get_prep_lookup(self) -> Any:
        return self.rhs

    def as_sql(self, compiler, connection) -> tuple[str, list]:
        lhs, lhs_params = self.process_lhs(compiler, connection)
        if connection.vendor == "postgresql":
            array = f"{self.lhs.output_field.db_type(connection)}[]"
            return f"{lhs} = ANY(%s::{array})", [*lhs_params, self.rhs]  # noqa: S608 - names only
        if connection.vendor == "sqlite":
            sql = f"{lhs} IN (SELECT value FROM json_each(%s))"  # noqa: S608  # nosec B608 - a column
            return sql, [*lhs_params, self.rhs]
        raise NotSupportedError(f"array parameters on {connection.vendor}")
