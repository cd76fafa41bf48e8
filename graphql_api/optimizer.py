"""strawberry-django's query optimizer, without its per-field hook, and without N+1 on counts.

DjangoOptimizerExtension does two things: while a request executes it is the optimizer every
strawberry-django field consults when it builds a queryset (lists, connections, nodes: the
joins and prefetches that keep a query at a fixed number of statements), and it also wraps
every resolver of every field, to optimize a queryset a hand-written resolver might return.
This API's resolvers all go through strawberry-django fields, so the wrapper only costs: any
schema extension with a `resolve` hook makes GraphQL call every field, leaf or not, through
Strawberry's middleware path (and sends every document to the executor).

strawberry-django prefetches a nested connection's page (`NestedConnectionField.get_queryset`:
one windowed query for every parent) only when its `edges { node }` are selected;
`tasks { pageInfo { ... } }` alone would cost a statement per parent. For those,
`QueryOptimizer.optimize` adds the page as the read path reads it. And for every nested
`totalCount` it prefetches the rows the total counts (`NestedTotals`: a course's task tallies,
an instructor's courses), one statement per level, which the connection sums per parent.

The statement-count tests (tests/graphql_api/test_readpath.py, test_frontend_documents.py and
the legacy ones) hold the optimization in place: they fail if a list stops being prefetched.
"""

from django.db.models import Prefetch, QuerySet
from graphql import get_named_type
from strawberry.extensions import SchemaExtension

from graphql_api.connections import page_argument_error, related_rows
from graphql_api.library_internals import (
    DjangoOptimizerExtension,
    info_of,
    raw_info_of,
    related_page,
)
from graphql_api.nested import NestedConnectionField
from graphql_api.readpath.index import SchemaIndex, index_of


class QueryOptimizer(DjangoOptimizerExtension):
    resolve = SchemaExtension.resolve  # no per-field hook: fields optimize their own querysets

    def optimize(self, qs, info, *, store=None) -> QuerySet:
        optimized = super().optimize(qs, info, store=store)
        raw = raw_info_of(info)
        index = index_of(raw.schema)
        if not self.enabled.get() or index is None or not isinstance(optimized, QuerySet):
            return optimized
        entry = index.types.get(optimized.model and _type_name(raw, index, optimized.model))
        if entry is None:
            return optimized
        selections = _object_selections(info_of(raw, None).selected_fields, raw)
        lookups = _count_only_pages(index, entry.name, selections, "", raw)
        return optimized.prefetch_related(*lookups) if lookups else optimized


def _type_name(raw, index: SchemaIndex, model) -> str | None:
    named = get_named_type(raw.return_type)
    if named.name in index.types:
        return named.name
    edges = getattr(named, "fields", {}).get("edges")
    if edges is not None:
        node = get_named_type(get_named_type(edges.type).fields["node"].type)
        return node.name if node.name in index.types else None
    return None


def _included(selection) -> bool:
    directives = selection.directives or {}
    return (
        directives.get("skip", {}).get("if") is not True
        and directives.get("include", {}).get("if") is not False
    )


def _fields(selections):
    """Field selections, with fragments spread in and @skip/@include applied."""
    for selection in selections:
        if not _included(selection):
            continue
        if hasattr(selection, "alias"):
            yield selection
        else:  # a fragment or inline fragment
            yield from _fields(selection.selections)


def _object_selections(selected_fields, raw) -> list:
    """The selections on the objects `raw`'s field returns: under edges/node for connections."""
    named = get_named_type(raw.return_type)
    top = [s for field in selected_fields for s in _fields(field.selections)]
    if "edges" not in getattr(named, "fields", {}):
        return top
    return [
        n for e in top if e.name == "edges"
        for node in _fields(e.selections) if node.name == "node"
        for n in _fields(node.selections)
    ]  # fmt: skip


def _count_only_pages(index: SchemaIndex, type_name: str, selections, prefix: str, raw) -> list:
    """Prefetches for the nested connections under `selections`: the rows each total counts
    (`NestedTotals`), and the page of those that select no `edges { node }`."""
    entry, lookups, by_name = index.types[type_name], [], {}
    for selection in selections:
        by_name.setdefault(selection.name, []).append(selection)
    for name, group in by_name.items():
        relation = entry.relations.get(name)
        if relation is None:
            continue
        path = f"{prefix}{relation.strawberry_field.django_name}"
        if relation.kind == "to_one":
            inner = [s for g in group for s in _fields(g.selections)]
            lookups += _count_only_pages(index, relation.target, inner, f"{path}__", raw)
            continue
        parts = {s.name for g in group for s in _fields(g.selections)}
        field = relation.strawberry_field
        if "totalCount" in parts and isinstance(field, NestedConnectionField):
            totals = field.totals
            rows = totals.rows(raw.context.request.user)
            lookups.append(
                Prefetch(
                    f"{prefix}{totals.relation}",
                    queryset=rows.only("pk", totals.parent, *filter(None, [totals.weight])),
                    to_attr=totals.attribute(field.django_name),
                )
            )
        nodes = [
            n for g in group for e in _fields(g.selections) if e.name == "edges"
            for node in _fields(e.selections) if node.name == "node"
            for n in _fields(node.selections)
        ]  # fmt: skip
        if nodes:  # strawberry-django prefetches this page itself; look further down
            lookups += _count_only_pages(index, relation.target, nodes, f"{path}__", raw)
        elif parts & {"edges", "pageInfo"} and len(group) == 1:
            if (page := _page_of(relation, group[0], raw, "edges" in parts)) is not None:
                lookups.append(Prefetch(path, queryset=page))
    return lookups


def _page_of(relation, selection, raw, cursors: bool) -> QuerySet | None:
    """The page of each parent's rows this selection asks for, as a prefetch reads it: in the
    default order when it asks for no cursor (without cursors, pages of any order are alike)."""
    arguments = selection.arguments or {}
    if cursors and "orderBy" in arguments:
        return None  # its cursors name its order: left as the connection reads them
    first = arguments.get("first")
    if isinstance(first, str) and first.isascii() and first.isdigit():
        first = int(first)  # Strawberry's selections give literals as written
    if set(arguments) - {"first", "orderBy"} or not isinstance(first, int | None):
        return None  # cursors, or paging backwards: left as the connection reads them
    if page_argument_error(first=first, last=None, after=None, before=None) is not None:
        return None  # refused by the connection
    field = relation.strawberry_field
    foreign_key = relation.model_field.field.attname
    model = relation.model_field.related_model
    with DjangoOptimizerExtension.disabled():
        return related_page(
            field, related_rows(model).only(model._meta.pk.attname, foreign_key),
            info_of(raw, field), foreign_key, first=first,
        )  # fmt: skip
