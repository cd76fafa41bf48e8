"""Nested connections: a parent's related rows as a page, ordered, by keyset, and counted.

Every connection field that is not a root list (a course's `tasks`, a user's `courses`, a
task's `submissions`) is a `nested_connection`: it takes its root list's `orderBy` (the same
input; submissions, which have no root list, their own), pages by keyset cursors of that order
(graphql_api/connections.py), and reads the pages of many parents in one statement
(`nested_window`: a LATERAL join per parent on PostgreSQL, a window per parent elsewhere). A
cursor holds an order and a row's key, not a parent: under many parents it applies to each
parent's list, as PostGraphile's do (docs/api.md, "Lists").

`totalCount` is not a window over every row of every parent: `NestedTotals` says which rows
count (a course's task tallies, ADR 0016; an instructor's courses; a task's submissions), read
for every parent of a level in one statement, after the page. Page arguments a nested list
refuses are refused before anything runs (`NestedPageCheck`), since the list itself is read
only after its parents.
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import strawberry_django
from django.db import models
from django.db.models import Count, Sum
from django.db.models.functions import Cast, Coalesce
from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    get_argument_values,
    get_named_type,
    get_variable_values,
)
from graphql.execution import ExecutionResult
from strawberry.extensions import SchemaExtension

from graphql_api.connections import (
    keyset_for,
    nested_window,
    nested_window_of_keys,
    page_argument_error,
)
from graphql_api.library_internals import (
    RELATED_FIELD_ID,
    StrawberryAnnotation,
    StrawberryArgument,
    StrawberryDjangoField,
    fetched,
    get_queryset_config,
    graphql_schema_of,
)


@dataclass(frozen=True)
class NestedTotals:
    """What a nested list's `totalCount` counts, for many parents at once, apart from its page.

    `rows(user)` are the rows counted, of every parent: the list's own rows as `user` sees them,
    or rows that count them (the task tallies, ADR 0016); `parent` is their column naming the
    parent, `relation` the parent's relation to them (a prefetch lookup), and `weight` the column
    each row counts for (a tally's number of tasks), or None: one each.
    """

    rows: Callable[[Any], models.QuerySet]
    parent: str
    relation: str
    weight: str | None = None

    def counts(self, user: Any, parents: list) -> models.QuerySet:
        """(parent id, total) of each parent in `parents` with any row: one grouped count."""
        return self.grouped(self.rows(user).filter(**{f"{self.parent}__in": parents}))

    def grouped(self, rows: models.QuerySet) -> models.QuerySet:
        """(parent id, total) of each parent of `rows`."""
        total = Sum(self.weight) if self.weight else Count("pk")
        counted = Cast(Coalesce(total, 0), models.BigIntegerField())
        grouped = rows.order_by().values(self.parent).annotate(total=counted)
        return grouped.values_list(self.parent, "total")

    def total_of(self, rows: list) -> int:
        """The total of one parent's prefetched `rows`."""
        return sum(getattr(row, self.weight) for row in rows) if self.weight else len(rows)

    def attribute(self, name: str) -> str:
        """Where a parent keeps its prefetched rows for the list `name`."""
        return f"_totals_of_{name}"


class NestedConnectionField(StrawberryDjangoField):
    """A connection to each parent's related rows: with its root list's `orderBy`, keyset
    cursors, and `totalCount` from `totals`, counted apart from the page (`nested_connection`)."""

    order_input: Any = None
    totals: NestedTotals | None = None

    @property
    def arguments(self) -> list:
        arguments = super().arguments
        if any(a.python_name == "order_by" for a in arguments):
            return arguments
        order_by = StrawberryArgument(
            python_name="order_by", graphql_name=None, default=None,
            type_annotation=StrawberryAnnotation(self.order_input | None),
        )  # fmt: skip
        return [order_by, *arguments]

    @arguments.setter
    def arguments(self, value: list) -> None:
        StrawberryDjangoField.arguments.fset(self, value)

    def __copy__(self) -> "NestedConnectionField":
        copied = super().__copy__()
        copied.order_input, copied.totals = self.order_input, self.totals
        return copied

    def total_of(self, parent: models.Model, user: Any) -> int:
        """A parent's total: from the rows prefetched for every parent, or counted for it."""
        totals = self.totals
        prefetched = getattr(parent, totals.attribute(self.django_name), None)
        if prefetched is not None:
            return totals.total_of(prefetched)
        return dict(totals.counts(user, [parent.pk])).get(parent.pk, 0)

    def get_result(self, source, info, args, kwargs) -> Any:
        """The parent's rows, which keep their parent for `Connection.resolve_nested` (a
        queryset's `_hints` cannot: Django shares one dict between clones)."""
        result = super().get_result(source, info, args, kwargs)
        if isinstance(result, models.QuerySet):
            result.nested_parent = source
        return result

    def get_queryset(self, queryset, info, *, order_by=None, keys=None, **kwargs):
        """The list's rows as the viewer sees them, in its keyset's order; for many parents (a
        prefetch, `RELATED_FIELD_ID`), each parent's page (`nested_window`), or, from the read
        path, the page its `keys` give (`nested_window_of_keys`: stand-ins a kept plan binds)."""
        paging = {name: kwargs.pop(name, None) for name in ("first", "last", "after", "before")}
        config = get_queryset_config(queryset)
        if fetched(queryset) or config.optimized_by_prefetching:
            return queryset  # a page read already (prefetched)
        foreign_key = kwargs.get(RELATED_FIELD_ID)
        queryset = super().get_queryset(queryset, info, **kwargs)
        keyset = keyset_for(queryset.model, order_by)
        if foreign_key is None:
            return keyset.ordered(queryset)  # one parent's: the connection reads its page
        if keys is not None:
            page = nested_window_of_keys(queryset, keyset, foreign_key, **keys)
        elif page_argument_error(**paging, keyset=keyset) is not None:
            page = queryset.none()  # the connection refuses them, naming the argument
        else:
            page = nested_window(queryset, keyset, foreign_key, **paging)
        get_queryset_config(page).optimized_by_prefetching = True
        return page


def nested_connection(order_input: Any, totals: NestedTotals, description: str) -> Any:
    """A nested connection field (`NestedConnectionField`), ordered by `order_input`."""
    field = strawberry_django.connection(description=description, field_cls=NestedConnectionField)
    field.order_input, field.totals = order_input, totals
    return field


class NestedPageCheck(SchemaExtension):
    """Refuse, before anything runs, the page arguments of a nested list that its connection
    refuses (a cursor of another order, an offset cursor, a page too long), naming the argument:
    the list is read after its parents, and its own refusal would come after their SQL."""

    def on_execute(self):
        context = self.execution_context
        document = context.graphql_document
        if document is not None and context.result is None:
            refusal = nested_page_refusal(
                graphql_schema_of(context.schema),
                document,
                context.operation_name,
                context.variables,
            )
            if refusal is not None:
                context.result = ExecutionResult(data=None, errors=[refusal])
        yield


def nested_page_refusal(schema, document, operation_name, variables) -> GraphQLError | None:
    """The first refusal of a nested list's page arguments in the operation, or None."""
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if operation_name is not None:
        operations = [o for o in operations if o.name and o.name.value == operation_name]
    if len(operations) != 1:
        return None  # GraphQL's executor reports the missing or ambiguous operation
    (operation,) = operations
    coerced = get_variable_values(schema, operation.variable_definitions or (), variables or {})
    if isinstance(coerced, list):
        return None  # bad variables: GraphQL's executor reports them
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    root = schema.get_root_type(operation.operation)
    for definition, node in _fields(schema, fragments, root, operation.selection_set, set()):
        field = definition.extensions.get("strawberry-definition")
        if not isinstance(field, NestedConnectionField):
            continue
        try:
            arguments = get_argument_values(definition, node, coerced)
        except GraphQLError:
            continue  # GraphQL's executor reports it
        order = arguments.get("orderBy")
        keyset = keyset_for(field.django_model, order and SimpleNamespace(**order))
        paging = {name: arguments.get(name) for name in ("first", "last", "after", "before")}
        refusal = page_argument_error(**paging, keyset=keyset)
        if refusal is not None:
            return GraphQLError(str(refusal), [node], original_error=refusal)
    return None


def _fields(schema, fragments, parent, selection_set, seen) -> Iterator[tuple[Any, FieldNode]]:
    """(definition, node) of every field under `selection_set`, through fragments."""
    for selection in selection_set.selections if selection_set else ():
        if isinstance(selection, FieldNode):
            definition = getattr(parent, "fields", {}).get(selection.name.value)
            if definition is None:
                continue
            yield definition, selection
            target = get_named_type(definition.type)
            yield from _fields(schema, fragments, target, selection.selection_set, seen)
        elif isinstance(selection, InlineFragmentNode):
            within = parent
            if selection.type_condition is not None:
                within = schema.get_type(selection.type_condition.name.value) or parent
            yield from _fields(schema, fragments, within, selection.selection_set, seen)
        elif isinstance(selection, FragmentSpreadNode) and selection.name.value not in seen:
            fragment = fragments.get(selection.name.value)
            if fragment is not None:
                within = schema.get_type(fragment.type_condition.name.value) or parent
                names = seen | {selection.name.value}
                yield from _fields(schema, fragments, within, fragment.selection_set, names)
