"""Reading: the rows each plan needs, one query per level, and the answers built from them.

Each level's queryset is the one the executor would use: the root field's own resolver, the same
`get_queryset` of the field and of the type (the same visibility rules), the same filters and
ordering, strawberry-django's window pagination for nested pages, and the page rules, cursors
(keyset cursors for root lists), counts and managers of graphql_api/connections.py.

A document is planned and its statements compiled before any row is read (`plan_document`);
the plan keeps the statements and nothing of the request, so the next request with the same
key (graphql_api/readpath/cache.py) only runs it (`DocumentPlan.run`). The viewer a plan needs
at run time (whose private columns may be seen) is the running request's.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, ClassVar

from django.db import DatabaseError, connections
from django.db.models import F, QuerySet
from django.db.models.constants import LOOKUP_SEP
from graphql import GraphQLObjectType, get_named_type

from graphql_api.bounded import digest
from graphql_api.connections import (
    Keyset,
    count_is_bounded,
    counted,
    each_parent,
    for_parents,
    keyset_of,
    keyset_rows,
    nested_cut,
    node_rows,
    one_parents_page,
    page_argument_error,
    page_cut,
    related_rows,
    total_within_bound,
)
from graphql_api.library_internals import (
    DjangoOptimizerExtension,
    Path,
    coerced_variables,
    own_page_limit,
    related_page,
    run_type_get_queryset,
    variables_coerced_as,
)
from graphql_api.readpath.binding import (
    NODE_IDS,
    Shape,
    Unbound,
    bindings,
    bound,
    checking,
    current,
    holds_a_mark,
    is_stand_in,
    shape_of,
    stand_in,
)
from graphql_api.readpath.cache import PlanningReads, plan_key, unchanged
from graphql_api.readpath.fallbacks import Fallback
from graphql_api.readpath.fold import Folded, folded
from graphql_api.readpath.index import RootField
from graphql_api.readpath.plan import (
    PAGE_ARGUMENTS,
    Columns,
    ConnectionPlan,
    FetchedObject,
    JoinedObject,
    NestedConnection,
    ObjectPlan,
    Planner,
    paging_derivation,
    stand_in_keys,
)
from graphql_api.readpath.rows import build
from graphql_api.readpath.statements import (
    IDS,
    InIds,
    Statement,
    count_statement,
    rows_statement,
)
from learningplatform.replicas import read_alias


def read_document(context, index, root_type: GraphQLObjectType, grouped_field_set) -> dict:
    """The data of a query, from its kept plan or one planned now; Fallback if it has none.

    A database error (a statement cancelled for running too long, say) is reported on the root
    field as the executor reports it (strawberry-django reads every level while resolving the
    root field); the other root fields are still answered.
    """
    user = context.context_value.request.user
    document, values = kept_or_planned(context, index, root_type, grouped_field_set, user)
    if document.fallback is not None:
        raise Fallback(document.fallback)
    data = {}
    with bound(values):
        if any(not check.rows() for check in document.checks):
            raise Fallback("a filter's object the viewer may not see, which the executor reports")
        for key, run in document.roots:
            try:
                data[key] = run(user)
            except Fallback:
                raise
            except DatabaseError as exc:
                details = grouped_field_set[key]
                path = Path(None, key, root_type.name)
                field_type = root_type.fields[details[0].node.name.value].type
                context.handle_field_error(exc, field_type, details, path)  # raises if non-null
                data[key] = None
            except Exception as exc:  # noqa: BLE001 - the executor reports it, located and masked
                raise Fallback(f"an error while reading ({type(exc).__name__})") from exc
    return data


def kept_or_planned(context, index, root_type, grouped_field_set, user):
    """The request's plan, and the values its marks stand for (graphql_api/readpath/binding.py).

    Kept by shape: planned once for a stand-in of the viewer's kind and stand-ins of the
    variables it binds, for each set of facts of their values (`Shape.facts`). If planning for
    the stand-ins reads the database, the operation is planned, and kept, for each viewer and
    value from then on (`Shape.per_viewer`); so is a request whose values no plan by shape takes.
    """
    shape = operation_shape(context, index)
    variables = coerced_variables(context)
    body = context.operation.loc.source.body if context.operation.loc else ""
    facts = None
    if not shape.per_viewer and not holds_a_mark(variables, body):
        try:
            facts = shape.facts(variables)
        except Unbound:
            facts = None
    by_shape = facts is not None
    key = plan_key(context, user, facts)  # reads the user: not planning
    document = kept = index.plans.get(key)
    if document is not None and document.reads and not unchanged(document.reads):
        document = None  # what its planning read has changed: plan it afresh
    if document is None and by_shape:
        document = plan_by_shape(context, index, root_type, grouped_field_set, user, shape)
        if document.read_data:  # with these values it reads data, which was the stand-in's
            index.shapes.put(shape_key(context), replace(shape, per_viewer=True))
            by_shape, key = False, plan_key(context, user)
            document = plan_document(context, index, root_type, grouped_field_set)
        elif shape.per_viewer is None:
            index.shapes.put(shape_key(context), replace(shape, per_viewer=False))
    elif document is None:  # per viewer and value: whether by shape is the stand-ins' to tell
        document = plan_document(context, index, root_type, grouped_field_set)
    if document is not kept:  # a kept one is only run (`get` made it the most recently used)
        if document.keep:
            index.plans.put(key, document)
        else:
            index.plans.forget(key)  # a plan kept before, whose reads have changed
    if not by_shape:
        return document, None
    values = bindings(shape, document.derivations, variables, user)
    if values is None:  # a value this plan cannot take: planned for itself, and not kept
        return plan_document(context, index, root_type, grouped_field_set), None
    return document, values


def plan_by_shape(context, index, root_type, grouped_field_set, user, shape: Shape):
    """The plan of this request's shape: for a stand-in viewer, with stand-in variables."""
    request, variables = context.context_value.request, context.variable_values
    request.user = stand_in(user)
    context.variable_values = variables_coerced_as(variables, shape.stand_ins(variables.coerced))
    try:
        node_ids = {n: NODE_IDS[use.n] for n, use in shape.variables.items() if use.kind == "id"}
        return plan_document(context, index, root_type, grouped_field_set, node_ids)
    finally:
        request.user, context.variable_values = user, variables


