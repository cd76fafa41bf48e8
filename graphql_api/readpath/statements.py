"""SQL compiled once: each level's statement, kept with its plan and run again as it is.

Django builds and compiles a queryset for every level of every request; for the small requests
a frontend sends most, that costs more than the database's answer. A `Statement` is a
queryset's SQL and parameters, taken once, with the ids of the level's parents left as one
parameter (`Ids`): `= ANY(%s::bigint[])` on PostgreSQL, `IN (SELECT value FROM json_each(%s))`
on SQLite. So a level's SQL text is the same whatever its parents are and however many, which
is what lets a plan keep it (graphql_api/readpath/cache.py) and PostgreSQL reuse its plan; an
`IN` list of 50 ids would be 50 parameters, new text for every length.

Rows come back as Django's own `values_list` iterator gives them: its converters (dates and
decimals on SQLite; none on PostgreSQL here) applied to the first `width` columns, and the
columns Django adds for ordering cut off.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import QuerySet, Value
from django.db.models.expressions import Col

from graphql_api.library_internals import compilers_wrapped, selected_converters
from graphql_api.parent_ids import IDS, Ids, InIds  # noqa: F401 - the read path takes them here
from graphql_api.readpath.binding import LARGEST_MARK, MARK_TEXT, bind
from graphql_api.readpath.fallbacks import Fallback
from learningplatform.replicas import read_alias


class Captured(Exception):  # noqa: N818 - a signal, not an error
    def __init__(self, sql: str, params: Any) -> None:
        super().__init__(sql)
        self.sql, self.params = sql, params


@dataclass(frozen=True)
class Statement:
    alias: str  # the database it runs on
    sql: str | None  # None: Django knew without asking that no row matches
    params: tuple
    ids_at: tuple[int, ...] = ()  # where the ids go among the parameters
    converters: tuple = ()  # (position, converters, expression) per converted column
    width: int | None = None  # the columns a row keeps (Django's ordering columns cut)
    known_count: int = 0  # a count Django knew without a statement (`sql` None)
    outputs: tuple = ()  # the output field of each column kept (graphql_api/readpath/fold.py)

    def execute(self, ids: list | None = None, read: Callable | None = None) -> Any:
        """The rows, or what `read` (given the cursor) makes of them."""
        # The request's database, not the one it was compiled on: a replica and its primary
        # take the same SQL, and a kept plan must not read a replica a request may not use.
        connection, params = connections[read_alias(self.alias)], bind(self.params)
        if self.ids_at:
            ids = list(ids or ())
            value = ids if connection.vendor == "postgresql" else json.dumps(ids)
            params = tuple(value if i in self.ids_at else p for i, p in enumerate(params))
        with connection.cursor() as cursor:
            cursor.execute(self.sql, params)
            return cursor.fetchall() if read is None else read(cursor)

    def rows(self, ids: list | None = None) -> list:
        """The rows of a `rows_statement`, for `ids` if it takes some."""
        if self.sql is None:
            return []
        rows = self.execute(ids)
        if self.width is not None:
            rows = [row[: self.width] for row in rows]
        return self.converted(rows)

    def converted(self, rows: list) -> list:
        """`rows` (cut to `width`) with Django's converters applied, as `values_list` gives them."""
        if not self.converters:
            return rows
        connection = connections[read_alias(self.alias)]
        converted = []
        for row in map(list, rows):
            for position, functions, expression in self.converters:
                value = row[position]
                for function in functions:
                    value = function(value, expression, connection)
                row[position] = value
            converted.append(row)
        return converted

    def count(self) -> int:
        """The number a `count_statement` counts."""
        if self.sql is None:
            return self.known_count
        ((value, *_),) = self.execute()
        return value


def rows_statement(queryset: QuerySet, width: int | None = None) -> Statement:
    """The statement of a values_list queryset; converters for its first `width` columns."""
    compiler = queryset.query.get_compiler(queryset.db)
    try:
        sql, params = compiler.as_sql()
    except EmptyResultSet:
        sql = None
    if not sql:
        return Statement(queryset.db, None, ())
    converters, kept, outputs = selected_converters(compiler, width)
    sql, params = bound_limit(sql, tuple(params))
    return Statement(
        queryset.db, sql, tuple(params), _ids_at(params),
        tuple((position, tuple(functions), detached(expression))
              for position, (functions, expression) in converters.items()),
        kept, outputs=tuple(outputs),
    )  # fmt: skip


def detached(expression: Any) -> Any:
    """What a converter is given of a selected expression: a column as it is; for anything else
    (an annotation, whose condition may hold the request's user) only its output field."""
    return expression if isinstance(expression, Col) else Value(None, expression.output_field)


def count_statement(queryset: QuerySet) -> Statement:
    """The statement `queryset.count()` would run, compiled by Django's own count, not run."""
    try:
        with compilers_wrapped(connections[queryset.db], _compiling_only):
            counted = queryset.count()
    except Captured as captured:
        params = tuple(captured.params)
        return Statement(queryset.db, captured.sql, params, _ids_at(params))
    return Statement(queryset.db, None, (), known_count=counted)


@functools.cache
def _compiling_only(compiler: type) -> type:
    """`compiler`, raising `Captured` with its SQL where it would execute it."""

    def execute_sql(self, *args, **kwargs):
        try:
            sql, params = self.as_sql()
        except EmptyResultSet:
            sql = None
        if not sql:
            return None  # no row, as Django's own answers for an empty result
        raise Captured(sql, params)

    return type(f"CompilingOnly{compiler.__name__}", (compiler,), {"execute_sql": execute_sql})


LIMIT = re.compile(r"LIMIT (\d+)$")


def bound_limit(sql: str, params: tuple) -> tuple[str, tuple]:
    """A page size bound by shape (graphql_api/readpath/binding.py) as a parameter of the LIMIT
    Django writes into the text; Fallback if a stand-in is left anywhere else in the text."""
    found = LIMIT.search(sql)
    if found is not None and int(found.group(1)) >= LARGEST_MARK:
        sql, params = f"{sql[: found.start()]}LIMIT %s", (*params, int(found.group(1)))
    if MARK_TEXT.search(sql):
        raise Fallback("a variable's stand-in in a statement's text")
    return sql, params


def _ids_at(params) -> tuple[int, ...]:
    return tuple(i for i, param in enumerate(params) if param is IDS)
