"""What the read path knows of the schema, gathered once when the schema is built.

Per object type: its model, the fields answered straight from a column (with the leaf type that
serializes them), the relations it can follow, and whether the type has a `get_queryset` hook
(visibility rules of its own); per root field, whether it is a list or an object by id. Every
field the read path cannot answer is listed with the reason, which is what a fallback reports.

All of it is read from the schema's fields; what they cannot say (which related objects are seen
with a type's, which fields are private, answered by an annotation or the viewer) is what
graphql_api/nodes.py's `node_type` and field helpers declared.
"""

import weakref
from dataclasses import dataclass, field
from typing import Any, Literal

from django.db import models
from graphql import (
    GraphQLEnumType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLSchema,
    get_named_type,
)
from strawberry.types.base import StrawberryObjectDefinition

from graphql_api.ids import pk_id_attr
from graphql_api.nodes import ANSWERS_ITS_ANNOTATION, ANSWERS_THE_VIEWER, PRIVATE, facts_of
from graphql_api.readpath.cache import PlanCache
from graphql_api.readpath.internals import (
    StrawberryDjangoConnectionExtension,
    StrawberryDjangoField,
)

# Model fields whose loaded value is what the API serializes (no wrapping on attribute access).
PLAIN_COLUMNS = (
    models.CharField, models.TextField, models.IntegerField, models.BooleanField,
    models.DateTimeField, models.DateField, models.DecimalField, models.DurationField,
    models.EmailField,
)  # fmt: skip


@dataclass(frozen=True)
class Column:
    """A field answered from one column: the leaf type's serialization of its value."""

    attname: str
    leaf: GraphQLScalarType | GraphQLEnumType
    non_null: bool
    global_id_of: str | None = None  # the type name, for `id` fields (global ids)
    # Shown only to some viewers (a user's names): null unless the type's
    # may_see_private(viewer, primary key) allows it (nodes.private_field).
    private: bool = False
    # A resolver field that answers its one annotation as is (nodes.annotated_field): read as
    # that annotation (`attname`), which this makes from the field's Info.
    annotation: Any = None


@dataclass(frozen=True)
class Relation:
    """A field answered by following a foreign key or a reverse foreign key (a connection)."""

    kind: Literal["to_one", "connection"]
    strawberry_field: Any
    model_field: Any
    target: str  # the object type's name, or the connection's node type's name
    non_null: bool


@dataclass
class TypeEntry:
    """One object type backed by a Django model."""

    name: str
    origin: type
    model: type[models.Model]
    has_queryset_hook: bool
    # To-one fields whose object whoever sees this one may see (nodes.node_type's `seen_with_it`):
    # read through a join even if their type has visibility rules of its own.
    seen_with_it: frozenset[str] = frozenset()
    # (viewer, primary key) -> may see the private columns; the one rule of all of them.
    may_see_private: Any = None
    columns: dict[str, Column] = field(default_factory=dict)
    relations: dict[str, Relation] = field(default_factory=dict)
    unsupported: dict[str, str] = field(default_factory=dict)  # field -> why the executor answers


@dataclass(frozen=True)
class RootField:
    kind: Literal["list", "node", "viewer"]
    strawberry_field: Any
    target: str  # the node type's name


@dataclass
class SchemaIndex:
    types: dict[str, TypeEntry] = field(default_factory=dict)
    roots: dict[str, RootField] = field(default_factory=dict)
    unsupported_roots: dict[str, str] = field(default_factory=dict)
    plans: PlanCache = field(default_factory=PlanCache)  # kept plans of documents on this schema
    # What each operation's plans bind; not a plan, so not counted as a kept-plan lookup.
    shapes: PlanCache = field(default_factory=lambda: PlanCache(observed=False))


_INDEXES: "weakref.WeakKeyDictionary[GraphQLSchema, SchemaIndex]" = weakref.WeakKeyDictionary()


def index_of(graphql_schema: GraphQLSchema) -> SchemaIndex | None:
    return _INDEXES.get(graphql_schema)


