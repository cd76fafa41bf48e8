"""What a kept plan takes as parameters: the viewer's id, and the variables' values.

A plan is kept by shape (graphql_api/readpath/cache.py): one plan serves every viewer of a kind
and every value a variable takes, as long as the value does not change what the SQL is. It is
planned for stand-ins: a viewer of the same kind (`stand_in`) whose id is `VIEWER_ID`, and a
mark in place of each bound variable's value (`Use.stand_in`). Those marks are what the compiled
SQL holds as parameters; each time a plan runs, `bound` puts the running request's values in
their place (`Statement.execute`).

How a variable is used decides what of its value goes in the plan's key (`Use.fact`: null or
not, empty or not) and what is a parameter (`Use.values`, and the plan's own derivations for
page bounds and cursors, read.py and plan.py):

- `id` of a root field reading one object by id: the id;
- `first` of a list, at the root or nested: the page size (its LIMIT; a nested list's in each
  parent's LATERAL join on PostgreSQL, its window's bound on SQLite);
- `after` and `before` of a list, at the root or nested: the keyset cursor's value and id;
- `search` of a filter, given as a variable or inside a filter variable: the LIKE pattern;
- an object a filter names by id (`filter: {course: $id}`): the id, and the filter's check that
  the viewer may see it becomes a statement of the plan (`checked_object`).

Any other variable (a boolean of `@include`, an enum of `orderBy` or of a filter, a time in a
filter, `last`) is a fact of the shape: its value is in the key, and the plan is made with it.
A page's cut (hasNextPage, the rows kept) takes the request's own page arguments (`current`).
A value a plan cannot take (a page size the connection refuses, another order's cursor) raises
`Unbound`: that request is planned for itself, and meets the executor's error. The marks are
values no row or request holds; a request that holds one (in a variable or in the document) is
not planned by shape. (An integer column's cursor value is marked within the column's range,
near its end, as Django drops a comparison with a value outside it: `key_value_mark`.)
"""

from __future__ import annotations

import contextvars
import functools
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db import connections, models
from graphql import (
    FieldNode,
    ObjectValueNode,
    OperationDefinitionNode,
    VariableNode,
    visit,
)
from graphql.language import Visitor
from strawberry.relay import GlobalID, from_base64, to_base64

from graphql_api.connections import KEYSET_PREFIX, page_limit
from graphql_api.ids import is_node_id
from learningplatform.filters import SEARCH_MAX_LENGTH
from learningplatform.replicas import read_alias
from learningplatform.selectors import AnyUser

VIEWER_ID = -(2**62) - 1_000_003
NODE_IDS = tuple(-(2**62) - 2_000_003 - n for n in range(4))  # one per bound variable, at most
KEY_IDS = tuple(-(2**62) - 3_000_003 - n for n in range(4))  # a keyset cursor's id
OBJECT_IDS = tuple(-(2**62) - 5_000_003 - n for n in range(4))  # a filter's object
MARKS = frozenset((VIEWER_ID, *NODE_IDS, *KEY_IDS, *OBJECT_IDS))
# Page sizes: far above any page, and apart, so that a LIMIT made of one (size + 1) is a mark too.
SIZES = tuple(2**44 + n * 2**36 for n in range(4))
LARGEST_MARK = 2**40  # no page size a request may ask for reaches it
TEXT = "lpmark{}x"  # a bound text's stand-in; cursors' are "lpmark{}x:null" or ":value"
MARK_TEXT = re.compile(r"lpmark\d+x|\d{13,}")

_bound: contextvars.ContextVar[dict | None] = contextvars.ContextVar(
    "graphql_api.readpath.binding", default=None
)
_checks: contextvars.ContextVar[list | None] = contextvars.ContextVar(
    "graphql_api.readpath.binding.checks", default=None
)


class Unbound(Exception):  # noqa: N818 - a signal, not an error
    """A value a plan by shape cannot take: the request is planned for itself."""


