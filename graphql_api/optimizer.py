"""strawberry-django's query optimizer, without its per-field hook, and without N+1 on counts.

DjangoOptimizerExtension does two things: while a request executes it is the optimizer every
strawberry-django field consults when it builds a queryset (lists, connections, nodes: the
joins and prefetches that keep a query at a fixed number of statements), and it also wraps
every resolver of every field, to optimize a queryset a hand-written resolver might return.
This API's resolvers all go through strawberry-django fields, so the wrapper only costs: any
schema extension with a `resolve` hook makes GraphQL call every field, leaf or not, through
Strawberry's middleware path (and sends every document to the executor).

strawberry-django prefetches a nested connection only when its `edges { node }` are selected;
`tasks { totalCount }` or `tasks { pageInfo { ... } }` alone cost a statement per parent. For
those, `QueryOptimizer.optimize` adds the page as the read path reads it: one windowed query per
connection, prefetched, which the connection then reads its total and page from.

The statement-count tests (tests/graphql_api/test_readpath.py, test_frontend_documents.py and
the legacy ones) hold the optimization in place: they fail if a list stops being prefetched.
"""

from django.db.models import Prefetch, QuerySet
from graphql import get_named_type
from strawberry.extensions import SchemaExtension

from graphql_api.connections import page_argument_error, page_limit, page_slice, related_rows
from graphql_api.library_internals import (
    DjangoOptimizerExtension,
    apply_window_pagination,
    get_queryset_config,
    info_of,
    raw_info_of,
    related_page,
)
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
    """Prefetches for the nested connections under `selections` that select no `edges { node }`."""
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
        nodes = [
            n for g in group for e in _fields(g.selections) if e.name == "edges"
            for node in _fields(e.selections) if node.name == "node"
            for n in _fields(node.selections)
        ]  # fmt: skip
        if nodes:  # strawberry-django prefetches this page itself; look further down
            lookups += _count_only_pages(index, relation.target, nodes, f"{path}__", raw)
        elif len(group) == 1 and (page := _page_of(relation, group[0], raw)) is not None:
            lookups.append(Prefetch(path, queryset=page))
    return lookups


def _page_of(relation, selection, raw) -> QuerySet | None:
    """The windowed page of the related rows this selection asks for, as a prefetch reads it."""
    arguments = selection.arguments or {}
    first, after = arguments.get("first"), arguments.get("after")
    if isinstance(first, str) and first.isascii() and first.isdigit():
        first = int(first)  # Strawberry's selections give literals as written
    if set(arguments) - {"first", "after"} or first == 0:
        return None  # paging backwards, or first: 0: left as strawberry-django resolves it
    if not isinstance(first, int | None) or not isinstance(after, str | None):
        return None  # refused by the schema's coercion before this field resolves
    if page_argument_error(first=first, last=None, after=after, before=None) is not None:
        return None  # refused by the connection
    page = page_slice(first=first, after=after)
    foreign_key = relation.model_field.field.attname
    model = relation.model_field.related_model
    with DjangoOptimizerExtension.disabled():
        queryset = related_page(
            relation.strawberry_field, related_rows(model),
            info_of(raw, relation.strawberry_field), foreign_key,
        )  # fmt: skip
    queryset = apply_window_pagination(
        queryset.only(model._meta.pk.attname, foreign_key),
        related_field_id=foreign_key, offset=page.start, limit=page.end - page.start,
        max_results=page_limit(),
    )  # fmt: skip
    get_queryset_config(queryset).optimized_by_prefetching = True
    return queryset
