"""The connection type every list uses, and the page rules both read paths share.

Relay cursors, a total count, pages of at most settings.GRAPHQL_MAX_PAGE_SIZE (100 unless the
operator raises it), read for each request. GraphQL's executor (through `Connection` and the
schema's `PageLimitConfig`) and the read path (graphql_api/readpath/) call the functions below;
neither keeps a copy of these rules.

Every list is paged by keyset: a cursor holds the order's column value and the id of its row,
and the next page is the rows past it in that order (`WHERE (column, id) > (value, id) ...
LIMIT n`), so a page deep in the list costs what the first one costs. Root lists (`courses`,
`tasks`) read one page; nested lists (a course's tasks) read a page of each parent's list in
one statement (`nested_window`: a LATERAL join per parent on PostgreSQL, a window per parent
elsewhere; graphql_api/nested.py). `totalCount` of a
root list is one `COUNT(*)` over the list's rows, never a window over them; the tasks a viewer
may see, unfiltered, are counted from their tallies, and a searched list counts at most
SEARCH_COUNT_BOUND + 1 rows (`counted`). A nested list's is counted per parent, apart from its
page (`NestedTotals`).
"""

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import strawberry
from django.conf import settings
from django.core.exceptions import EmptyResultSet, ValidationError
from django.db import connections, models
from django.db.models import F, OrderBy, Q, Window
from django.db.models.expressions import RawSQL
from django.db.models.functions import RowNumber
from django.db.models.sql import Query
from strawberry import relay
from strawberry.schema.config import StrawberryConfig
from strawberry_django.relay import DjangoListConnection

from graphql_api.errors import ErrorCode, FieldError, UserError
from graphql_api.library_internals import (
    PREFIX,
    fetched,
    field_of,
    get_queryset_config,
    optimizer,
    resolve_edge_class,
)
from graphql_api.parent_ids import InIds
from learningplatform.filters import is_searched
from learningplatform.selectors import tasks_to_count

KEYSET_PREFIX = "keyset"


def page_limit() -> int:
    """The most rows one page may hold, and the page size when none is asked for."""
    return settings.GRAPHQL_MAX_PAGE_SIZE


class PageLimitConfig(StrawberryConfig):
    """Strawberry's configuration, with `relay_max_results` read from the settings each time.

    Strawberry and strawberry-django read it for every page they cut (root lists and nested
    prefetches alike); a value fixed when the schema was built would disagree with the read
    path once the operator changed the setting.
    """

    @property
    def relay_max_results(self) -> int:
        return page_limit()

    @relay_max_results.setter
    def relay_max_results(self, value: int) -> None:
        pass  # the setting decides, per request