def build_index(schema) -> SchemaIndex:
    """Index `schema` (a strawberry.Schema) for the read path and remember it."""
    index = SchemaIndex()
    graphql_schema = schema._schema
    name_of = schema.config.name_converter.get_graphql_name
    for name, graphql_type in graphql_schema.type_map.items():
        definition = schema.get_type_by_name(name)
        if not isinstance(graphql_type, GraphQLObjectType) or not isinstance(
            definition, StrawberryObjectDefinition
        ):
            continue
        django = getattr(definition.origin, "__strawberry_django_definition__", None)
        if django is None or definition.is_input:
            continue
        seen_with_it = facts_of(definition.origin).seen_with_it
        entry = TypeEntry(
            name, definition.origin, django.model, hasattr(definition.origin, "get_queryset"),
            frozenset(name_of(f) for f in definition.fields if f.python_name in seen_with_it),
        )  # fmt: skip
        for strawberry_field in definition.fields:
            graphql_name = name_of(strawberry_field)
            graphql_field = graphql_type.fields.get(graphql_name)
            if graphql_field is not None:
                _index_field(entry, graphql_name, graphql_field, strawberry_field)
        index.types[name] = entry
    query = graphql_schema.query_type
    definition = schema.get_type_by_name(query.name)
    for strawberry_field in definition.fields:
        graphql_name = name_of(strawberry_field)
        target = get_named_type(query.fields[graphql_name].type)
        kinds = [type(e).__name__ for e in strawberry_field.extensions]
        if strawberry_field.metadata.get(ANSWERS_THE_VIEWER) and (
            target.name in index.types and not strawberry_field.arguments
        ):
            index.roots[graphql_name] = RootField("viewer", strawberry_field, target.name)
        elif not isinstance(strawberry_field, StrawberryDjangoField):
            index.unsupported_roots[graphql_name] = "not a strawberry-django field"
        elif kinds == ["StrawberryDjangoConnectionExtension"]:
            node = get_named_type(target.fields["edges"].type).fields["node"].type
            index.roots[graphql_name] = RootField(
                "list", strawberry_field, get_named_type(node).name
            )
        elif kinds == ["NodeExtension"] and target.name in index.types:
            index.roots[graphql_name] = RootField("node", strawberry_field, target.name)
        else:
            index.unsupported_roots[graphql_name] = "neither a list nor a model object by id"
    _INDEXES[graphql_schema] = index
    return index


def _index_field(entry: TypeEntry, name: str, graphql_field, strawberry_field) -> None:
    model, non_null = entry.model, isinstance(graphql_field.type, GraphQLNonNull)
    if name == "id":
        named_by = getattr(entry.origin, "resolve_id_attr", None)
        if getattr(named_by, "__func__", None) is pk_id_attr and not strawberry_field.extensions:
            leaf = get_named_type(graphql_field.type)
            entry.columns[name] = Column(model._meta.pk.attname, leaf, non_null, entry.name)
        else:
            entry.unsupported[name] = "the id is not named by resolve_id_attr = pk_id_attr"
        return
    if not isinstance(strawberry_field, StrawberryDjangoField):
        entry.unsupported[name] = "not a strawberry-django field"
        return
    if (private := strawberry_field.metadata.get(PRIVATE)) is not None:
        may_see = private.may_see_pk(model)
        if entry.may_see_private not in (None, may_see):
            entry.unsupported[name] = "private under another rule than the type's other fields"
            return
        entry.may_see_private = may_see
        leaf = get_named_type(graphql_field.type)
        entry.columns[name] = Column(private.attname, leaf, non_null, private=True)
        return
    annotate = strawberry_field.store.annotate if strawberry_field.store else {}
    if strawberry_field.metadata.get(ANSWERS_ITS_ANNOTATION) and len(annotate) == 1:
        ((attname, annotation),) = annotate.items()
        leaf = get_named_type(graphql_field.type)
        entry.columns[name] = Column(attname, leaf, non_null, annotation=annotation)
        return
    try:
        model_field = model._meta.get_field(strawberry_field.django_name)
    except Exception:  # noqa: BLE001 - computed or annotated: nothing to read a column from
        model_field = None
    if model_field is None or (strawberry_field.base_resolver and not model_field.is_relation):
        entry.unsupported[name] = (
            "has a resolver" if strawberry_field.base_resolver else ("not a model field")
        )
        return
    target = get_named_type(graphql_field.type)
    extensions = [type(e) for e in strawberry_field.extensions]
    if isinstance(model_field, models.ForeignKey) and not extensions:
        entry.relations[name] = Relation(
            "to_one", strawberry_field, model_field, target.name, non_null
        )
    elif isinstance(model_field, models.ManyToOneRel) and extensions == [
        StrawberryDjangoConnectionExtension
    ]:
        node = get_named_type(get_named_type(target.fields["edges"].type).fields["node"].type)
        entry.relations[name] = Relation(
            "connection", strawberry_field, model_field, node.name, non_null
        )
    elif model_field.is_relation:
        entry.unsupported[name] = f"a {type(model_field).__name__} relation"
    elif extensions or strawberry_field.arguments:
        entry.unsupported[name] = "has arguments or extensions"
    elif not isinstance(model_field, PLAIN_COLUMNS) or isinstance(model_field, models.FileField):
        entry.unsupported[name] = f"a {type(model_field).__name__} column"
    else:
        entry.columns[name] = Column(model_field.attname, target, non_null)
