"""One statement for an object and its lists: each nested level's rows a column of its row.

The read path reads one statement per level (statements.py): the frontend's course page is the
course, then its tasks, then their total, three round trips. On PostgreSQL, an object asked for
by id reads its nested lists' rows in its own statement instead, as PostGraphile and the floor
do: each level's statement, unchanged, becomes a subquery of the parent's row, its parents' ids
parameter the parent's own id, its rows aggregated into one JSON array (`json_agg`):

    SELECT (SELECT json_agg(json_build_array("t"."c0", "t"."c1"::text, ...))
              FROM (<the tasks' statement, for ARRAY["p"."c0"]>) AS "t"("c0", "c1", ...)),
           ...,
           "p".*
    FROM (<the course's statement>) AS "p"("c0")

Measured (bench/readpath_switches.py, "unfolded"; docs/performance.md): one statement instead
of three for the course page, and unfolded it costs 1.19x the CPU per request in process.

The rows come back as the level's own statement gives them, value for value and type for type,
so everything after reading (the page cut, cursors, the row builders) is the same code:

- integers, booleans and strings travel as JSON's own numbers, booleans and strings, which
  Python's JSON parser gives back exactly;
- every other column (timestamps, dates, times, intervals, decimals, floats, UUIDs) travels as
  its PostgreSQL text, the very text a result row carries, and is read back by the loader the
  connection reads that type with (psycopg's, or the project's own), so a decimal keeps its
  scale and an interval its days;
- then Django's converters of the level, if it has any, as its own statement's rows get them;
- a column of any other kind, or a database other than PostgreSQL: not folded, read by its own
  statement as before.

The order of a level's rows is its statement's own: `json_agg` over a sorted subquery
aggregates in that order (PostgreSQL's documentation of aggregate expressions; the LATERAL join
of `connections.each_parent` relies on the same). tests/graphql_api/test_fold.py compares every
folded level with its own statement's rows for values of every kind, and the differential tests
compare the answers with the executor's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any

import psycopg
from django.db import connections
from psycopg.pq import Format

from graphql_api.readpath.statements import Statement

AS_JSON = {  # Django's internal types whose values JSON gives back exactly
    "AutoField", "BigAutoField", "SmallAutoField", "IntegerField", "BigIntegerField",
    "SmallIntegerField", "PositiveIntegerField", "PositiveBigIntegerField",
    "PositiveSmallIntegerField", "BooleanField", "CharField", "TextField", "SlugField",
    "EmailField", "URLField",
}  # fmt: skip
AS_TEXT = {  # the others folded: PostgreSQL's type of each, read back by its loader
    "DateTimeField": "timestamptz", "DateField": "date", "TimeField": "time",
    "DurationField": "interval", "DecimalField": "numeric", "FloatField": "float8",
    "UUIDField": "uuid",
}  # fmt: skip
PLACEHOLDER = re.compile(r"%[s%]")  # Django's SQL: a parameter, or a percent sign doubled
PARENT = '"p"'  # the parent's row in the folded statement; its id is column "c0"


@dataclass(frozen=True)
class Level:
    """A nested level's statement read as one column of the folded row."""

    statement: Statement
    texts: tuple[tuple[int, int], ...]  # (position, type oid) of each column sent as text


@dataclass(frozen=True)
class Folded:
    """The parent's statement with its levels' rows as leading columns."""

    statement: Statement  # its rows: a column per level, then the parent's row
    parent: Statement
    levels: tuple[Level, ...]

    def rows(self) -> tuple[list, dict[int, list]]:
        """The parent's rows, and each level's rows by `id` of its statement (one parent)."""
        return self.statement.execute(read=self.read)

    def read(self, cursor) -> tuple[list, dict[int, list]]:
        rows, count = cursor.fetchall(), len(self.levels)
        read: dict[int, list] = {}
        if rows:
            raw = cursor.cursor  # psycopg's: its loaders read every other column of the answer
            for level, value in zip(self.levels, rows[0][:count], strict=True):
                read[id(level.statement)] = level_rows(level, value, raw)
        width = None if self.parent.width is None else count + self.parent.width
        return self.parent.converted([row[count:width] for row in rows]), read


def level_rows(level: Level, value: Any, cursor) -> list[tuple]:
    """A level's rows from its JSON array, its text columns read by the cursor's own loaders."""
    if value is None:
        return []  # json_agg of no row
    if not level.texts:
        return level.statement.converted([tuple(row) for row in value])
    loaders = [
        (position, cursor.adapters.get_loader(oid, Format.TEXT)(oid, cursor))
        for position, oid in level.texts
    ]
    rows = []
    for row in value:
        for position, loader in loaders:
            if row[position] is not None:
                row[position] = loader.load(row[position].encode())
        rows.append(tuple(row))
    return level.statement.converted(rows)


def folded(parent: Statement, levels: list[Statement]) -> Folded | None:
    """`parent` (one row) with `levels` (each taking the parent's id) folded in; None if any
    cannot be (module docstring), or if there is nothing to fold."""
    if parent.sql is None or not levels:
        return None
    if connections[parent.alias].vendor != "postgresql":
        return None
    columns, params, kept = [], [], []
    for statement in levels:
        column = level_column(statement)
        if column is None:
            return None
        sql, level_params, texts = column
        columns.append(sql)
        params.extend(level_params)
        kept.append(Level(statement, texts))
    sql = f'SELECT {", ".join(columns)}, {PARENT}.* FROM ({parent.sql}) AS {PARENT}("c0")'  # noqa: S608  # nosec B608 - the read path's own SQL
    statement = replace(
        parent, sql=sql, params=(*params, *parent.params), ids_at=(), converters=(), width=None
    )
    return Folded(statement, parent, tuple(kept))


def level_column(statement: Statement) -> tuple[str, list, tuple] | None:
    """The subquery of one level's rows as a JSON array, its parameters, its text columns."""
    if statement.sql is None or not statement.ids_at:
        return None
    if not statement.outputs:
        return None
    names, values, texts = [], [], []
    for position, output in enumerate(statement.outputs):
        kind = internal_type(output)
        name = f'"t"."c{position}"'
        names.append(f'"c{position}"')
        if kind in AS_JSON:
            values.append(name)
        elif kind in AS_TEXT:
            values.append(f"{name}::text")
            texts.append((position, psycopg.adapters.types[AS_TEXT[kind]].oid))
        else:
            return None
    sql, params = parents_id_in_place(statement)
    column = (
        f"(SELECT json_agg(json_build_array({', '.join(values)})) "  # noqa: S608  # nosec B608 - the read path's own SQL
        f'FROM ({sql}) AS "t"({", ".join(names)}))'
    )
    return column, params, tuple(texts)


def parents_id_in_place(statement: Statement) -> tuple[str, list]:
    """The level's SQL with the parent's id in place of its parents' ids parameter."""
    parts, params, index, start = [], [], 0, 0
    for found in PLACEHOLDER.finditer(statement.sql):
        if found.group() == "%%":
            continue
        if index in statement.ids_at:
            parts.append(statement.sql[start : found.start()])
            parts.append(f'ARRAY[{PARENT}."c0"]')
            start = found.end()
        else:
            params.append(statement.params[index])
        index += 1
    parts.append(statement.sql[start:])
    return "".join(parts), params


def internal_type(output) -> str:
    """Django's internal type of a column's output field, a foreign key's its target's."""
    target = getattr(output, "target_field", None)
    return (target or output).get_internal_type()