@dataclass(frozen=True)
class Keyset:
    """A root list's order: by one column (or none) and then by id, all in one direction.

    NULLs sort as if above every value (after them ascending, before them descending), which is
    PostgreSQL's own default, written out so that SQLite (NULLs lowest) orders the same way.
    """

    model: type[models.Model]
    column: str | None  # a model field's name; None: by id alone
    descending: bool = False

    @property
    def name(self) -> str:
        """How cursors and error messages name this order, e.g. `deadline descending`."""
        return f"{self.column or 'id'} {'descending' if self.descending else 'ascending'}"

    @property
    def nullable(self) -> bool:
        return self.column is not None and self.model._meta.get_field(self.column).null

    def ordering(self) -> tuple[OrderBy, ...]:
        """The ORDER BY of the list: the column, then id, in this keyset's direction."""
        nulls = {"nulls_first": True} if self.descending else {"nulls_last": True}
        by_id = OrderBy(F("id"), descending=self.descending)
        if self.column is None:
            return (by_id,)
        column = OrderBy(F(self.column), descending=self.descending, **nulls)
        return (column if self.nullable else OrderBy(F(self.column), self.descending), by_id)

    def ordered(self, queryset: models.QuerySet) -> models.QuerySet:
        return queryset.order_by(*self.ordering())

    def reversed(self) -> "Keyset":
        return Keyset(self.model, self.column, not self.descending)

    def past(self, key: tuple) -> Q:
        """The rows strictly after the row whose (value, id) is `key`, in this order."""
        *values, pk = key
        pk_after = Q(id__lt=pk) if self.descending else Q(id__gt=pk)
        if self.column is None:
            return pk_after
        (value,) = values
        column, past = self.column, "lt" if self.descending else "gt"
        if value is None:  # NULLs are the highest values: below them come all the others
            same = Q(**{f"{column}__isnull": True}) & pk_after
            return (same | Q(**{f"{column}__isnull": False})) if self.descending else same
        # `column >= value AND (column > value OR id > pk)`: the first term bounds an index scan
        # of (column, id), so a deep page starts where the cursor is instead of at the top.
        after = Q(**{f"{column}__{past}e": value}) & (Q(**{f"{column}__{past}": value}) | pk_after)
        if self.nullable and not self.descending:
            after |= Q(**{f"{column}__isnull": True})
        return after

    def cursor(self, key: tuple) -> str:
        """The opaque cursor of the row whose (value, id) is `key`."""
        payload = [self.name, *(_json_value(v) for v in key)]
        return relay.to_base64(KEYSET_PREFIX, json.dumps(payload, separators=(",", ":")))

    def key_of_cursor(self, argument: str, value: str) -> tuple:
        """The (value, id) a cursor of this order names; UserError, naming `argument`, if none."""
        try:
            prefix, payload = relay.from_base64(value)
        except (ValueError, TypeError):
            raise _not_a_cursor(argument) from None
        if prefix == PREFIX and cursor_position(value) is not None:
            raise _refusal(
                argument,
                f"'{argument}' is an offset cursor, which this list no longer takes: ask for "
                "the first page again and page on with the cursors it gives.",
            )
        try:
            name, *key = json.loads(payload) if prefix == KEYSET_PREFIX else None
        except (ValueError, TypeError):
            raise _not_a_cursor(argument) from None
        if not isinstance(name, str):
            raise _not_a_cursor(argument)
        if name != self.name:
            raise _refusal(
                argument,
                f"'{argument}' is a cursor of the order {name}, and this list is in the order "
                f"{self.name}: page with the orderBy it came from, or start again without it.",
            )
        try:
            return self._key(key)
        except (ValidationError, ValueError, TypeError):
            raise _not_a_cursor(argument) from None

    def _key(self, key: list) -> tuple:
        pk_field = self.model._meta.pk
        if self.column is None:
            (pk,) = key
            return (pk_field.to_python(_integer(pk)),)
        value, pk = key
        if value is not None:
            value = self.model._meta.get_field(self.column).to_python(value)
        elif not self.nullable:
            raise ValueError("a NULL in a column that has none")
        return value, pk_field.to_python(_integer(pk))


def keyset_of(queryset: Any) -> Keyset | None:
    """The keyset a root list's queryset is ordered by (`Keyset.ordered`), or None if another."""
    if not isinstance(queryset, models.QuerySet):
        return None
    order = queryset.query.order_by
    if not 1 <= len(order) <= 2 or not all(isinstance(o, OrderBy) for o in order):
        return None
    column = order[0].expression if len(order) == 2 else None
    if column is not None and not isinstance(column, F):
        return None
    keyset = Keyset(queryset.model, column and column.name, order[-1].descending)
    return keyset if keyset.ordering() == tuple(order) else None


def keyset_for(model: type[models.Model], order: Any) -> Keyset:
    """The keyset of an `orderBy` input (`{field, direction}`); None: by id, ascending."""
    if order is None:
        return Keyset(model, None)
    return Keyset(model, order.field.value, order.direction.value == "DESC")


@dataclass
class KeysetPage:
    rows: list
    cursors: list[str]
    has_previous: bool
    has_next: bool


def keyset_reading(
    keyset: Keyset,
    *,
    first: int | None,
    last: int | None,
    after: str | None,
    before: str | None,
) -> tuple[Q, Keyset, int, Callable[[list], tuple[list, bool, bool]]]:
    """How one list's page is read: (its bounds, the order read, rows read, how to cut them).

    After `after` and before `before`, past their cursors (no offset); then the first `first`
    rows, or the last `last` (the page size when neither is given), one more read to tell
    whether there are more. The cut (`page_cut`) takes the rows read, in the order read.
    """
    after_key = keyset.key_of_cursor("after", after) if after else None
    before_key = keyset.key_of_cursor("before", before) if before else None
    bounds, reading, size = keyed_reading(
        keyset, first=first, last=last, after_key=after_key, before_key=before_key
    )
    return bounds, reading, size, page_cut(first=first, last=last, after=after, before=before)