@dataclass(frozen=True)
class Use:
    """How one variable's value reaches the SQL; `n` numbers the variables of a kind."""

    # "id", "size", "keyset", "search", "filter" (a filter variable's search) or
    # "object" (an object a filter names by id, checked against the data: `checked_object`)
    kind: str
    n: int = 0
    target: str | None = None  # "id": the root field's type

    def fact(self, value: Any) -> Any:
        """What of `value` shapes the plan (in its key); Unbound if no plan by shape takes it."""
        if value is None:
            return None
        if self.kind == "id":
            if node_id_of(value, self.target) is None:
                raise Unbound
            return "id"
        if self.kind == "object":
            if object_id_of(value)[0] != self.target:
                raise Unbound  # an id of another type: the filter's error, by the executor
            return "object"
        if self.kind == "size":
            if type(value) is not int or not 0 <= value <= page_limit():
                raise Unbound
            return "n" if value else 0
        if self.kind == "keyset":
            return keyset_fact(value)
        if self.kind == "search":
            return search_fact(value)
        if not isinstance(value, dict):  # "filter"
            raise Unbound
        if any(
            v is not None and FILTER_USES.get(k, ("",))[0] == "object" for k, v in value.items()
        ):
            raise Unbound  # its object's check would be read while planning: planned for itself
        return tuple(
            sorted(
                (k, search_fact(v) if k == "search" else frozen_value(v)) for k, v in value.items()
            )
        )

    def stand_in(self, value: Any) -> Any:
        """The value planned for in place of `value`, whose `fact` it has."""
        fact = self.fact(value)
        if self.kind == "size":
            return SIZES[self.n] if fact == "n" else value
        if self.kind == "keyset":
            if not isinstance(fact, tuple):
                return value
            return f"{TEXT.format(self.n)}:{'null' if fact[2] else 'value'}"
        if self.kind == "search":
            return TEXT.format(self.n) if fact == "s" else value
        if self.kind == "object" and value is not None:
            return to_base64(self.target, str(OBJECT_IDS[self.n]))
        if self.kind == "filter" and value is not None and search_fact(value.get("search")) == "s":
            return {**value, "search": TEXT.format(self.n)}
        return value

    def values(self, value: Any) -> dict:
        """The marks this variable's stand-in put in the SQL, with the request's values."""
        if self.kind == "id" and value is not None:
            return {NODE_IDS[self.n]: node_id_of(value, self.target)}
        if self.kind == "object" and value is not None:
            return {OBJECT_IDS[self.n]: object_id_of(value)[1]}
        if self.kind == "filter" and value is not None:
            value = value.get("search")
        elif self.kind != "search":
            return {}
        if search_fact(value) != "s":
            return {}
        text = value.strip()  # as the filter's form field cleans it
        pattern = connections[read_alias()].ops.prep_for_like_query(text)
        mark = TEXT.format(self.n)
        return {mark: text, f"%{mark}%": f"%{pattern}%"}


def object_id_of(value: Any) -> tuple[str, int]:
    """(type name, primary key) of a global id a filter is given; Unbound if it names none."""
    if isinstance(value, GlobalID):
        type_name, node_id = value.type_name, value.node_id
    else:
        try:
            type_name, node_id = from_base64(value)
        except (ValueError, TypeError):
            raise Unbound from None
    if not is_node_id(node_id):
        raise Unbound
    return type_name, int(node_id)


def checked_object(queryset: models.QuerySet, node_id: str) -> int | None:
    """The mark a filter's object stands for while planning by shape, or None (a real id).

    The filter's check that the object exists among `queryset` (its form's choices: the rows
    the viewer may see) is left to the plan: it runs that check as a statement of its own each
    time, and a request whose object fails it is answered by the executor, with its error.
    """
    checks = _checks.get()
    marks = {str(mark): mark for mark in OBJECT_IDS}
    if checks is None or node_id not in marks:
        return None
    checks.append(queryset.filter(pk=marks[node_id]))
    return marks[node_id]


@contextmanager
def checking(checks: list) -> Iterator[list]:
    """Collect the filters' object checks (`checked_object`) of the planning run inside."""
    token = _checks.set(checks)
    try:
        yield checks
    finally:
        _checks.reset(token)


def keyset_fact(value: Any) -> Any:
    """A root list's cursor: none, or (its payload's length, whether its value is null)."""
    if not value:
        return value
    try:
        prefix, payload = from_base64(value)
        loaded = __import__("json").loads(payload) if prefix == KEYSET_PREFIX else None
    except (ValueError, TypeError):
        raise Unbound from None
    if not isinstance(loaded, list) or len(loaded) not in (2, 3):
        raise Unbound
    return ("c", len(loaded), len(loaded) == 3 and loaded[1] is None)


def search_fact(value: Any) -> Any:
    """A search term: none, empty once stripped (no filter), or a pattern (a parameter)."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise Unbound
    text = value.strip()
    if not text:
        return ""
    if len(text) > SEARCH_MAX_LENGTH or "\x00" in text:
        raise Unbound  # the filter's form refuses it
    return "s"


def frozen_value(value: Any) -> Any:
    from graphql_api.readpath.cache import frozen

    return frozen(value)


def is_stand_in(value: Any) -> bool:
    """Whether a page argument is a stand-in, whose request's value a derivation gives."""
    if type(value) is int:
        return value >= LARGEST_MARK
    return isinstance(value, str) and value.startswith("lpmark")


