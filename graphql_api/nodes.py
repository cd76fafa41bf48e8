"""The one protocol of the API's model types: `node_type` and the field helpers below.

A type of a model, with a global id:

    @node_type(models.Course, name="Course", seen_with_it=("instructor",))
    class Course(relay.Node):
        title: str                       # a column: the read path reads it, nothing else to say
        secret: str | None = private_field("secret", may_see=can_see_private_fields_of)

        @annotated_field(visible_things, description="...")
        def thing_count(self, info: Info) -> int: ...  # when the object came without it

`node_type` names the object by its primary key (graphql_api/ids.py) and records the facts the
read path (graphql_api/readpath/) cannot learn from the fields and the type's `get_queryset`;
the helpers make both the executor's resolver and the read path's column from one declaration.
Which type names a model's global ids (`node_type_names`) is read from the schema.
"""

import functools
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import strawberry
import strawberry_django
from django.db import models
from graphql import GraphQLObjectType
from strawberry import relay
from strawberry.types import Info

from graphql_api.ids import pk_id_attr, resolve_node
from graphql_api.permissions import current_user

# Keys of a field's `metadata` that tell the read path how the field is answered.
PRIVATE = "graphql_api.private"  # a Private: one column, null unless its rule allows
ANSWERS_ITS_ANNOTATION = "graphql_api.annotated"  # the resolver answers its one annotation
ANSWERS_THE_VIEWER = "graphql_api.viewer"  # a root field answering the request's user


@dataclass(frozen=True)
class NodeFacts:
    """What the read path is told of a type, because it cannot derive it.

    `seen_with_it`: to-one fields whose object whoever may see this one may see too (by the
    selectors' rules), so the read path joins it instead of reading it apart through its own
    type's visibility rules. A security claim: tests/graphql_api/test_node_types.py checks each
    one against the selectors for every kind of viewer and every state of the rows.
    """

    seen_with_it: frozenset[str] = frozenset()


_FACTS: "weakref.WeakKeyDictionary[type, NodeFacts]" = weakref.WeakKeyDictionary()


def node_type(
    model: type[models.Model],
    *,
    name: str,
    description: str | None = None,
    seen_with_it: tuple[str, ...] = (),
) -> Callable[[type], type]:
    """`strawberry_django.type(model)` for a `relay.Node` subclass named by its primary key.

    `seen_with_it` names foreign keys of `model` (see `NodeFacts`); anything else is refused
    here, when the module is imported.
    """

    def make(cls: type) -> type:
        if not issubclass(cls, relay.Node):
            raise TypeError(f"{cls.__name__} must subclass strawberry.relay.Node.")
        for field_name in seen_with_it:
            field = model._meta.get_field(field_name)
            if not (field.many_to_one or field.one_to_one) or field.auto_created:
                raise TypeError(f"{name}: seen_with_it names {field_name!r}, not a foreign key.")
        cls.resolve_id_attr = classmethod(pk_id_attr)
        cls.resolve_node = classmethod(resolve_node)
        made = strawberry_django.type(model, name=name, description=description)(cls)
        _FACTS[made] = NodeFacts(frozenset(seen_with_it))
        return made

    return make


def facts_of(origin: type) -> NodeFacts:
    """The facts `node_type` recorded for `origin`; none for any other type."""
    return _FACTS.get(origin, NodeFacts())


@dataclass(frozen=True)
class Private:
    """A field shown only to some viewers: the column `attname`, null unless `may_see`."""

    attname: str
    may_see: Callable[[Any, models.Model], bool]  # (viewer, the object) -> may see the field

    def may_see_pk(self, model: type[models.Model]) -> Callable[[Any, Any], bool]:
        """`may_see` for a row the read path holds only the primary key of; one function per
        rule and model, so fields under one rule share it."""
        return _on_primary_key(self.may_see, model)


@functools.cache
def _on_primary_key(may_see: Callable, model: type[models.Model]) -> Callable[[Any, Any], bool]:
    # The object is made with every other column deferred: a rule that reads one (beyond the
    # primary key) loads it, slowly but right, instead of reading a default.
    pk_name = model._meta.pk.attname

    def of_pk(viewer, pk) -> bool:
        return may_see(viewer, model.from_db(None, [pk_name], [pk]))

    return of_pk


def private_field(
    attname: str,
    *,
    may_see: Callable[[Any, models.Model], bool],
    description: str,
    answer: Callable[[Any], Any] | None = None,
) -> Any:
    """A field null for whoever `may_see(viewer, object)` refuses: the column `attname`'s value,
    or `answer(value)` (a field the read path then leaves to the executor)."""

    def resolve(root, info: Info) -> Any:
        if not may_see(current_user(info), root):
            return None
        value = getattr(root, attname)
        return value if answer is None else answer(value)

    metadata = {PRIVATE: Private(attname, may_see)} if answer is None else {}
    return strawberry_django.field(
        resolver=resolve, only=[attname], description=description, metadata=metadata
    )


MISSING = object()


def annotated_field(
    annotation: Callable[[Info], Any], *, description: str
) -> Callable[[Callable], Any]:
    """A resolver field that lists read as one annotation (`annotation(info)`, an expression) in
    their statement, on either path; the decorated method answers an object loaded without it
    (one a mutation returns)."""

    def make(method: Callable) -> Any:
        attname = f"annotated_{method.__name__}"

        @functools.wraps(method)
        def resolve(self, info: Info):
            value = getattr(self, attname, MISSING)
            return method(self, info) if value is MISSING else value

        return strawberry_django.field(
            resolve,
            annotate={attname: annotation},
            description=description,
            metadata={ANSWERS_ITS_ANNOTATION: True},
        )

    return make


def viewer_field(*, description: str) -> Any:
    """A root field answering the request's user, or null when anonymous (`me`); the read path
    answers it too, from the user the request loaded, through the type's visibility rules."""

    def resolve(info: Info) -> Any:
        user = current_user(info)
        return user if user.is_authenticated else None

    return strawberry.field(
        resolver=resolve, description=description, metadata={ANSWERS_THE_VIEWER: True}
    )


_NODE_TYPE_NAMES: "weakref.WeakKeyDictionary[Any, dict]" = weakref.WeakKeyDictionary()


def node_type_names(schema) -> dict[type[models.Model], str]:
    """Which type each model's global ids name in `schema` (a strawberry.Schema): its one node
    type (a model with none, or with several, has no entry)."""
    names = _NODE_TYPE_NAMES.get(schema)
    if names is None:
        found: dict[type[models.Model], list[str]] = {}
        for name, graphql_type in schema._schema.type_map.items():
            if not isinstance(graphql_type, GraphQLObjectType):
                continue
            if not any(interface.name == "Node" for interface in graphql_type.interfaces):
                continue
            origin = getattr(schema.get_type_by_name(name), "origin", None)
            django = getattr(origin, "__strawberry_django_definition__", None)
            if django is not None:
                found.setdefault(django.model, []).append(name)
        names = {model: types[0] for model, types in found.items() if len(types) == 1}
        _NODE_TYPE_NAMES[schema] = names
    return names