def keyed_reading(
    keyset: Keyset,
    *,
    first: int | None,
    last: int | None,
    after_key: tuple | None,
    before_key: tuple | None,
) -> tuple[Q, Keyset, int]:
    """`keyset_reading`'s bounds, order and rows read, for the (value, id) keys its cursors
    name (the read path's kept plans bind them, and the page size, as parameters)."""
    bounds = Q()
    if after_key is not None:
        bounds &= keyset.past(after_key)
    if before_key is not None:
        bounds &= keyset.reversed().past(before_key)
    if first is None and last is None:
        first = page_limit()
    if first is None:
        return bounds, keyset.reversed(), last + 1
    return bounds, keyset, first + 1


def keyset_window(
    queryset: models.QuerySet, keyset: Keyset, **paging: Any
) -> tuple[models.QuerySet, Callable[[list], tuple[list, bool, bool]]]:
    """The rows to read for one page of a root list, and how to cut the page from them."""
    bounds, reading, size, cut = keyset_reading(keyset, **paging)
    return reading.ordered(queryset.filter(bounds))[:size], cut


def keyset_rows(
    queryset: models.QuerySet,
    keyset: Keyset,
    *,
    first: int | None,
    last: int | None,
    after_key: tuple | None,
    before_key: tuple | None,
) -> models.QuerySet:
    """`keyset_window`'s rows past the (value, id) keys its cursors name, given as keys (the
    read path's kept plans bind them as parameters)."""
    bounds, reading, size = keyed_reading(
        keyset, first=first, last=last, after_key=after_key, before_key=before_key
    )
    return reading.ordered(queryset.filter(bounds))[:size]


def page_cut(
    *, first: int | None, last: int | None, after: str | None, before: str | None
) -> Callable[[list], tuple[list, bool, bool]]:
    """How a page is cut from the rows read, in the order read: (rows, hasPreviousPage,
    hasNextPage), as Relay's algorithm has them; hasPreviousPage (forwards) and hasNextPage
    (backwards) say whether a cursor was given, since the row it names comes before."""
    if first is None and last is None:
        first = page_limit()
    if first is None:

        def cut_last(rows: list) -> tuple[list, bool, bool]:
            return rows[:last][::-1], len(rows) > last, bool(before)

        return cut_last

    def cut(rows: list) -> tuple[list, bool, bool]:
        has_next, rows = len(rows) > first, rows[:first]
        has_previous = bool(after)
        if last is not None:
            has_previous, rows = has_previous or len(rows) > last, rows[max(len(rows) - last, 0) :]
        return rows, has_previous, has_next

    return cut


KEYSET_VALUE = "_keyset_value"  # a row's value of its keyset's column, for its cursor


class NestedPageQuery(Query):
    """The query of one page of each parent's list, for every parent in one statement, once the
    parents are known: Django's prefetch adds them (`<parent>__in`, through `add_q`), the read
    path one array parameter (`for_parents`).

    On PostgreSQL, a LATERAL join per parent, each with its own `ORDER BY ... LIMIT`, which an
    index of (parent, column, id) answers by reading the page and no more, however long the
    parent's list; elsewhere (SQLite has no LATERAL) `ROW_NUMBER() OVER (PARTITION BY parent
    ORDER BY column, id)` over the parents' rows. Either way the rows come in order of
    parent, then of reading.
    """

    reading: Keyset
    foreign_key: str  # the parent's column (attname)
    size: int  # rows read per parent: the page and one more
    lateral: bool  # PostgreSQL's LATERAL; else the window

    def add_q(self, q_object: Q, *args: Any, **kwargs: Any) -> None:
        parents = self._parents(q_object)
        if parents is not None:  # a prefetch's: the pages of its parents
            ids = list(dict.fromkeys(getattr(p, "pk", p) for p in parents))
            q_object = Q(pk__in=self.pages_of(ids))
        super().add_q(q_object, *args, **kwargs)

    def _parents(self, q_object: Q) -> list | None:
        """The parents of a prefetch's `Q(<parent>__in=...)`, or None if another condition."""
        lookup = f"{self.model._meta.get_field(self.foreign_key).name}__in"
        if q_object.negated or len(q_object.children) != 1:
            return None
        (child,) = q_object.children
        return list(child[1]) if isinstance(child, tuple) and child[0] == lookup else None

    def pages_of(self, parents: Any) -> Any:
        """The ids of the rows of each parent's page (`parents`: ids, or the IDS parameter)."""
        query = self.chain()
        query.__class__ = Query
        rows, fk, reading = models.QuerySet(self.model, query=query), self.foreign_key, self.reading
        if not self.lateral:
            if isinstance(parents, list):
                rows = rows.filter(**{f"{fk}__in": parents})
            else:
                rows = rows.filter(InIds(F(fk), parents))
            row = Window(RowNumber(), partition_by=[F(fk)], order_by=list(reading.ordering()))
            ranked = rows.annotate(nested_row=row).filter(nested_row__lte=self.size)
            return ranked.values("pk")
        one = one_parents_page(models.QuerySet(self.model, query=self.chain()))
        try:
            sql, params = one.values("pk").query.sql_with_params()
        except EmptyResultSet:
            return []  # no row for any parent (a list the viewer may see none of)
        return RawSQL(each_parent(sql), (parents, *params))  # noqa: S611  # nosec B611 - Django's SQL, its parameters