def shape_key(context) -> tuple:
    operation = context.operation
    name = operation.name.value if operation.name else None
    return (digest(operation.loc.source.body) if operation.loc else None, name)


def operation_shape(context, index) -> Shape:
    """What the operation's plans bind, worked out once per operation."""
    key = shape_key(context)
    shape = index.shapes.get(key) if key[0] is not None else None
    if shape is None:
        roots = {name: (r.kind, r.target) for name, r in index.roots.items()}
        shape = shape_of(context.operation, context.fragments, roots)
        if key[0] is not None:
            index.shapes.put(key, shape)
    return shape


@dataclass
class DocumentPlan:
    """A document's plan: each root key's reader, or why the executor must answer it."""

    roots: list[tuple[str, Callable[[Any], Any]]]
    fallback: str | None = None
    reads: list = field(default_factory=list)  # what planning read: (sql, params, rows)
    keep: bool = True  # whatever planning read can be read again to check it
    read_data: bool = False  # planning read the database
    derivations: list = field(default_factory=list)  # the request's values of its stand-ins
    checks: list = field(default_factory=list)  # filters' objects, each a statement to find it


def plan_document(
    context, index, root_type: GraphQLObjectType, grouped_field_set, node_ids=None
) -> DocumentPlan:
    """Plan every root field and compile every statement, before any row is read.

    `node_ids`: the bound variables' marks, planned for in place of their values.
    """
    planner, reads = Planner(context, index, node_ids), PlanningReads()
    roots, checks = [], []
    try:
        with connections[read_alias()].execute_wrapper(reads), checking(checks):
            for key, details in grouped_field_set.items():
                name = details[0].node.name.value
                if name == "__typename":
                    roots.append((key, lambda _user, name=root_type.name: name))
                    continue
                root = index.roots.get(name)
                if root is None:
                    reason = index.unsupported_roots.get(name, "not a field of the index")
                    raise Fallback(f"Query.{name}: {reason}")
                roots.append((key, planner_for(root)(planner, root_type, key, details, root)))
    except Fallback as fallback:
        return DocumentPlan(
            [], fallback.reason, reads.statements, keep=reads.known, read_data=reads.any
        )
    except Exception as exc:  # noqa: BLE001 - the executor reports it, located and masked
        reason = f"an error while planning ({type(exc).__name__})"
        return DocumentPlan([], reason, keep=False, read_data=reads.any)
    return DocumentPlan(
        roots, None, reads.statements, keep=reads.known, read_data=reads.any,
        derivations=planner.derivations,
        checks=[rows_statement(rows.values_list("pk")[:1]) for rows in checks],
    )  # fmt: skip


