"""Planning: what each level of a document fetches, and where each value goes in the answer.

Fields are grouped per response key exactly as GraphQL's CollectFields groups them (graphql-core's
`collect_subfields`): two aliases of one field are two keys with selections of their own, and
only the selections under one key are merged. Anything the plan cannot answer exactly as the
executor would raises `Fallback` with the reason, before a row is read.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from graphql import GraphQLError, GraphQLObjectType, VariableNode, get_named_type
from strawberry.relay import from_base64
from strawberry.types.info import Info

from graphql_api.connections import Keyset, keyset_for, page_argument_error
from graphql_api.errors import UserError
from graphql_api.ids import is_node_id
from graphql_api.library_internals import (
    Path,
    collect_subfields,
    get_argument_values,
    get_arguments,
    info_of,
    strawberry_schema_of,
)
from graphql_api.readpath.binding import (
    KEY_IDS,
    Unbound,
    column_parameter,
    cursor_stand_in,
    is_stand_in,
    key_value_mark,
)
from graphql_api.readpath.fallbacks import Fallback
from graphql_api.readpath.index import Column, Relation, SchemaIndex, TypeEntry
from graphql_api.readpath.statements import Statement

PAGE_ARGUMENTS = ("first", "last", "after", "before")
CONNECTION_FIELDS = {"edges", "totalCount", "pageInfo", "__typename"}
EDGE_FIELDS = {"cursor", "node", "__typename"}
PAGE_INFO_FIELDS = {"hasNextPage", "hasPreviousPage", "startCursor", "endCursor", "__typename"}


@dataclass
class Columns:
    """The columns one query fetches, shared by every plan answering from its rows."""

    names: list[str]  # attnames (or lookups through joins); the primary key first
    annotations: dict[str, Any] = field(default_factory=dict)  # name -> expression, if any

    def index(self, name: str) -> int:
        if name not in self.names:
            self.names.append(name)
        return self.names.index(name)


@dataclass(frozen=True)
class Slot:
    """One response key of an object: a column's value, a constant, or a relation's answer."""

    key: str
    column: int | None  # the value's index in the row; None: `constant`, or a relation
    leaf: Column | None = None
    constant: str | None = None  # __typename


@dataclass
class JoinedObject:
    """A to-one relation read in the parent's query (a join), as strawberry-django selects it."""

    key: str
    plan: ObjectPlan
    indexes: list[int]  # where the related row's columns are in the parent's row
    non_null: bool


@dataclass
class FetchedObject:
    """A to-one relation whose type has visibility rules: read apart, by primary key."""

    key: str
    plan: ObjectPlan
    column: int  # the foreign key's index in the parent's row
    info: Info | None  # the request's, until the statement is compiled
    non_null: bool
    statement: Statement | None = None  # the rows of the ids it is given


@dataclass
class NestedConnection:
    """A page of each parent's related rows (a reverse foreign key), read in one query, and
    their totals in another (`NestedTotals`), for the parents' ids each is given."""

    key: str
    plan: ConnectionPlan
    foreign_key: str  # attname on the related model
    info: Info | None  # the request's, until the statements are compiled
    strawberry_field: Any
    order_by: Any  # the orderBy input, as the field's resolver receives it
    keyset: Keyset
    paging: dict  # first, last, after, before as planned (stand-ins where bound)
    value_at: int | None  # the keyset column's index in a row; None: by id alone
    keys: dict  # the page read: first, last, and its cursors' keys (`stand_in_keys`)
    statement: Statement | None = None  # the pages; None: none asked for (totalCount alone)
    count: Statement | None = None  # (parent id, total) rows; None: not asked for

    __hash__ = object.__hash__  # the key of its request's paging (`current`)


@dataclass
class ObjectPlan:
    entry: TypeEntry
    columns: Columns
    slots: list[Slot] = field(default_factory=list)
    relations: list[JoinedObject | FetchedObject | NestedConnection] = field(default_factory=list)
    private_keys: list[str] = field(default_factory=list)  # nulled where `may_see` says no
    may_see: Callable[[Any, Any], bool] | None = None  # (viewer, primary key) -> may see them


@dataclass
class EdgesPlan:
    """One response key of `edges`: its own cursor, typename and node keys."""

    key: str
    fields: list[tuple[str, str]]  # (response key, "cursor" | "node" | "__typename")
    nodes: dict[str, ObjectPlan]  # response key of each `node` -> its plan


