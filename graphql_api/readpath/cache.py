"""Plans kept from one request to the next: planned and compiled once, then only run.

A plan (graphql_api/readpath/read.py, `DocumentPlan`) holds what each level reads, the SQL
that reads it, and how the answer is built from its rows. It is kept by shape:

- the document and the operation in it (the text's SHA-256, so a changed document is another
  plan, and a key is small whatever the document's size);
- the viewer's kind as the visibility rules tell viewers apart
  (`learningplatform.selectors.viewer_kind`: anonymous, signed-in, staff), not the viewer: the
  user's id is a parameter of the SQL, put in at each run (graphql_api/readpath/binding.py);
- what of the variables' values shapes the SQL (graphql_api/readpath/binding.py,
  `Shape.facts`): ids, page sizes, cursors and search terms are parameters, and only whether
  they are null or empty is in the key; any other variable's value (an enum, a boolean of
  `@include`) is in the key.

A plan must not depend on anything else. An operation's first planning is for its real viewer
and values, kept under their own key (`viewer_key`), and tells whether planning it reads the
database: a filter by a course's id checks that the course exists and may be seen, and its
answer (an error, or the SQL) follows the data. Such an operation is planned and kept per viewer
and values, with what planning read (`PlanningReads`: each statement and the rows it gave), and
before it runs those statements run again: any other rows, and the document is planned afresh
(`unchanged`). That is one statement per check, the one planning would run anyway; on SQLite,
whose cursors cannot be read twice, such plans are not kept. Settings can change the SQL too
(the page limit): every cache is emptied when a setting changes (tests; a server reads its
settings once). A plan keeps nothing of the request it was built for: not the request, the user,
nor GraphQL's resolve info.

The cache holds settings.GRAPHQL_PLAN_CACHE_SIZE plans and settings.GRAPHQL_CACHE_BYTES bytes
per process (graphql_api.bounded.BoundedLRU: least recently used go first; 0 plans turns caching
off). The documents a plan could not be made for are kept too, with the
reason, so the executor gets them without planning them again.
"""

from __future__ import annotations

import weakref
from collections.abc import Hashable
from datetime import date, datetime, time
from decimal import Decimal
from enum import Enum
from typing import Any
from uuid import UUID

from django.conf import settings
from django.core.signals import setting_changed
from django.db import DatabaseError, connections
from strawberry.relay import GlobalID

from graphql_api.bounded import BoundedLRU, deep_size, digest
from graphql_api.library_internals import coerced_variables
from graphql_api.observability import metrics
from learningplatform.replicas import read_alias
from learningplatform.selectors import viewer_key, viewer_kind

_caches: weakref.WeakSet[PlanCache] = weakref.WeakSet()


def cache_size() -> int:
    return getattr(settings, "GRAPHQL_PLAN_CACHE_SIZE", 256)


def cache_bytes() -> int:
    return getattr(settings, "GRAPHQL_CACHE_BYTES", 8 * 1024 * 1024)


# What a plan holds of its own: the read path's plan objects, statements and rows, and the
# document's nodes it points to; the index, the schema and the models are shared.
PLAN_MODULES = (
    "graphql_api.readpath.read", "graphql_api.readpath.plan", "graphql_api.readpath.statements",
    "graphql_api.readpath.rows", "graphql_api.readpath.cache", "graphql.language",
)  # fmt: skip


def plan_size(key: Hashable, plan: Any) -> int:
    return deep_size((key, plan), follow=PLAN_MODULES)


class PlanCache(BoundedLRU):
    """A least-recently-used map of plan keys to plans, safe for a threaded server: at most
    settings.GRAPHQL_PLAN_CACHE_SIZE plans and settings.GRAPHQL_CACHE_BYTES bytes."""

    def __init__(self, *, observed: bool = True) -> None:
        super().__init__(max_entries=cache_size, max_bytes=cache_bytes, sizeof=plan_size)
        self.observed = observed  # its lookups are the kept-plan hits and misses of the metrics
        _caches.add(self)

    def get(self, key: Hashable | None, default: Any = None) -> Any:
        plan = super().get(key, default)
        if key is not None and self.observed:
            metrics.plan_looked_up(hit=plan is not default)
        return plan

    def kept(self) -> list[Any]:
        return self.values()


def plan_key(context, user, facts: tuple | None = None) -> Hashable | None:
    """The key of this request's plan, or None if it cannot have one (kept plans are off).

    By shape (`facts` given, binding.py's `Shape.facts`): the viewer's kind and what of the
    variables' values shapes the plan. Else per viewer: the viewer as the rules read them, and
    every variable's value.
    """
    operation = context.operation
    if cache_size() <= 0 or operation.loc is None:
        return None
    name = operation.name.value if operation.name else None
    if facts is not None:
        return (digest(operation.loc.source.body), name, facts, viewer_kind(user))
    try:
        variables = frozen(coerced_variables(context))
        hash(variables)
    except TypeError:  # a value with no stable identity: plan this request afresh
        return None
    return (digest(operation.loc.source.body), name, variables, viewer_key(user))


PLAIN = (str, int, float, bool, datetime, date, time, Decimal, UUID)


class PlanningReads:
    """An execute wrapper: the statements a document's planning runs, with the rows each gave.

    A plan built on data (a filter's check that a course exists and may be seen) is kept with
    them, and runs only while they give the same rows (`unchanged`). The rows are read back from
    the cursor, which is then rewound for Django: PostgreSQL's client-side cursors can, SQLite's
    cannot, so there such plans are not kept (`known` is false).
    """

    def __init__(self) -> None:
        self.statements: list[tuple[str, Any, list]] = []
        self.known = True
        self.any = False  # whether planning read anything at all

    def __call__(self, execute, sql, params, many, context):
        self.any = True
        result = execute(sql, params, many, context)
        cursor = getattr(context["cursor"], "cursor", None)
        if many or cursor is None or cursor.description is None or not hasattr(cursor, "scroll"):
            self.known = False
        else:
            rows = cursor.fetchall()
            cursor.scroll(0, mode="absolute")
            self.statements.append((sql, params, rows))
        return result


def unchanged(statements: list[tuple[str, Any, list]]) -> bool:
    """Whether each statement still gives the rows it gave when the plan was made."""
    try:
        with connections[read_alias()].cursor() as cursor:
            for sql, params, rows in statements:
                cursor.execute(sql, params)
                if cursor.fetchall() != rows:
                    return False
    except DatabaseError:
        return False  # planned afresh, which meets the error where the executor reports it
    return True


def frozen(value: Any) -> Hashable:
    """`value` (variables as GraphQL coerced them) as a hashable value that equals only its equal.

    Each value carries its type, so that 1, 1.0 and True (equal in Python) stay apart.
    """
    if isinstance(value, dict):
        return ("dict", tuple(sorted((k, frozen(v)) for k, v in value.items())))
    if isinstance(value, list | tuple):
        return ("list", tuple(frozen(v) for v in value))
    if isinstance(value, Enum):
        return (type(value).__qualname__, value.name)
    if value is None or isinstance(value, PLAIN):
        return (type(value).__name__, value)
    if isinstance(value, GlobalID):
        return ("GlobalID", value.type_name, value.node_id)
    raise TypeError(f"not a plain value: {type(value).__name__}")


def clear_plans(**_signal) -> None:
    """Forget every kept plan (a setting changed; tests that replace code start afresh)."""
    for cache in list(_caches):
        cache.clear()


setting_changed.connect(clear_plans, dispatch_uid="graphql_api.readpath.cache")