def planner_for(root: RootField):
    return {"list": plan_root_list, "node": plan_root_node, "viewer": plan_root_viewer}[root.kind]


@dataclass
class RootList:
    plan: ConnectionPlan
    keyset: Keyset
    value_at: int | None  # the keyset column's index in a row; None: by id alone
    page: Statement
    paging: dict  # first, last, after, before as planned (stand-ins where bound)
    count: Statement | None
    count_bounded: bool  # `count` stops past SEARCH_COUNT_BOUND

    def __call__(self, user) -> dict:
        paging = current(self, self.paging)  # the request's own, where the plan binds them
        rows, has_previous, has_next = page_cut(**paging)(self.page.rows())
        if self.plan.needs_cursors:
            at, keyset = self.value_at, self.keyset
            keys = [(r[at], r[0]) for r in rows] if at is not None else [r[:1] for r in rows]
            cursors = [keyset.cursor(key) for key in keys]
        else:  # none asked for: one place per row, as edges are counted from it
            cursors = [None] * len(rows)
        total = self.count.count() if self.count is not None else None
        total = total_within_bound(total, bounded=self.count_bounded)
        return connection_answer(self.plan, rows, cursors, has_previous, has_next, total, user)

    __hash__ = object.__hash__  # the key of its request's paging (`current`)


def plan_root_list(planner: Planner, root_type, key, details, root: RootField) -> RootList:
    name = details[0].node.name.value
    path = Path(None, key, root_type.name)
    info = planner.info(root_type, name, details, path, root.strawberry_field)
    args, kwargs = planner.arguments(root_type, details, info, root.strawberry_field)
    paging = {argument: kwargs.pop(argument, None) for argument in PAGE_ARGUMENTS}
    plan = planner.connection(get_named_type(root_type.fields[name].type), details)
    if own_page_limit(root.strawberry_field) is not None:
        raise Fallback(f"Query.{name}: a page limit of its own")
    with DjangoOptimizerExtension.disabled():
        queryset = root.strawberry_field.get_result(None, info, args, kwargs)
    if not isinstance(queryset, QuerySet) or queryset.model is not plan.node.model:
        raise Fallback(f"Query.{name}: the resolver returned no queryset of its model")
    keyset = keyset_of(queryset)
    if keyset is None:
        raise Fallback(f"Query.{name}: a list not in a keyset's order")
    given = {k: None if is_stand_in(v) else v for k, v in paging.items()}
    if page_argument_error(**given, keyset=keyset):
        raise Fallback("page arguments the connection refuses")
    value_at = plan.columns.index(keyset.column) if keyset.column else None
    compile_relations(plan.node_plans())
    after_key, before_key, marks = stand_in_keys(keyset, paging)
    window = keyset_rows(
        annotated(queryset, plan.columns), keyset, first=paging["first"], last=paging["last"],
        after_key=after_key, before_key=before_key,
    )  # fmt: skip
    page = rows_statement(window.values_list(*plan.columns.names), len(plan.columns.names))
    user = planner.context.context_value.request.user
    count_rows = counted(queryset, user) if plan.needs_count else None
    count = count_statement(count_rows) if count_rows is not None else None
    bounded = count_is_bounded(count_rows)
    plan.columns.annotations = {}  # compiled; they hold the request's user
    root_list = RootList(plan, keyset, value_at, page, paging, count, bounded)
    if any(is_stand_in(v) for v in paging.values()):
        sources = planner.sources(details, PAGE_ARGUMENTS)
        derivation = paging_derivation(root_list, paging, keyset, sources, marks)
        planner.derivations.append(derivation)
    return root_list


