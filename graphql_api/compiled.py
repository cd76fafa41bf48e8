"""Plain read documents, answered level by level from rows instead of field by field.

GraphQL's executor resolves and completes every field of every object one at a time: for 100
courses with 20 tasks each that is some 15,000 Python calls through resolvers, extensions and
type dispatch, and Django builds a model instance for every row first (bench/split.py: most of
the request). A document made only of

- the root lists (`courses`, `tasks`) and objects by id (`course`, `task`),
- columns and ids of the node types (the fields graphql_api/fast_fields.py answers directly),
  and the columns a type shows only to some viewers (`private_columns`), nulled for the others,
- to-one relations (`instructor`, `course`, `createdBy`) and nested connections (`tasks`,
  `courses`) with `first`/`after`, `totalCount`, `edges { cursor node }`, `pageInfo`,
- `__typename`, fragments, aliases, `@include`/`@skip`,

is answered here instead: one query per level fetches plain rows (`values_list`), and the answer
is built from them as dictionaries. Each level's queryset is the one the executor would use: the
root field's own resolver, the same `get_queryset` of the field and of the type (so the same
visibility rules), the same filters and ordering, the same window pagination for nested
connections (strawberry-django's `apply_window_pagination`) and the same Relay slice
(`SliceMetadata`), and every value goes through the field's own GraphQL scalar or enum.

Anything else (mutations, `me`, `node`, fields with resolvers such as `taskCount` or the private
user fields, `last`/`before`, the legacy names, arguments the connection would refuse) raises
`Fallback` while the document is planned, and the executor answers as before; so does data the
executor would report as an error (a null in a non-null field, a value the scalar refuses), in
which case the rows read here are thrown away. Only reads take this path, so nothing can have been
written. tests/graphql_api/test_compiled.py sends documents both ways and compares the answers.
"""

import binascii
import contextlib
import functools
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import chain
from typing import Any, NamedTuple

from django.conf import settings
from django.db import models
from django.db.models import Count, Window
from django.db.models.sql.constants import MULTI
from graphql import (
    GraphQLEnumType,
    GraphQLError,
    GraphQLNonNull,
    GraphQLObjectType,
    get_named_type,
    located_error,
)
from graphql.execution.collect_fields import collect_subfields
from graphql.execution.values import get_argument_values
from graphql.pyutils import Path
from strawberry.relay import from_base64, to_base64
from strawberry.relay.types import PREFIX
from strawberry.relay.utils import SliceMetadata
from strawberry.schema.schema_converter import get_arguments
from strawberry.types.info import Info
from strawberry_django.fields.field import (
    StrawberryDjangoConnectionExtension,
    StrawberryDjangoField,
)
from strawberry_django.optimizer import DjangoOptimizerExtension
from strawberry_django.pagination import apply_window_pagination
from strawberry_django.queryset import run_type_get_queryset

from graphql_api.connections import is_cursor
from graphql_api.ids import is_node_id


class Fallback(Exception):  # noqa: N818 - a signal, not an error
    """Not a plain read, or data the executor would report: let the executor answer."""


FETCH_ALL = 1_000_000  # rows per fetch: all of them (a page is at most 1,000 x 1,000)
CONNECTION_FIELDS = {"edges", "totalCount", "pageInfo", "__typename"}
PAGE_INFO_FIELDS = {"hasNextPage", "hasPreviousPage", "startCursor", "endCursor", "__typename"}


def enabled(schema) -> bool:
    return getattr(schema, "compiled_reads", False)


@contextlib.contextmanager
def executor_only(schema):
    """Answer every document with GraphQL's executor: for tests comparing both paths."""
    graphql_schema = schema._schema
    saved = enabled(graphql_schema)
    graphql_schema.compiled_reads = False
    try:
        yield
    finally:
        graphql_schema.compiled_reads = saved


