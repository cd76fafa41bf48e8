"""Plans kept from one request to the next: planned and compiled once, then only run.

A plan (graphql_api/readpath/read.py, `DocumentPlan`) holds what each level reads, the SQL
that reads it, and how the answer is built from its rows. Its SQL depends on three things, and
so does the key it is kept under:

- the document and the operation in it (the text, so a changed document is another plan);
- every variable's value: page sizes, cursors, filters and ids are parameters of the SQL, and
  `@include(if: $x)` changes what is read at all;
- the viewer: the visibility rules write the user's id into the SQL, and read nothing else of
  the user than `learningplatform.selectors.viewer_key` names (whether there is one, the id,
  the staff flag).

A plan must not depend on anything else. Planning may read the database: a filter by a
course's id checks that the course exists and may be seen, and its answer (an error, or the SQL)
follows the data. Such a plan is kept with what planning read (`PlanningReads`: each statement
and the rows it gave), and before it runs those statements run again: any other rows, and the
document is planned afresh (`unchanged`). That is one statement per check, the one planning
would run anyway; on SQLite, whose cursors cannot be read twice, such plans are not kept.
Settings can change the SQL too (the page limit): every cache is emptied
when a setting changes (tests; a server reads its settings once). A plan keeps nothing of the
request it was built for: not the request, the user, nor GraphQL's resolve info.

The cache holds settings.GRAPHQL_PLAN_CACHE_SIZE plans per process (least recently used go
first; 0 turns caching off). The documents a plan could not be made for are kept too, with the
reason, so the executor gets them without planning them again.
"""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
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

from learningplatform.replicas import read_alias
from learningplatform.selectors import viewer_key

_caches: weakref.WeakSet[PlanCache] = weakref.WeakSet()


def cache_size() -> int:
    return getattr(settings, "GRAPHQL_PLAN_CACHE_SIZE", 256)


class PlanCache:
    """A least-recently-used map of plan keys to plans, safe for a threaded server."""

    def __init__(self) -> None:
        self._plans: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = self.misses = 0
        _caches.add(self)

    def get(self, key: Hashable | None) -> Any:
        if key is None:
            return None
        with self._lock:
            plan = self._plans.get(key)
            if plan is None:
                self.misses += 1
                return None
            self._plans.move_to_end(key)
            self.hits += 1
            return plan

    def put(self, key: Hashable | None, plan: Any) -> None:
        size = cache_size()
        if key is None or size <= 0:
            return
        with self._lock:
            self._plans[key] = plan
            self._plans.move_to_end(key)
            while len(self._plans) > size:
                self._plans.popitem(last=False)

    def forget(self, key: Hashable | None) -> None:
        with self._lock:
            self._plans.pop(key, None)

    def clear(self) -> None:
        with self._lock:
            self._plans.clear()
            self.hits = self.misses = 0

    def __len__(self) -> int:
        return len(self._plans)

    def keys(self) -> list[Hashable]:
        with self._lock:
            return list(self._plans)

    def kept(self) -> list[Any]:
        with self._lock:
            return list(self._plans.values())


def plan_key(context, user) -> Hashable | None:
    """The key of this request's plan, or None if it cannot have one (kept plans are off)."""
    operation = context.operation
    if cache_size() <= 0 or operation.loc is None:
        return None
    try:
        variables = frozen(context.variable_values.coerced)  # graphql-core 3.3's values
        hash(variables)
    except TypeError:  # a value with no stable identity: plan this request afresh
        return None
    name = operation.name.value if operation.name else None
    return (operation.loc.source.body, name, variables, viewer_key(user))


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

    def __call__(self, execute, sql, params, many, context):
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