def cursor_stand_in(value: Any) -> tuple[int, bool] | None:
    """(n, whether its value is null) of a root list's stand-in cursor; None for another."""
    if isinstance(value, str) and value.startswith("lpmark") and ":" in value:
        mark, null = value.split(":", 1)
        return int(mark[len("lpmark") : -1]), null == "null"
    return None


def key_value_mark(field: models.Field, n: int) -> Any:
    """A stand-in for a keyset cursor's column value, of the column's type; None if none."""
    if isinstance(field, models.DateTimeField):
        return datetime(1, 1, 2, tzinfo=UTC) + timedelta(microseconds=7_919 * (n + 1))
    if isinstance(field, models.DecimalField):
        return Decimal(-(n + 1)).scaleb(-(field.decimal_places or 0))
    if isinstance(field, models.CharField | models.TextField):
        return f"{TEXT.format(90 + n)}"
    if isinstance(field, models.IntegerField):
        # Within the column's range: Django drops a comparison with a value outside it (always
        # true or false), which would drop the cursor's bound from the plan.
        ops = connections[read_alias()].ops
        low, high = ops.integer_field_range(field.get_internal_type())
        if low is None or low <= -(2**62) - 4_000_003 - n:
            return -(2**62) - 4_000_003 - n
        return low + 7_919 + n if low < 0 else high - 7_919 - n
    return None


def column_parameter(field: models.Field, value: Any) -> Any:
    """What a lookup on `field` sends for `value`, as Django prepares it."""
    connection = connections[read_alias()]
    return field.get_db_prep_value(field.get_prep_value(value), connection, prepared=True)


@dataclass(frozen=True)
class Shape:
    """The variables of an operation a plan binds: name -> its use.

    `per_viewer`: planning the operation reads the database, so it is planned for each viewer
    and value, as the rows it read were theirs; None until its first planning, which is for the
    real viewer and values, tells.
    """

    variables: dict[str, Use]
    per_viewer: bool | None = None

    def facts(self, values: dict) -> tuple:
        """The key's part for these values; Unbound if a value cannot be run by shape."""
        from graphql_api.readpath.cache import frozen

        return tuple(
            (name, self.variables[name].fact(v) if name in self.variables else frozen(v))
            for name, v in sorted(values.items())
        )

    def stand_ins(self, values: dict) -> dict:
        return {
            name: self.variables[name].stand_in(v) if name in self.variables else v
            for name, v in values.items()
        }


def shape_of(operation: OperationDefinitionNode, fragments: dict, roots: dict) -> Shape:
    """Each variable's use, where every use of it is one kind of `Use`; the rest are facts.

    `roots` maps the root fields' names to (their kind, their type's name), as the index has
    them. A root field is one selected at the operation's top, not through a fragment.
    """
    top = {id(s) for s in operation.selection_set.selections if isinstance(s, FieldNode)}
    uses: dict[str, set] = {}

    class CollectUses(Visitor):
        def enter_field(self, node: FieldNode, *_args):
            root = id(node) in top
            kind, target = roots.get(node.name.value, (None, None)) if root else (None, None)
            for argument in node.arguments or ():
                value, name = argument.value, argument.name.value
                if isinstance(value, VariableNode):
                    use = argument_use(name, kind, target)
                    uses.setdefault(value.name.value, set()).add(use)
                elif isinstance(value, ObjectValueNode) and name == "filter":
                    for item in value.fields:
                        if isinstance(item.value, VariableNode):
                            use = FILTER_USES.get(item.name.value)
                            uses.setdefault(item.value.name.value, set()).add(use)
            return None

        def enter_variable(self, node: VariableNode, *_args):
            uses.setdefault(node.name.value, set())

    counts: dict[str, int] = {}

    class CountUses(Visitor):
        def enter_variable(self, node, *_args):
            counts[node.name.value] = counts.get(node.name.value, 0) + 1

    for node in (operation.selection_set, *fragments.values()):
        # graphql-core 3.3 keeps each fragment as (its definition, its variables' signature)
        node = node[0] if isinstance(node, tuple) else node
        visit(node, CollectUses())
        visit(node, CountUses())
    bound: dict[str, Use] = {}
    numbers: dict[str, int] = {}
    for name in sorted(uses):
        found = uses[name]
        if len(found) != 1 or None in found:
            continue  # used in more than one way, or in one no stand-in serves: a fact
        ((kind, target),) = found
        if kind == "id" and counts.get(name) != 1:
            continue
        marks = "text" if kind in ("search", "filter") else kind  # both stand in as TEXT
        n = numbers.get(marks, 0)
        if n >= 4:
            continue
        numbers[marks] = n + 1
        bound[name] = Use(kind, n, target)
    return Shape(bound)