def install(schema) -> None:
    """Remember which Strawberry field backs each GraphQL field; turn the path on."""
    for name, graphql_type in schema._schema.type_map.items():
        definition = schema.get_type_by_name(name)
        if not isinstance(graphql_type, GraphQLObjectType) or definition is None:
            continue
        django = getattr(
            getattr(definition, "origin", None), "__strawberry_django_definition__", None
        )
        graphql_type.strawberry_fields = {
            schema.config.name_converter.get_graphql_name(f): f
            for f in getattr(definition, "fields", ())
        }
        graphql_type.django_origin = definition.origin if django else None
        graphql_type.django_model = django.model if django else None
        # Columns shown only to some viewers (the User type's names, say): answered here too,
        # nulled per row unless may_see_private_columns(viewer, primary key) says otherwise.
        if private := getattr(definition.origin, "private_columns", None):
            graphql_type.private_columns = private
            graphql_type.may_see_private_columns = definition.origin.may_see_private_columns
    schema._schema.compiled_reads = True


# -- plans: what each level fetches and how each row becomes an answer -------------------------


@dataclass
class ObjectPlan:
    graphql_type: GraphQLObjectType
    model: type[models.Model]
    columns: list[str] = field(default_factory=list)  # attnames; the primary key first
    slots: list[tuple] = field(default_factory=list)  # (key, column index or None, convert)
    required: set[str] = field(default_factory=set)  # keys that must not be null
    private: set[str] = field(default_factory=set)  # keys null unless the viewer may see them
    relations: list[tuple] = field(default_factory=list)  # (key, plan, column index, ...)
    builder: Any = None  # rows -> answers, made by row_builder once the slots are known

    def column(self, attname: str) -> int:
        if attname not in self.columns:
            self.columns.append(attname)
        return self.columns.index(attname)


@dataclass
class ConnectionPlan:
    graphql_type: GraphQLObjectType
    node: ObjectPlan | None
    keys: list[tuple]  # (key, what): what is "totalCount", "__typename", "edges", "pageInfo"
    edge_keys: list[tuple] = field(default_factory=list)  # (key, "cursor"|"node"|"__typename")
    page_keys: list[tuple] = field(default_factory=list)  # (key, PageInfo field name)
    edge_type: str = ""
    page_type: str = ""
    needs_count: bool = False
    needs_cursors: bool = False  # edges' cursors, or pageInfo's start/end cursor
    node_model: type[models.Model] | None = None