@dataclass
class RootNode:
    plan: ObjectPlan
    statement: Statement
    folded: Folded | None = None  # the same, its nested lists' rows in its row (fold.py)

    folding: ClassVar[bool] = True  # off: one statement per level (bench/readpath_switches.py)

    def __call__(self, user) -> dict | None:
        if self.folded is not None and self.folding:
            rows, read = self.folded.rows()
        else:
            rows, read = self.statement.rows(), None
        return objects(self.plan, rows, user, read)[0] if rows else None


def plan_root_node(planner: Planner, root_type, key, details, root: RootField) -> RootNode:
    node_id = planner.root_node_id(root_type, details, root.target)
    return plan_one(planner, root_type, key, details, root, node_id)


@dataclass
class RootViewer:
    """`me`: the request's user, answered from the user the request loaded (no statement)."""

    plan: ObjectPlan

    def __call__(self, user) -> dict | None:
        if not user.is_authenticated:
            return None
        row = tuple(getattr(user, attname) for attname in self.plan.columns.names)
        return objects(self.plan, [row], user)[0]


def plan_root_viewer(planner: Planner, root_type, key, details, root: RootField):
    """`me`; read as any user is when it asks for more than the user's own columns."""
    user = planner.context.context_value.request.user
    entry = planner.index.types[root.target]
    plan = planner.object(planner.context.schema.type_map[root.target], details, columns_for(entry))
    columns = plan.columns
    if columns.annotations or any(LOOKUP_SEP in name for name in columns.names):
        pk = user.pk if user.is_authenticated else None
        return plan_one(planner, root_type, key, details, root, pk)
    compile_relations([plan])
    return RootViewer(plan)


def plan_one(planner: Planner, root_type, key, details, root: RootField, pk) -> RootNode:
    """One object by primary key, through its type's visibility rules; `pk` None: null."""
    name = details[0].node.name.value
    path = Path(None, key, root_type.name)
    info = planner.info(root_type, name, details, path, root.strawberry_field)
    object_type = planner.context.schema.type_map[root.target]
    entry = planner.index.types[root.target]
    plan = planner.object(object_type, details, columns_for(entry))
    compile_relations([plan])
    queryset = node_rows(entry.model)
    if pk is None:
        queryset = queryset.none()  # no statement
    else:
        with DjangoOptimizerExtension.disabled():
            queryset = run_type_get_queryset(queryset.filter(pk=pk), entry.origin, info)
    statement = rows_statement(
        annotated(queryset, plan.columns).values_list(*plan.columns.names)[:1]
    )
    plan.columns.annotations = {}  # compiled; they hold the request's user
    levels = [
        statement
        for relation in plan.relations
        if isinstance(relation, NestedConnection)
        for statement in (relation.statement, relation.count)
        if statement is not None and statement.sql is not None
    ]
    return RootNode(plan, statement, folded(statement, levels))