# The filters whose variables are bound (the rest are facts): a search; an object by id, of its
# type (learningplatform.filters' ModelChoiceFilters; a test checks them against the FilterSets).
FILTER_USES = {
    "search": ("search", None), "instructor": ("object", "User"), "course": ("object", "Course")
}  # fmt: skip


def argument_use(argument: str, root_kind: str | None, target: str | None):
    """The use of a variable given as `argument` of a field (root: `root_kind` of the index)."""
    if argument == "id" and root_kind == "node":
        return ("id", target)
    if root_kind in ("list", None) and argument == "first":
        return ("size", None)  # a root list's LIMIT, or a nested list's in each parent's page
    if root_kind in ("list", None) and argument in ("after", "before"):
        return ("keyset", None)  # a keyset cursor's value and id
    if argument == "filter":
        return ("filter", None)
    return None


def node_id_of(value: object, target: str) -> int | None:
    """The primary key a bound variable's global id names, if the read path would read it."""
    try:
        type_name, node_id = object_id_of(value)
    except Unbound:
        return None
    return node_id if type_name == target else None


def bindings(shape: Shape, derivations: list, variables: dict, user: AnyUser) -> dict | None:
    """Each mark's value for this request; None if a value is not one the plan can take."""
    found = {VIEWER_ID: user.pk} if user.is_authenticated else {}
    try:
        for name, use in shape.variables.items():
            found.update(use.values(variables.get(name)))
        for derive in derivations:
            found.update(derive(variables))
    except Unbound:
        return None
    return found


def integer_marks() -> frozenset[int]:
    """Every stand-in `key_value_mark` may give an integer column, of any integer type."""
    return _integer_marks(connections[read_alias()].vendor)


@functools.lru_cache(maxsize=4)
def _integer_marks(vendor: str) -> frozenset[int]:
    ops = connections[read_alias()].ops
    found = set()
    for internal_type in ops.integer_field_ranges:
        low, high = ops.integer_field_range(internal_type)
        if low is None or low <= -(2**62):
            continue
        found.update((low + 7_919 + n) if low < 0 else (high - 7_919 - n) for n in range(4))
    return frozenset(found)


def holds_a_mark(value: object, document: str) -> bool:
    """Whether a request's variables or document hold a mark's value (planned per request)."""
    if MARK_TEXT.search(document):
        return True
    integers = integer_marks()
    if any(str(mark) in document for mark in integers):
        return True
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list | tuple):
            stack.extend(item)
        elif isinstance(item, int) and (
            item in MARKS or item in integers or abs(item) >= LARGEST_MARK
        ):
            return True
        elif isinstance(item, str) and (
            MARK_TEXT.search(item) or any(str(mark) in item for mark in integers)
        ):
            return True
    return False


def stand_in(user: AnyUser) -> AnyUser:
    """A viewer of `user`'s kind whose id is `VIEWER_ID`: what a plan by shape is planned for."""
    if not user.is_authenticated:
        return user
    return user.__class__(
        pk=VIEWER_ID, is_staff=user.is_staff, is_superuser=user.is_superuser, is_active=True
    )


@contextmanager
def bound(values: dict | None) -> Iterator[None]:
    """Run statements with `values` in place of the marks."""
    token = _bound.set(values)
    try:
        yield
    finally:
        _bound.reset(token)


def current(key: object, default: Any) -> Any:
    """What the running request's derivations gave for `key` (a plan's own), or `default`."""
    values = _bound.get()
    return default if values is None else values.get(key, default)


BINDABLE = (int, str, datetime, Decimal)


def bind(params: tuple) -> tuple:
    """`params` with the running request's values in place of the marks, of the types Django
    sent (psycopg's Int4 for an integer column's lookup, say)."""
    values = _bound.get()
    if not values:
        return params
    return tuple(
        _bound_value(p, values) if isinstance(p, BINDABLE) and type(p) is not bool else p
        for p in params
    )


def _bound_value(param: Any, values: dict) -> Any:
    value = values.get(param, param)
    if isinstance(param, int) and type(param) is not int and type(value) is int:
        return type(param)(value)  # as Django sent it (psycopg's Int4 of an integer column)
    return value