def one_parents_page(page: models.QuerySet) -> models.QuerySet:
    """A `nested_window` page of the one parent a LATERAL join gives it (`each_parent`)."""
    nested, rows = page.query, page.all()
    rows.query.__class__ = Query  # its parent is the join's, not a prefetch's
    parent = RawSQL(f'"{LATERAL_PARENT}"."id"', ())  # noqa: S611  # nosec B611 - a fixed name
    rows = rows.filter(**{nested.foreign_key: parent})
    return nested.reading.ordered(rows)[: nested.size]


LATERAL_PARENT = "nested_parent"


def each_parent(sql: str) -> str:
    """`sql` (one parent's rows: `one_parents_page`) for each parent in an array parameter."""
    return (
        f'SELECT "page".* FROM unnest(%s::bigint[]) AS "{LATERAL_PARENT}"("id") '  # noqa: S608
        f'CROSS JOIN LATERAL ({sql}) AS "page"'  # nosec B608 - Django's SQL, its parameters
    )


def nested_window(
    queryset: models.QuerySet, keyset: Keyset, foreign_key: str, **paging: Any
) -> models.QuerySet:
    """The rows to read for one page of each parent's list, for every parent in one statement.

    The keyset's bounds apply to each parent's list (a cursor holds an order and a row's key,
    not a parent); then each parent's page and one more row (`NestedPageQuery`), which
    `nested_cut` cuts each parent's page from.
    """
    bounds, reading, size, _cut = keyset_reading(keyset, **paging)
    return nested_page(queryset.filter(bounds), keyset, reading, foreign_key, size)


def nested_window_of_keys(
    queryset: models.QuerySet, keyset: Keyset, foreign_key: str, **keys: Any
) -> models.QuerySet:
    """`nested_window` for the keys its cursors name and its page size (`keyed_reading`), as
    the read path's kept plans give them: stand-ins whose values each run binds."""
    bounds, reading, size = keyed_reading(keyset, **keys)
    return nested_page(queryset.filter(bounds), keyset, reading, foreign_key, size)


def nested_page(
    queryset: models.QuerySet, keyset: Keyset, reading: Keyset, foreign_key: str, size: int
) -> models.QuerySet:
    """`size` rows of each parent's list of `queryset` in the order `reading`."""
    if keyset.column:
        queryset = queryset.annotate(**{KEYSET_VALUE: F(keyset.column)})
    page = queryset.order_by(F(foreign_key), *reading.ordering())
    page.query.__class__ = NestedPageQuery
    page.query.reading, page.query.foreign_key, page.query.size = reading, foreign_key, size
    page.query.lateral = connections[queryset.db].vendor == "postgresql"
    return page


def for_parents(page: models.QuerySet, parents: Any) -> models.QuerySet:
    """A `nested_window` page of each of `parents`: the read path's one array parameter (IDS)."""
    return page.filter(pk__in=page.query.pages_of(parents))


def nested_cut(keyset: Keyset, **paging: Any) -> Callable[[list], tuple[list, bool, bool]]:
    """How one parent's page is cut from its rows of `nested_window`, in the order read."""
    return page_cut(**paging)


