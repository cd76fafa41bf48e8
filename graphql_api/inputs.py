"""Checks on every input value, whatever argument it is for, before the document is validated.

- Text may not hold NUL characters (PostgreSQL's text cannot) or unpaired surrogates (not
  Unicode; UTF-8 cannot encode them), in literals and in variables alike.
- An integer literal too long for Python to read (over 4,300 digits) would crash GraphQL's own
  Int parsing; anything past 64 bits is refused here the way GraphQL refuses any non-32-bit Int.

Each refusal names the argument or variable, so the client knows what to fix.
"""

import re
import threading
from collections import OrderedDict
from collections.abc import Iterator
from typing import Any

from graphql import (
    ArgumentNode,
    DocumentNode,
    GraphQLError,
    IntValueNode,
    ListValueNode,
    ObjectFieldNode,
    ObjectValueNode,
    StringValueNode,
    ValueNode,
)
from graphql.language import Visitor, visit
from strawberry.extensions import SchemaExtension

UNPAIRED_SURROGATE = re.compile("[\ud800-\udfff]")
LONGEST_INT = 20  # digits, sign included: more than any 64-bit integer


def text_problem(text: str) -> str | None:
    if "\x00" in text:
        return "may not contain NUL characters (U+0000)"
    if UNPAIRED_SURROGATE.search(text):
        return "is not valid Unicode: it holds an unpaired surrogate (U+D800 to U+DFFF)"
    return None


def _variable_problems(value: Any, path: str) -> Iterator[str]:
    if isinstance(value, str):
        if problem := text_problem(value):
            yield f"Variable {path} {problem}."
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _variable_problems(item, f"{path}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _variable_problems(item, f"{path}[{index}]")


class _LiteralProblems(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.errors: list[GraphQLError] = []

    def enter_argument(self, node: ArgumentNode, *args) -> None:
        self.check(node.value, node.name.value)

    def check(self, value: ValueNode, name: str) -> None:
        if isinstance(value, StringValueNode) and (problem := text_problem(value.value)):
            self.errors.append(GraphQLError(f"Argument '{name}' {problem}.", value))
        elif isinstance(value, IntValueNode) and len(value.value) > LONGEST_INT:
            self.errors.append(
                GraphQLError(
                    f"Argument '{name}': Int cannot represent a number of "
                    f"{len(value.value.lstrip('-')):,} digits.",
                    value,
                )
            )
        elif isinstance(value, ListValueNode):
            for item in value.values:
                self.check(item, name)
        elif isinstance(value, ObjectValueNode):
            for field in value.fields:
                self.check_field(field, name)

    def check_field(self, field: ObjectFieldNode, name: str) -> None:
        self.check(field.value, f"{name}.{field.name.value}")


# The problems of the documents seen last, by document object: parsed documents come from the
# parser's cache, so a repeated document is the same object and is not walked again. The entry
# holds its document, so an id is not reused while it is kept.
_LITERALS: "OrderedDict[int, tuple[DocumentNode, list[tuple[str, ValueNode]]]]" = OrderedDict()
_LITERALS_KEPT = 512
_LITERALS_LOCK = threading.Lock()


def literal_problems(document: DocumentNode) -> list[tuple[str, ValueNode]]:
    """(message, node) of each literal in `document` that is refused."""
    kept = _LITERALS.get(id(document))
    if kept is not None and kept[0] is document:
        return kept[1]
    literals = _LiteralProblems()
    visit(document, literals)
    problems = [(error.message, error.nodes[0]) for error in literals.errors]
    with _LITERALS_LOCK:
        _LITERALS[id(document)] = (document, problems)
        while len(_LITERALS) > _LITERALS_KEPT:
            _LITERALS.popitem(last=False)
    return problems


class InputCheck(SchemaExtension):
    """Refuse text that is not storable and unreadable integers, naming where they are."""

    def on_validate(self):
        context = self.execution_context
        errors = []
        for name, value in (context.variables or {}).items():
            errors += [GraphQLError(message) for message in _variable_problems(value, f"${name}")]
        if context.graphql_document is not None:
            errors += [
                GraphQLError(message, node)
                for message, node in literal_problems(context.graphql_document)
            ]
        if errors:
            context.pre_execution_errors = errors
            raise errors[0]
        yield