class Reader:
    """One document's plain read, planned and fetched against one execution context."""

    def __init__(self, context) -> None:
        self.context = context
        self.strawberry_schema = context.schema._strawberry_schema
        self.max_page = settings.GRAPHQL_MAX_PAGE_SIZE

    # - the root -

    def read(self, root_type: GraphQLObjectType, grouped_field_set) -> dict[str, Any]:
        steps = []
        for key, details in grouped_field_set.items():
            name = details[0].node.name.value
            if name == "__typename":
                steps.append((key, None))
                continue
            field_def = root_type.fields.get(name)
            strawberry_field = getattr(root_type, "strawberry_fields", {}).get(name)
            if field_def is None or not isinstance(strawberry_field, StrawberryDjangoField):
                raise Fallback
            path = Path(None, key, root_type.name)
            info = self.info(field_def, details, root_type, path, strawberry_field)
            kinds = {type(e).__name__ for e in strawberry_field.extensions}
            if kinds == {"StrawberryDjangoConnectionExtension"}:
                steps.append((key, self.plan_root_list(field_def, details, strawberry_field, info)))
            elif kinds == {"NodeExtension"}:
                steps.append((key, self.plan_root_node(field_def, details, info)))
            else:
                raise Fallback
        data = {}
        for key, step in steps:
            try:
                data[key] = root_type.name if step is None else step()
            except Fallback:
                raise
            except Exception as exc:  # a timeout, say: reported on the field, as the executor does
                nodes = [d.node for d in grouped_field_set[key]]
                raise located_error(exc, nodes, [key]) from exc
        return data

    def plan_root_list(self, field_def, details, strawberry_field, info):
        connection_type = get_named_type(field_def.type)
        args, kwargs = self.arguments(strawberry_field, field_def, details, info)
        slice_ = self.slice(kwargs)
        plan = self.plan_connection(connection_type, details)
        extension = strawberry_field.extensions[0]
        if extension.max_results is not None:
            raise Fallback

        def run():
            with DjangoOptimizerExtension.disabled():
                queryset = strawberry_field.get_result(None, info, args, kwargs)
            if not isinstance(queryset, models.QuerySet) or queryset.model is not plan.node_model:
                raise Fallback
            columns = plan.node.columns
            counted = plan.needs_count and not queryset.query.distinct
            if counted:  # the total in the same statement, as strawberry-django counts it
                queryset = queryset.annotate(_plain_total=Window(Count(1)))
                columns = [*columns, "_plain_total"]
            page = queryset.values_list(*columns)[slice_.start : slice_.overfetch]
            rows = fetch_rows(page, len(plan.node.columns))
            has_next = slice_.expected is not None and len(rows) == slice_.expected + 1
            if has_next:
                rows.pop()
            objects = self.build(plan.node, rows)
            total = None
            if plan.needs_count:
                total = rows[0][-1] if counted and rows else queryset.count()
            positions = range(slice_.start, slice_.start + len(rows))
            return self.connection(plan, objects, positions, slice_.start > 0, has_next, total)

        return run

    def plan_root_node(self, field_def, details, info):
        object_type = get_named_type(field_def.type)
        model = getattr(object_type, "django_model", None)
        raw_id = get_argument_values(field_def, details[0].node, self.context.variable_values).get(
            "id"
        )
        if model is None or not isinstance(raw_id, str) or len(details) != 1:
            raise Fallback
        try:
            type_name, node_id = from_base64(raw_id)
        except (ValueError, TypeError):
            raise Fallback from None
        if type_name != object_type.name or not is_node_id(node_id):
            raise Fallback
        plan = self.plan_object(object_type, details)

        def run():
            queryset = model._default_manager.filter(pk=int(node_id))
            with DjangoOptimizerExtension.disabled():
                queryset = run_type_get_queryset(queryset, object_type.django_origin, info)
            rows = fetch_rows(queryset.values_list(*plan.columns)[:1])
            return self.build(plan, rows)[0] if rows else None

        return run

    # - planning -

    def info(self, field_def, details, parent_type, path, strawberry_field) -> Info:
        raw = self.context.build_resolve_info(
            field_def, [d.node for d in details], parent_type, path
        )
        return Info(_raw_info=raw, _field=strawberry_field)

    def arguments(self, strawberry_field, field_def, details, info) -> tuple[list, dict]:
        if len(details) != 1:
            raise Fallback  # the same field twice under one key: rare; the executor merges it
        raw = get_argument_values(field_def, details[0].node, self.context.variable_values)
        try:
            return get_arguments(
                field=strawberry_field, source=None, info=info, kwargs=raw,
                config=self.strawberry_schema.config,
                scalar_registry=self.strawberry_schema.schema_converter.scalar_registry,
            )  # fmt: skip
        except Exception:  # noqa: BLE001 - the executor reports bad arguments
            raise Fallback from None

    def slice(self, kwargs: dict) -> SliceMetadata:
        """The Relay slice for first/after, or Fallback where the executor would refuse them."""
        first, after = kwargs.pop("first", None), kwargs.pop("after", None)
        if kwargs.pop("last", None) is not None or kwargs.pop("before", None) is not None:
            raise Fallback
        if first is not None and not 0 < first <= self.max_page:
            raise Fallback  # refused by the connection (or first: 0, which counts per parent)
        if after is not None and not is_cursor(after):
            raise Fallback
        return SliceMetadata.from_arguments(
            None, first=first, after=after, max_results=self.max_page, prefix=PREFIX
        )

    def subfields(self, object_type, details):
        context = self.context
        collected = collect_subfields(
            context.schema, context.fragments, context.variable_values, context.operation,
            object_type, details,
        )  # fmt: skip
        if collected.new_defer_usages:
            raise Fallback
        return collected.grouped_field_set

    def plan_connection(self, connection_type, details) -> ConnectionPlan:
        plan = ConnectionPlan(connection_type, None, [])
        edge_details, page_details = [], []
        for key, sub in self.subfields(connection_type, details).items():
            name = sub[0].node.name.value
            if name not in CONNECTION_FIELDS:
                raise Fallback
            plan.keys.append((key, name))
            if name == "edges":
                edge_details.extend(sub)
            elif name == "pageInfo":
                page_details.extend(sub)
            elif name == "totalCount":
                plan.needs_count = True
        edges_field = connection_type.fields["edges"]
        edge_type = get_named_type(edges_field.type)
        plan.edge_type = edge_type.name
        node_type = get_named_type(edge_type.fields["node"].type)
        plan.node_model = getattr(node_type, "django_model", None)
        if plan.node_model is None:
            raise Fallback
        node_details = []
        if edge_details:
            for key, sub in self.subfields(edge_type, edge_details).items():
                name = sub[0].node.name.value
                if name not in {"cursor", "node", "__typename"}:
                    raise Fallback
                plan.edge_keys.append((key, name))
                plan.needs_cursors |= name == "cursor"
                if name == "node":
                    node_details.extend(sub)
        if page_details:
            page_type = get_named_type(connection_type.fields["pageInfo"].type)
            plan.page_type = page_type.name
            for key, sub in self.subfields(page_type, page_details).items():
                name = sub[0].node.name.value
                if name not in PAGE_INFO_FIELDS:
                    raise Fallback
                plan.page_keys.append((key, name))
                plan.needs_cursors |= name in ("startCursor", "endCursor")
        plan.node = self.plan_object(node_type, node_details)
        return plan

    def plan_object(self, object_type: GraphQLObjectType, details) -> ObjectPlan:
        model = getattr(object_type, "django_model", None)
        direct = getattr(object_type, "direct_fields", None)
        if model is None or direct is None:
            raise Fallback
        plan = ObjectPlan(object_type, model)
        plan.column(model._meta.pk.attname)
        grouped = self.subfields(object_type, details) if details else {}
        for key, sub in grouped.items():
            name = sub[0].node.name.value
            if name == "__typename":
                plan.slots.append((key, None, object_type.name))
                continue
            field_def = object_type.fields[name]
            if name in direct and not sub[0].node.arguments:
                attname, leaf, type_name = direct[name]
                plan.slots.append((key, plan.column(attname), converter(leaf, type_name)))
                if isinstance(field_def.type, GraphQLNonNull):
                    plan.required.add(key)
                continue
            private = getattr(object_type, "private_columns", {})
            if name in private and not sub[0].node.arguments:
                leaf = get_named_type(field_def.type)
                plan.slots.append((key, plan.column(private[name]), converter(leaf, None)))
                plan.private.add(key)
                continue
            strawberry_field = object_type.strawberry_fields.get(name)
            if not isinstance(strawberry_field, StrawberryDjangoField):
                raise Fallback
            try:
                model_field = model._meta.get_field(strawberry_field.django_name)
            except Exception:  # noqa: BLE001 - computed: not a relation this path knows
                raise Fallback from None
            plan.slots.append((key, None, None))  # filled once the relation is fetched
            path = Path(None, key, object_type.name)
            info = self.info(field_def, sub, object_type, path, strawberry_field)
            if isinstance(model_field, models.ForeignKey) and not strawberry_field.extensions:
                target = get_named_type(field_def.type)
                if getattr(target, "django_model", None) is not model_field.related_model:
                    raise Fallback
                child = self.plan_object(target, sub)
                required = isinstance(field_def.type, GraphQLNonNull)
                if hasattr(target.django_origin, "get_queryset"):
                    # Visibility rules of its own: fetched apart, as strawberry-django does.
                    index = plan.column(model_field.attname)
                    plan.relations.append(("object", key, child, index, info, required))
                else:  # joined into this level's query, as strawberry-django's select_related
                    indexes = [plan.column(f"{model_field.name}__{c}") for c in child.columns]
                    plan.relations.append(("joined", key, child, indexes, required))
            elif isinstance(model_field, models.ManyToOneRel) and [
                type(e) for e in strawberry_field.extensions
            ] == [StrawberryDjangoConnectionExtension]:
                _args, kwargs = self.arguments(strawberry_field, field_def, sub, info)
                slice_ = self.slice(kwargs)
                if (
                    kwargs.keys() - {"info", "root"}
                    or strawberry_field.extensions[0].max_results is not None
                ):
                    raise Fallback
                connection = self.plan_connection(get_named_type(field_def.type), sub)
                if connection.node_model is not model_field.related_model:
                    raise Fallback
                if connection.needs_count and slice_.start:
                    raise Fallback  # an empty later page is counted per parent
                plan.relations.append(
                    ("connection", key, connection, model_field.field.attname, info,
                     strawberry_field, slice_)
                )  # fmt: skip
            else:
                raise Fallback
        return plan

    # - fetching and building -

    def build(self, plan: ObjectPlan, rows: list[tuple]) -> list[dict]:
        if plan.builder is None:
            plan.builder = cached_row_builder(plan)
        try:
            objects = plan.builder(rows)
        except (TypeError, ValueError, GraphQLError):
            raise Fallback from None
        if plan.private:
            viewer = self.context.context_value.request.user
            may_see = plan.graphql_type.may_see_private_columns
            for row, obj in zip(rows, objects, strict=True):
                if not may_see(viewer, row[0]):
                    obj.update(dict.fromkeys(plan.private))
        for relation in plan.relations:
            if relation[0] == "joined":
                self.joined_objects(relation, rows, objects)
            elif relation[0] == "object":
                self.fetch_objects(relation, rows, objects)
            else:
                self.fetch_connections(relation, rows, objects, plan)
        return objects

    def joined_objects(self, relation, rows, objects) -> None:
        _kind, key, child, indexes, required = relation
        child_rows = [tuple(row[i] for i in indexes) for row in rows]
        present = [r for r in child_rows if r[0] is not None]
        built = iter(self.build(child, present))
        for child_row, obj in zip(child_rows, objects, strict=True):
            if child_row[0] is None:
                if required:
                    raise Fallback  # the executor reports it
                obj[key] = None
            else:
                obj[key] = next(built)

    def fetch_objects(self, relation, rows, objects) -> None:
        _kind, key, child, index, info, required = relation
        ids = {row[index] for row in rows if row[index] is not None}
        found = {}
        if ids:
            queryset = child.model._default_manager.filter(pk__in=ids)
            with DjangoOptimizerExtension.disabled():
                queryset = run_type_get_queryset(queryset, child.graphql_type.django_origin, info)
            child_rows = fetch_rows(queryset.values_list(*child.columns))
            found = dict(
                zip((r[0] for r in child_rows), self.build(child, child_rows), strict=True)
            )
        for row, obj in zip(rows, objects, strict=True):
            value = found.get(row[index])
            if value is None and required:
                raise Fallback  # the executor reports it
            obj[key] = value

    def fetch_connections(self, relation, rows, objects, parent: ObjectPlan) -> None:
        _kind, key, plan, fk, info, strawberry_field, slice_ = relation
        node = plan.node
        by_parent = defaultdict(list)
        parent_ids = [row[0] for row in rows]
        if parent_ids:
            with DjangoOptimizerExtension.disabled():
                queryset = strawberry_field.get_queryset(
                    node.model._default_manager.all(), info, _strawberry_related_field_id=fk
                )
            queryset = apply_window_pagination(
                queryset.filter(**{f"{fk}__in": parent_ids}),
                related_field_id=fk, offset=slice_.start, limit=slice_.end - slice_.start,
                max_results=self.max_page,
            )  # fmt: skip
            extra = [fk, "_strawberry_row_number", "_strawberry_total_count"]
            child_rows = fetch_rows(
                queryset.values_list(*node.columns, *extra), len(node.columns) + 1
            )
            width = len(node.columns)
            for row, obj in zip(child_rows, self.build(node, child_rows), strict=True):
                by_parent[row[width]].append((obj, row[width + 1], row[width + 2]))
        for parent_id, obj in zip(parent_ids, objects, strict=True):
            page = by_parent.get(parent_id, [])
            if not page and slice_.start:
                # Past the end: strawberry-django answers hasPreviousPage differently depending
                # on whether its optimizer prefetched the list; leave it to the executor.
                raise Fallback
            positions = [number - 1 for _obj, number, _total in page]
            obj[key] = self.connection(
                plan,
                [o for o, _n, _t in page],
                positions,
                bool(page) and page[0][1] > 1,
                bool(page) and page[-1][1] < page[-1][2],
                page[0][2] if page else 0,
            )

    def connection(self, plan, objects, positions, has_previous, has_next, total) -> dict:
        if plan.needs_cursors:
            cursors = [to_base64(PREFIX, p) for p in positions]
        else:
            cursors = [None] * len(objects)
        answer = {}
        for key, name in plan.keys:
            if name == "totalCount":
                answer[key] = total
            elif name == "__typename":
                answer[key] = plan.graphql_type.name
            elif name == "edges":
                if len(plan.edge_keys) == 1 and plan.edge_keys[0][1] == "node":
                    node_key = plan.edge_keys[0][0]
                    answer[key] = [{node_key: obj} for obj in objects]
                else:
                    answer[key] = [
                        self.edge(plan, obj, cursor)
                        for obj, cursor in zip(objects, cursors, strict=True)
                    ]
            else:
                page = {
                    "hasNextPage": has_next, "hasPreviousPage": has_previous,
                    "startCursor": cursors[0] if cursors else None,
                    "endCursor": cursors[-1] if cursors else None,
                    "__typename": plan.page_type,
                }  # fmt: skip
                answer[key] = {k: page[name] for k, name in plan.page_keys}
        return answer

    @staticmethod
    def edge(plan, obj, cursor) -> dict:
        return {
            key: obj if name == "node" else cursor if name == "cursor" else plan.edge_type
            for key, name in plan.edge_keys
        }