@dataclass
class ConnectionPlan:
    type_name: str
    edge_type: str
    page_info_type: str
    node: TypeEntry
    columns: Columns  # the node rows' columns, shared by every node plan below
    parts: list[tuple[str, str, Any]]  # (key, field name, EdgesPlan | page info keys | None)
    needs_count: bool = False
    needs_cursors: bool = False

    def node_plans(self) -> list[ObjectPlan]:
        return [
            plan
            for _key, name, part in self.parts
            if name == "edges"
            for plan in part.nodes.values()
        ]


class Planner:
    """Plans one document against one execution context (variables, fragments, user)."""

    def __init__(self, context, index: SchemaIndex, node_ids: dict[str, int] | None = None) -> None:
        self.context, self.index = context, index
        self.strawberry_schema = strawberry_schema_of(context.schema)
        self.node_ids = node_ids or {}  # bound variables: name -> the mark planned for
        self.derivations: list = []  # each request's values of the stand-ins planned for

    def subfields(self, object_type: GraphQLObjectType, details) -> dict[str, list]:
        """The selections under `details`, grouped per response key as CollectFields does."""
        context = self.context
        try:
            collected = collect_subfields(
                context.schema, context.fragments, context.variable_values, context.operation,
                object_type, details,
            )  # fmt: skip
        except GraphQLError:
            raise Fallback("a directive's argument the executor reports") from None
        if collected.new_defer_usages:
            raise Fallback("@defer")
        return collected.grouped_field_set

    def info(self, parent_type, name: str, details, path: Path, strawberry_field) -> Info:
        field_def = parent_type.fields[name]
        raw = self.context.build_resolve_info(
            field_def, [d.node for d in details], parent_type, path
        )
        return info_of(raw, strawberry_field)

    def arguments(self, parent_type, details, info: Info, strawberry_field) -> tuple[list, dict]:
        """The field's arguments as its resolver receives them; the executor reports bad ones."""
        if len(details) != 1:
            raise Fallback("one field selected twice under one response key")
        node = details[0].node
        try:
            raw = get_argument_values(
                parent_type.fields[node.name.value], node, self.context.variable_values
            )
            return get_arguments(
                field=strawberry_field, source=None, info=info, kwargs=raw,
                config=self.strawberry_schema.config,
                scalar_registry=self.strawberry_schema.schema_converter.scalar_registry,
            )  # fmt: skip
        except Exception:  # noqa: BLE001 - reported by the executor, on the field, with its path
            raise Fallback("an argument the executor reports") from None

    def page(self, kwargs: dict, keyset: Keyset) -> dict:
        """The page arguments; Fallback for those the connection refuses (the executor says why).

        A stand-in (a bound variable's, binding.py) is checked when a request gives its value
        (`paging_derivation`)."""
        paging = {name: kwargs.pop(name, None) for name in PAGE_ARGUMENTS}
        given = {k: None if is_stand_in(v) else v for k, v in paging.items()}
        if page_argument_error(**given, keyset=keyset):
            raise Fallback("page arguments the connection refuses")
        return paging

    def sources(self, details, names: tuple[str, ...]) -> dict[str, str | None]:
        """The variable each of a field's arguments `names` is given by (None: a literal)."""
        found = dict.fromkeys(names)
        for argument in details[0].node.arguments or ():
            if argument.name.value in found and isinstance(argument.value, VariableNode):
                found[argument.name.value] = argument.value.name.value
        return found

    def root_node_id(self, root_type, details, target: str) -> int:
        if len(details) == 1:
            argument = next((a for a in details[0].node.arguments if a.name.value == "id"), None)
            if argument is not None and argument.value.kind == "variable":
                mark = self.node_ids.get(argument.value.name.value)
                if mark is not None:  # bound: each run passes its own id (binding.py)
                    return mark
        raw = self.arguments_raw(root_type, details).get("id")
        try:
            type_name, node_id = from_base64(raw)
        except (ValueError, TypeError):
            raise Fallback("an id the executor reports") from None
        if type_name != target or not is_node_id(node_id):
            raise Fallback("an id of another type, or not a primary key")
        return int(node_id)

    def arguments_raw(self, parent_type, details) -> dict:
        if len(details) != 1:
            raise Fallback("one field selected twice under one response key")
        node = details[0].node
        try:
            return get_argument_values(
                parent_type.fields[node.name.value], node, self.context.variable_values
            )
        except GraphQLError:
            raise Fallback("an argument the executor reports") from None

    def connection(self, connection_type: GraphQLObjectType, details) -> ConnectionPlan:
        """Plan a connection's selections: each key of edges, node and pageInfo on its own."""
        edge_type = get_named_type(connection_type.fields["edges"].type)
        page_info_type = get_named_type(connection_type.fields["pageInfo"].type)
        node_type = get_named_type(edge_type.fields["node"].type)
        entry = self.index.types.get(node_type.name)
        if entry is None:
            raise Fallback(f"{node_type.name} is not a model type")
        columns = Columns([entry.model._meta.pk.attname])
        plan = ConnectionPlan(
            connection_type.name, edge_type.name, page_info_type.name, entry, columns, []
        )
        for key, sub in self.subfields(connection_type, details).items():
            name = sub[0].node.name.value
            if name not in CONNECTION_FIELDS:
                raise Fallback(f"{connection_type.name}.{name}")
            part = None
            if name == "totalCount":
                plan.needs_count = True
            elif name == "edges":
                part = EdgesPlan(key, [], {})
                for edge_key, edge_sub in self.subfields(edge_type, sub).items():
                    edge_name = edge_sub[0].node.name.value
                    if edge_name not in EDGE_FIELDS:
                        raise Fallback(f"{edge_type.name}.{edge_name}")
                    part.fields.append((edge_key, edge_name))
                    plan.needs_cursors |= edge_name == "cursor"
                    if edge_name == "node":
                        part.nodes[edge_key] = self.object(node_type, edge_sub, columns)
            elif name == "pageInfo":
                part = []
                for page_key, page_sub in self.subfields(page_info_type, sub).items():
                    page_name = page_sub[0].node.name.value
                    if page_name not in PAGE_INFO_FIELDS:
                        raise Fallback(f"{page_info_type.name}.{page_name}")
                    part.append((page_key, page_name))
                    plan.needs_cursors |= page_name in ("startCursor", "endCursor")
            plan.parts.append((key, name, part))
        return plan

    def object(self, object_type: GraphQLObjectType, details, columns: Columns) -> ObjectPlan:
        """Plan one object type's selections, reading its columns from `columns`' rows."""
        entry = self.index.types[object_type.name]
        plan = ObjectPlan(entry, columns)
        for key, sub in self.subfields(object_type, details).items():
            name = sub[0].node.name.value
            if name == "__typename":
                plan.slots.append(Slot(key, None, constant=object_type.name))
            elif (column := entry.columns.get(name)) is not None:
                if column.annotation is not None:
                    path = Path(None, key, object_type.name)
                    info = self.info(object_type, name, sub, path, None)
                    annotation = column.annotation
                    columns.annotations[column.attname] = (
                        annotation(info) if callable(annotation) else annotation
                    )
                plan.slots.append(Slot(key, columns.index(column.attname), column))
                if column.private:
                    plan.private_keys.append(key)
                    plan.may_see = entry.may_see_private
            elif (relation := entry.relations.get(name)) is not None:
                plan.slots.append(Slot(key, None))  # filled once the relation is read
                plan.relations.append(self.relation(object_type, plan, key, sub, relation))
            else:
                reason = entry.unsupported.get(name, "not indexed")
                raise Fallback(f"{object_type.name}.{name}: {reason}")
        return plan

    def relation(self, object_type, plan: ObjectPlan, key: str, details, relation: Relation):
        name = details[0].node.name.value
        path = Path(None, key, object_type.name)
        info = self.info(object_type, name, details, path, relation.strawberry_field)
        target_type = self.context.schema.type_map[relation.target]
        target = self.index.types.get(relation.target)
        if target is None or target.model is not relation.model_field.related_model:
            raise Fallback(f"{object_type.name}.{name}: {relation.target} is not its model's type")
        if relation.kind == "to_one":
            child = self.object(target_type, details, Columns([target.model._meta.pk.attname]))
            # Visibility rules of its own (unless whoever sees the parent may see it), or
            # annotations (a join cannot carry them): read apart, by primary key.
            rules = target.has_queryset_hook and name not in plan.entry.seen_with_it
            if rules or (child.columns.annotations and target.has_queryset_hook):
                column = plan.columns.index(relation.model_field.attname)
                return FetchedObject(key, child, column, info, relation.non_null)
            if child.columns.annotations:
                raise Fallback(f"{object_type.name}.{name}: an annotated field through a join")
            prefix = relation.model_field.name
            indexes = [plan.columns.index(f"{prefix}__{c}") for c in child.columns.names]
            return JoinedObject(key, child, indexes, relation.non_null)
        _args, kwargs = self.arguments(object_type, details, info, relation.strawberry_field)
        order_by = kwargs.pop("order_by", None)
        keyset = keyset_for(target.model, order_by)
        paging = self.page(kwargs, keyset)
        if kwargs.keys() - {"info", "root"}:
            raise Fallback(f"{object_type.name}.{name}: arguments beyond the page")
        connection = self.connection(get_named_type(object_type.fields[name].type), details)
        value_at = None
        if keyset.column is not None and connection.needs_cursors:
            value_at = connection.columns.index(keyset.column)
        foreign_key = relation.model_field.field.attname
        after_key, before_key, marks = stand_in_keys(keyset, paging)
        keys = {"first": paging["first"], "last": paging["last"], "after_key": after_key,
                "before_key": before_key}  # fmt: skip
        nested = NestedConnection(
            key, connection, foreign_key, info, relation.strawberry_field, order_by, keyset,
            paging, value_at, keys,
        )  # fmt: skip
        if any(is_stand_in(v) for v in paging.values()):
            sources = self.sources(details, PAGE_ARGUMENTS)
            self.derivations.append(paging_derivation(nested, paging, keyset, sources, marks))
        return nested