def keyset_page(
    queryset: models.QuerySet,
    keyset: Keyset,
    *,
    fetch: Callable[[models.QuerySet], list],
    key: Callable[[Any], tuple],
    **paging: Any,
) -> KeysetPage:
    """One page of a root list (`keyset_window`'s), with each row's cursor.

    `fetch` reads a queryset's rows (model instances, or values_list rows) and `key` gives a
    row's (value, id) for its cursor.
    """
    window, cut = keyset_window(queryset, keyset, **paging)
    rows, has_previous, has_next = cut(fetch(window))
    return KeysetPage(rows, [keyset.cursor(key(row)) for row in rows], has_previous, has_next)


# A count under a text search reads every match (no index bounds a substring's matches); it
# stops here, and the client is told null (docs/api.md, "Counts").
SEARCH_COUNT_BOUND = 10_000
TOTAL_COUNT = (
    "How many items the list holds under its filters. Exact, except under a `search` that "
    f"matches more than {SEARCH_COUNT_BOUND:,}: then null (narrow the search to count it)."
)


def counted(queryset: models.QuerySet, user: Any) -> models.QuerySet:
    """The rows `totalCount` counts (`.count()`): the list's, under its filters, as `user` sees it.

    Count a list before the optimizer annotates it. A list of exactly the tasks the user may see
    counts their tallies instead (learningplatform.selectors.tasks_to_count); a searched list
    counts at most SEARCH_COUNT_BOUND + 1 rows (`total_within_bound`).
    """
    rows = tasks_to_count(user, queryset.order_by().select_related(None).prefetch_related(None))
    return rows[: SEARCH_COUNT_BOUND + 1] if is_searched(rows) else rows


def count_is_bounded(rows: Any) -> bool:
    """Whether `counted`'s `rows` stop at SEARCH_COUNT_BOUND + 1 (a searched list's)."""
    return (
        isinstance(rows, models.QuerySet)
        and rows.query.high_mark == SEARCH_COUNT_BOUND + 1
        and is_searched(rows)
    )


def total_within_bound(total: int | None, *, bounded: bool) -> int | None:
    """What `totalCount` answers for a count `total`: null past the bound of a bounded count."""
    return None if bounded and total is not None and total > SEARCH_COUNT_BOUND else total


def page_argument_error(
    *,
    first: int | None,
    last: int | None,
    after: str | None,
    before: str | None,
    keyset: Keyset | None = None,
) -> UserError | None:
    """The error the client is told for page arguments the API refuses, or None.

    `keyset` is the order of the list (its cursors are keyset cursors of that order); None for a
    list in no keyset's order (offset cursors).
    """
    limit = page_limit()
    for argument, size in (("first", first), ("last", last)):
        if size is not None and not 0 <= size <= limit:
            return _refusal(argument, f"'{argument}' must be between 0 and {limit}; got {size}.")
    for argument, value in (("after", after), ("before", before)):
        if not value:
            continue
        if keyset is not None:
            try:
                keyset.key_of_cursor(argument, value)
            except UserError as refusal:
                return refusal
        elif cursor_position(value) is None:
            return _not_a_cursor(argument)
    return None


# Positions beyond this do not fit the database's 64-bit OFFSET once a page is added.
MAX_POSITION = 2**62


def cursor_position(value: str) -> int | None:
    """The position an offset cursor names, or None if it is not one."""
    try:
        prefix, position = relay.from_base64(value)
    except (ValueError, TypeError):
        return None
    if prefix != PREFIX or not (position.isascii() and position.isdigit()) or len(position) > 19:
        return None
    number = int(position)
    return number if number < MAX_POSITION else None


def node_rows(model: type[models.Model]) -> models.QuerySet:
    """The rows an object fetched by id comes from: the default manager, as strawberry-django."""
    return model._default_manager.all()


def related_rows(model: type[models.Model]) -> models.QuerySet:
    """The rows related objects come from: the base manager, as strawberry-django's prefetches."""
    return model._base_manager.all()