class Convert(NamedTuple):
    """How a column's value becomes the field's answer: `function`, or inline for some kinds."""

    kind: str  # "id" (global id), "string", "enum" (memoised), or "other"
    function: Callable[[Any], Any] | None  # "string" and "other": None means a refused value
    type_name: str | None = None


def fetch_rows(queryset, width: int | None = None) -> list:
    """The rows of a values_list queryset, as its iterator would give them, with less work.

    Fetched in one go rather than 100 at a time, and Django's converters (none for PostgreSQL's
    columns here; dates and decimals on SQLite) applied only to the first `width` columns: the
    rest are window numbers that only this module reads, whose converters would call int() on
    an int twice per row.
    """
    compiler = queryset.query.get_compiler(queryset.db)
    chunks = compiler.execute_sql(MULTI, chunk_size=FETCH_ALL)
    fields = [s[0] for s in compiler.select[0 : compiler.col_count]]
    converters = compiler.get_converters(fields[:width])
    rows = chain.from_iterable(chunks)
    if converters:
        rows = compiler.apply_converters(rows, converters)
    return list(rows)


@functools.lru_cache(maxsize=512)
def converter(leaf, type_name: str | None) -> Convert:
    """The conversion of a column's value into the field's answer."""
    if type_name is not None:
        return Convert("id", None, type_name)  # written inline by row_builder, as to_base64 does
    coerce = leaf.coerce_output_value
    if leaf.name == "String":
        return Convert("string", coerce)
    if isinstance(leaf, GraphQLEnumType):  # few values: each is coerced once, then looked up
        seen = {}

        def convert_enum(value):
            coerced = coerce(value)
            if coerced is None:
                refused()
            seen[value] = coerced
            return coerced

        convert_enum.seen = seen
        return Convert("enum", convert_enum)
    return Convert("other", coerce)  # Int: coerce checks 32 bits