def compile_relations(plans: list[ObjectPlan]) -> None:
    """Compile the statement of every relation read apart under `plans`, then drop its Info."""
    for plan in plans:
        for relation in plan.relations:
            if isinstance(relation, JoinedObject):
                compile_relations([relation.plan])
            elif isinstance(relation, FetchedObject):
                relation.statement = fetched_statement(relation)
                compile_relations([relation.plan])
            else:
                relation.statement = nested_statement(relation)
                relation.count = nested_count_statement(relation)
                compile_relations(relation.plan.node_plans())
            relation.info = None
            relation.plan.columns.annotations = {}  # compiled; they hold the request's user


def fetched_statement(relation: FetchedObject) -> Statement:
    plan = relation.plan
    queryset = related_rows(plan.entry.model).filter(InIds(F("pk"), IDS))
    with DjangoOptimizerExtension.disabled():
        queryset = run_type_get_queryset(queryset, plan.entry.origin, relation.info)
    return rows_statement(annotated(queryset, plan.columns).values_list(*plan.columns.names))


def nested_statement(relation: NestedConnection) -> Statement | None:
    """The statement of every parent's page (`nested_window`); None if none is asked for."""
    plan, fk = relation.plan, relation.foreign_key
    if not any(name in ("edges", "pageInfo") for _key, name, _part in plan.parts):
        return None
    with DjangoOptimizerExtension.disabled():
        queryset = related_page(
            relation.strawberry_field, related_rows(plan.node.model), relation.info, fk,
            order_by=relation.order_by, keys=relation.keys,
        )  # fmt: skip
    names = plan.columns.names
    if queryset.query.lateral:  # each parent's page, its columns read in the LATERAL join
        one = one_parents_page(annotated(queryset, plan.columns)).values_list(*names, fk)
        statement = rows_statement(one, len(names) + 1)
        if statement.sql is None:
            return statement  # no row for any parent (Django knew without asking)
        params = (IDS, *statement.params)
        ids_at = tuple(i for i, param in enumerate(params) if param is IDS)
        return replace(statement, sql=each_parent(statement.sql), params=params, ids_at=ids_at)
    queryset = annotated(for_parents(queryset, IDS), plan.columns)
    return rows_statement(queryset.values_list(*names, fk), len(names) + 1)


def nested_count_statement(relation: NestedConnection) -> Statement | None:
    """The statement of every parent's total (`NestedTotals`); None if none is asked for."""
    if not relation.plan.needs_count:
        return None
    totals = relation.strawberry_field.totals
    user = relation.info.context.request.user
    rows = totals.rows(user).filter(InIds(F(totals.parent), IDS))
    return rows_statement(totals.grouped(rows))


def annotated(queryset: QuerySet, columns: Columns) -> QuerySet:
    """The queryset with the annotations its columns read (resolver fields answered as columns)."""
    return queryset.annotate(**columns.annotations) if columns.annotations else queryset


def columns_for(entry) -> Columns:
    return Columns([entry.model._meta.pk.attname])


def objects(plan: ObjectPlan, rows: list[tuple], user, read: dict | None = None) -> list[dict]:
    """The answers of `plan` for `rows`, with every relation read and filled in; `read`: rows
    of its nested lists already read (`Folded`), by `id` of their statement."""
    answers = build(plan, rows)
    if plan.private_keys:  # the primary key is each row's first column
        for row, answer in zip(rows, answers, strict=True):
            if not plan.may_see(user, row[0]):
                for key in plan.private_keys:
                    answer[key] = None
    for relation in plan.relations:
        if isinstance(relation, JoinedObject):
            joined(relation, rows, answers, user)
        elif isinstance(relation, FetchedObject):
            fetched(relation, rows, answers, user)
        else:
            nested_pages(relation, rows, answers, user, read or {})
    return answers