@strawberry.type(description="A page of a list, with Relay cursors and the total count.")
class Connection(DjangoListConnection[relay.NodeType]):
    total: strawberry.Private[Callable[[], int | None] | None] = None  # a nested list's

    @strawberry.field(description=TOTAL_COUNT)
    def total_count(self) -> int | None:
        if self.total is not None:
            return self.total()
        total = DjangoListConnection.total_count(self)
        return total_within_bound(total, bounded=count_is_bounded(self.nodes))

    @classmethod
    def resolve_connection(cls, nodes: Any, *, info: Any, **kwargs: Any) -> Any:
        arguments = {name: kwargs.pop(name, None) for name in ("first", "last", "after", "before")}
        parent = getattr(nodes, "nested_parent", None)  # graphql_api/nested.py
        if parent is not None:
            return cls.resolve_nested(nodes, parent, info, arguments, kwargs)
        keyset = keyset_of(nodes)
        refusal = page_argument_error(**arguments, keyset=keyset)
        if refusal is not None:
            raise refusal
        if keyset is None:
            return super().resolve_connection(nodes, info=info, **arguments, **kwargs)
        # Root lists leave optimizing to this point (disable_optimization on the field), so
        # that the count is taken from the list as filtered, before the optimizer annotates it.
        total_rows = counted(nodes, info.context.request.user)
        if not get_queryset_config(nodes).optimized and (ext := optimizer.get()) is not None:
            nodes = ext.optimize(nodes, info=info)
        page = keyset_page(
            nodes.annotate(_keyset_value=F(keyset.column)) if keyset.column else nodes,
            keyset, **arguments, fetch=list,
            key=lambda row: (row._keyset_value, row.pk) if keyset.column else (row.pk,),
        )  # fmt: skip
        return cls.answer(page, info, total_rows, **kwargs)

    @classmethod
    def resolve_nested(cls, nodes, parent, info, arguments: dict, kwargs: dict) -> Any:
        """One parent's page of a nested list: cut from the rows prefetched for every parent
        (`nested_window`), or read for this parent alone; its total counted apart."""
        keyset = keyset_for(nodes.model, kwargs.pop("order_by", None))
        refusal = page_argument_error(**arguments, keyset=keyset)
        if refusal is not None:
            raise refusal
        key = (lambda row: (row._keyset_value, row.pk)) if keyset.column else lambda r: (r.pk,)
        if fetched(nodes):  # prefetched: this parent's rows, in the order read
            rows, has_previous, has_next = nested_cut(keyset, **arguments)(list(nodes))
            page = KeysetPage(rows, [keyset.cursor(key(r)) for r in rows], has_previous, has_next)
        elif _selects(info, {"edges", "pageInfo"}):
            if keyset.column:
                nodes = nodes.annotate(**{KEYSET_VALUE: F(keyset.column)})
            page = keyset_page(nodes, keyset, **arguments, fetch=list, key=key)
        else:  # only its total: no page to read
            page = KeysetPage([], [], False, False)
        field, user = field_of(info), info.context.request.user  # a NestedConnectionField
        connection = cls.answer(page, info, None, **kwargs)
        connection.total = lambda: field.total_of(parent, user)
        return connection

    @classmethod
    def answer(cls, page: "KeysetPage", info: Any, total_rows: Any, **kwargs: Any) -> Any:
        edge = resolve_edge_class(cls)
        edges = [
            edge(cursor=c, node=cls.resolve_node(row, info=info, **kwargs))
            for row, c in zip(page.rows, page.cursors, strict=True)
        ]
        return cls(
            edges=edges,
            page_info=relay.PageInfo(
                start_cursor=page.cursors[0] if edges else None,
                end_cursor=page.cursors[-1] if edges else None,
                has_previous_page=page.has_previous,
                has_next_page=page.has_next,
            ),
            nodes=total_rows,
        )


def _selects(info: Any, names: set[str]) -> bool:
    """Whether the connection's selection asks for any of `names` (at its top level)."""
    return any(
        getattr(s, "name", None) in names or not hasattr(s, "name")
        for field in info.selected_fields
        for s in field.selections
    )


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _integer(value: Any) -> int:
    if type(value) is not int or not 0 < value < 2**63:
        raise TypeError("an id is a positive 64-bit integer")
    return value


def _not_a_cursor(argument: str) -> UserError:
    return _refusal(argument, f"'{argument}' is not a cursor: use a pageInfo or edge cursor.")


def _refusal(argument: str, message: str) -> UserError:
    code = ErrorCode.OUT_OF_RANGE if argument in {"first", "last"} else ErrorCode.INVALID
    return UserError(message, code, [FieldError(field=argument, message=message, code=code)])