def stand_in_keys(keyset: Keyset, paging: dict) -> tuple[tuple | None, tuple | None, dict]:
    """The (value, id) keys a list's `after` and `before` name, with marks where they are
    stand-ins (binding.py).

    Returns both keys and, for stand-ins, each mark as Django sends it -> how the request's
    cursor gives its value: (the argument, 0 for the column value or -1 for the id, the column's
    field to prepare the value for, or None)."""
    keys, marks = [], {}
    for argument in ("after", "before"):
        cursor = paging[argument]
        found = cursor_stand_in(cursor)
        if not cursor:
            keys.append(None)
        elif found is None:
            keys.append(keyset.key_of_cursor(argument, cursor))
        else:
            key, own = stand_in_key(keyset, argument, *found)
            keys.append(key)
            marks.update(own)
    return keys[0], keys[1], marks


def stand_in_key(keyset: Keyset, argument: str, n: int, null: bool) -> tuple[tuple, dict]:
    """The key of a stand-in cursor `n` (its value null or not), and its marks."""
    if keyset.column is None:
        return (KEY_IDS[n],), {KEY_IDS[n]: (argument, -1, None)}
    field = keyset.model._meta.get_field(keyset.column)
    if null:
        return (None, KEY_IDS[n]), {KEY_IDS[n]: (argument, -1, None)}
    mark = key_value_mark(field, n)
    if mark is None:
        raise Fallback(f"a cursor of a {type(field).__name__} column")
    marks = {column_parameter(field, mark): (argument, 0, field), KEY_IDS[n]: (argument, -1, None)}
    return (mark, KEY_IDS[n]), marks


def paging_derivation(owner: object, planned: dict, keyset: Keyset, sources: dict, marks: dict):
    """How a request's page arguments give a list's bound values (binding.py): its page size's
    LIMIT (the size and one more), its cursors' keys, and, under `owner` (a root list, a nested
    connection), its page arguments themselves, which cut its page (`current`)."""
    planned = dict(planned)
    limit = planned["first"] + 1 if is_stand_in(planned["first"]) else None

    def derive(variables: dict) -> dict:
        real = {k: variables.get(v) if v else planned[k] for k, v in sources.items()}
        if page_argument_error(**real, keyset=keyset):
            raise Unbound
        found: dict = {owner: real}
        if limit is not None:
            if real["first"] is None:
                raise Unbound
            found[limit] = real["first"] + 1
        keys = {}
        for mark, (argument, at, column) in marks.items():
            if argument not in keys:
                if not real[argument]:
                    raise Unbound
                try:
                    keys[argument] = keyset.key_of_cursor(argument, real[argument])
                except UserError:
                    raise Unbound from None
            value = keys[argument][at]
            found[mark] = value if column is None else column_parameter(column, value)
        return found

    return derive