def joined(relation: JoinedObject, rows, answers, user) -> None:
    child_rows = [tuple(row[i] for i in relation.indexes) for row in rows]
    built = iter(objects(relation.plan, [r for r in child_rows if r[0] is not None], user))
    for child_row, answer in zip(child_rows, answers, strict=True):
        if child_row[0] is None and relation.non_null:
            raise Fallback("a null in a non-null relation, which the executor reports")
        answer[relation.key] = None if child_row[0] is None else next(built)


def fetched(relation: FetchedObject, rows, answers, user) -> None:
    ids = {row[relation.column] for row in rows if row[relation.column] is not None}
    found = {}
    if ids:
        child_rows = relation.statement.rows(sorted(ids))
        found = dict(
            zip((r[0] for r in child_rows), objects(relation.plan, child_rows, user), strict=True)
        )
    for row, answer in zip(rows, answers, strict=True):
        value = found.get(row[relation.column])
        if value is None and relation.non_null:
            raise Fallback("a hidden or missing object in a non-null relation")
        answer[relation.key] = value


def nested_pages(relation: NestedConnection, rows, answers, user, read: dict) -> None:
    plan, keyset = relation.plan, relation.keyset
    by_parent = defaultdict(list)
    parent_ids = [row[0] for row in rows]
    width = len(plan.columns.names)
    totals = {}
    if parent_ids and relation.statement is not None:
        page_rows = read.get(id(relation.statement))
        if page_rows is None:
            # Each parent once (courses may share an instructor): a LATERAL join reads each id.
            page_rows = relation.statement.rows(list(dict.fromkeys(parent_ids)))
        for row in page_rows:  # in the order read
            by_parent[row[width]].append(row)
    if parent_ids and relation.count is not None:
        count_rows = read.get(id(relation.count))
        totals = dict(relation.count.rows(parent_ids) if count_rows is None else count_rows)
    cut = nested_cut(keyset, **current(relation, relation.paging))  # the request's own
    for parent_id, answer in zip(parent_ids, answers, strict=True):
        page_rows, has_previous, has_next = cut(by_parent.get(parent_id, []))
        if plan.needs_cursors:
            at = relation.value_at
            keys = (
                [(r[at], r[0]) for r in page_rows] if at is not None else [r[:1] for r in page_rows]
            )
            cursors = [keyset.cursor(key) for key in keys]
        else:
            cursors = [None] * len(page_rows)
        answer[relation.key] = connection_answer(
            plan, page_rows, cursors, has_previous, has_next, totals.get(parent_id, 0), user
        )


def connection_answer(plan: ConnectionPlan, rows, cursors, has_previous, has_next, total, user):
    """A connection's answer from its page of rows and their cursors, key by key in order."""
    nodes = {id(node_plan): objects(node_plan, rows, user) for node_plan in plan.node_plans()}
    answer = {}
    for key, name, part in plan.parts:
        if name == "totalCount":
            answer[key] = total
        elif name == "__typename":
            answer[key] = plan.type_name
        elif name == "edges":
            answer[key] = edges(plan, part, nodes, cursors)
        else:
            page_info = {
                "hasNextPage": has_next, "hasPreviousPage": has_previous,
                "startCursor": cursors[0] if cursors else None,
                "endCursor": cursors[-1] if cursors else None,
                "__typename": plan.page_info_type,
            }  # fmt: skip
            answer[key] = {page_key: page_info[field] for page_key, field in part}
    return answer


def edges(plan: ConnectionPlan, part, nodes: dict, cursors: list) -> list[dict]:
    columns = []
    for key, name in part.fields:
        if name == "node":
            columns.append((key, nodes[id(part.nodes[key])]))
        elif name == "cursor":
            columns.append((key, cursors))
        else:
            columns.append((key, [plan.edge_type] * len(cursors)))
    if len(columns) == 1:  # the common `edges { node { ... } }`
        key, values = columns[0]
        return [{key: value} for value in values]
    return [{key: values[i] for key, values in columns} for i in range(len(cursors))]
