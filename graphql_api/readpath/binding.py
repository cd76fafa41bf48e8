"""What a kept plan takes as parameters: the viewer's id, and the ids of objects asked for by id.

A plan is kept by shape (graphql_api/readpath/cache.py): one plan serves every viewer of a kind
and every id of the object a root field asks for by a variable. It is planned for a stand-in:
a viewer of the same kind (`viewer_kind`) whose id is `VIEWER_ID`, and `NODE_IDS` in place of
each bound variable's id. Those marks are what the compiled SQL holds as parameters; each time a
plan runs, `bound` puts the running request's values in their place (`Statement.execute`).

The marks are negative integers no row has as its id, and a request that holds one (in a
variable or in the document) is not planned by shape. A variable is bound only when every use
of it is the `id` of a root field that reads one object by id (`course(id: $id)`); any other
variable's value stays in the plan's key. Planning that reads the database (a filter checking
that a course exists and may be seen) is done for the real viewer and values, and kept per
viewer as before (`PlanningReads`).
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from graphql import FieldNode, OperationDefinitionNode, VariableNode, visit
from graphql.language import Visitor
from strawberry.relay import GlobalID, from_base64

from graphql_api.ids import is_node_id
from learningplatform.selectors import AnyUser

VIEWER_ID = -(2**62) - 1_000_003
NODE_IDS = tuple(-(2**62) - 2_000_003 - n for n in range(4))  # one per bound variable, at most
MARKS = frozenset((VIEWER_ID, *NODE_IDS))

_bound: contextvars.ContextVar[dict[int, int] | None] = contextvars.ContextVar(
    "graphql_api.readpath.binding", default=None
)


@dataclass(frozen=True)
class Shape:
    """The variables of an operation a plan binds: name -> (its mark, the root field's type).

    `per_viewer`: planning the operation reads the database, so it is planned for each viewer
    and value, as the rows it read were theirs; None until its first planning, which is for the
    real viewer and values, tells.
    """

    variables: dict[str, tuple[int, str]]
    per_viewer: bool | None = None


def shape_of(operation: OperationDefinitionNode, fragments: dict, node_roots: dict) -> Shape:
    """The variables used only as the `id` of root fields that read one object by id.

    `node_roots` maps such root fields' names to their type's name. A variable used anywhere
    else too (a filter, a fragment, a directive, another argument) is not bound.
    """
    targets: dict[str, set[str]] = {}
    as_ids: dict[str, int] = {}
    for selection in operation.selection_set.selections:
        if not isinstance(selection, FieldNode) or selection.name.value not in node_roots:
            continue
        for argument in selection.arguments or ():
            if argument.name.value == "id" and isinstance(argument.value, VariableNode):
                name = argument.value.name.value
                targets.setdefault(name, set()).add(node_roots[selection.name.value])
                as_ids[name] = as_ids.get(name, 0) + 1
    uses: dict[str, int] = {}

    class CountUses(Visitor):
        def enter_variable(self, node, *_args):
            uses[node.name.value] = uses.get(node.name.value, 0) + 1

    for node in (operation.selection_set, *fragments.values()):
        # graphql-core 3.3 keeps each fragment as (its definition, its variables' signature)
        visit(node[0] if isinstance(node, tuple) else node, CountUses())
    bindable = [
        name
        for name in sorted(targets)
        if len(targets[name]) == 1 and uses.get(name) == as_ids[name]
    ][: len(NODE_IDS)]
    return Shape({name: (NODE_IDS[n], *targets[name]) for n, name in enumerate(bindable)})


def node_id_of(value: object, target: str) -> int | None:
    """The primary key a bound variable's global id names, if the read path would read it."""
    if isinstance(value, GlobalID):
        type_name, node_id = value.type_name, value.node_id
    else:
        try:
            type_name, node_id = from_base64(value)
        except (ValueError, TypeError):
            return None
    if type_name != target or not (node_id.isascii() and node_id.isdigit()):
        return None
    if not is_node_id(node_id):
        return None
    return int(node_id)


def bindings(shape: Shape, variables: dict, user: AnyUser) -> dict[int, int] | None:
    """Each mark's value for this request; None if a bound variable is not an id to read."""
    found = {VIEWER_ID: user.pk} if user.is_authenticated else {}
    for name, (mark, target) in shape.variables.items():
        node_id = node_id_of(variables.get(name), target)
        if node_id is None:
            return None
        found[mark] = node_id
    return found


def holds_a_mark(value: object, document: str) -> bool:
    """Whether a request's variables or document hold a mark's value (planned per request)."""
    if any(str(-mark) in document for mark in MARKS):
        return True
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list | tuple):
            stack.extend(item)
        elif isinstance(item, int) and item in MARKS:
            return True
        elif isinstance(item, str) and any(str(-mark) in item for mark in MARKS):
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
def bound(values: dict[int, int] | None) -> Iterator[None]:
    """Run statements with `values` in place of the marks."""
    token = _bound.set(values)
    try:
        yield
    finally:
        _bound.reset(token)


def bind(params: tuple) -> tuple:
    """`params` with the running request's values in place of the marks."""
    values = _bound.get()
    if not values:
        return params
    return tuple(values.get(p, p) if type(p) is int else p for p in params)