def refused():
    raise Fallback  # the executor reports the value as an error


def checked(n: int) -> str:
    """Slot n's value through its function, refused where the function answers None."""
    return f"(a{n} if (a{n} := c{n}(v{n})) is not None else refused())"


BUILDERS = {}  # (type, slots, required) -> row builder: the documents a server sees repeat


def cached_row_builder(plan: ObjectPlan) -> Callable[[list[tuple]], list[dict]]:
    signature = (plan.graphql_type.name, tuple(plan.slots), frozenset(plan.required))
    builder = BUILDERS.get(signature)
    if builder is None:
        if len(BUILDERS) >= 512:
            BUILDERS.clear()
        builder = BUILDERS[signature] = row_builder(plan)
    return builder


def row_builder(plan: ObjectPlan) -> Callable[[list[tuple]], list[dict]]:
    """A function building the answers of `plan` from its rows, written for its slots.

    One loop with the columns read once per row, instead of a loop over the slots per row (the
    nested 100 x 20 query builds 2,100 objects). Only integers and fixed names go into the
    source: the client's keys and every function are passed in `scope`.
    """
    scope = {"Fallback": Fallback, "b2a": binascii.b2a_base64, "refused": refused}
    lines, items, required = [], [], []
    for n, (key, index, convert) in enumerate(plan.slots):
        scope[f"k{n}"] = key
        if index is None:  # a constant (__typename) or a relation filled in afterwards
            scope[f"c{n}"] = convert
            items.append(f"k{n}: c{n}")
            continue
        lines.append(f"v{n} = row[{index}]")
        scope[f"c{n}"] = convert.function
        value = f"v{n}"
        if convert.kind == "id":
            scope[f"p{n}"] = f"{convert.type_name}:"
            answer = f"b2a((p{n} + str({value})).encode(), newline=False).decode()"
        elif convert.kind == "string":
            answer = f"({value} if {value}.__class__ is str else {checked(n)})"
        elif convert.kind == "enum":
            scope[f"m{n}"] = convert.function.seen
            answer = f"(m{n}.get({value}) or c{n}({value}))"
        else:
            answer = checked(n)
        if key in plan.required:
            required.append(f"{value} is None")
            items.append(f"k{n}: {answer}")
        else:
            items.append(f"k{n}: None if {value} is None else {answer}")
    body = [
        "def build(rows):",
        "    objects = []",
        "    append = objects.append",
        "    for row in rows:",
        *(f"        {line}" for line in lines),
        *(
            [f"        if {' or '.join(required)}:", "            raise Fallback"]
            if required
            else []
        ),
        f"        append({{{', '.join(items)}}})",
        "    return objects",
    ]
    exec(compile("\n".join(body), f"<row builder {plan.graphql_type.name}>", "exec"), scope)  # noqa: S102  # nosec B102 - generated from integers and fixed names only
    return scope["build"]


def read(context, root_type, grouped_field_set) -> dict | None:
    """The answer to a plain read, or None when the executor must answer."""
    try:
        return Reader(context).read(root_type, grouped_field_set)
    except Fallback:
        return None
