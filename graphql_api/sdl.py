"""The schema as SDL text, and how a change to it affects clients."""

import dataclasses
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.utils.module_loading import import_string
from graphql import (
    DocumentNode,
    NamedTypeNode,
    TypeDefinitionNode,
    find_breaking_changes,
    find_dangerous_changes,
    parse,
    print_ast,
    visit,
)
from graphql import build_schema as parse_sdl
from graphql.language import Visitor

SCHEMA_FILE = Path(settings.BASE_DIR) / "schema.graphql"


def schema_sdl() -> str:
    """The served schema (settings.GRAPHQL_SCHEMA) as SDL text."""
    return import_string(settings.GRAPHQL_SCHEMA).as_str() + "\n"


@dataclass
class SchemaDiff:
    breaking: list[str]
    dangerous: list[str]
    safe: bool  # the texts differ in ways no client can notice (descriptions, additions)

    def report(self) -> str:
        lines = [f"BREAKING: {change}" for change in self.breaking]
        lines += [f"DANGEROUS: {change}" for change in self.dangerous]
        if not lines and self.safe:
            lines.append("SAFE: only additions or descriptions changed")
        return "\n".join(lines)


def compare(old_sdl: str, new_sdl: str) -> SchemaDiff:
    old, new = parse_sdl(old_sdl), parse_sdl(new_sdl)
    return SchemaDiff(
        breaking=[f"{c.type.name}: {c.description}" for c in find_breaking_changes(old, new)],
        dangerous=[f"{c.type.name}: {c.description}" for c in find_dangerous_changes(old, new)],
        safe=old_sdl != new_sdl,
    )


ROOT_TYPES = {"Query", "Mutation", "Subscription"}


def without_deprecated(sdl: str) -> str:
    """The SDL with every deprecated field removed, then every type nothing refers to any more."""
    definitions = []
    for definition in parse(sdl).definitions:
        fields = getattr(definition, "fields", None)
        if fields:
            kept = tuple(
                f
                for f in fields
                if not any(d.name.value == "deprecated" for d in f.directives or ())
            )
            definition = _with_fields(definition, kept)
        definitions.append(definition)
    while True:
        referenced = _referenced_names(definitions)
        unused = [
            d for d in definitions
            if isinstance(d, TypeDefinitionNode) and d.name.value not in ROOT_TYPES
            and d.name.value not in referenced
        ]  # fmt: skip
        if not unused:
            return print_ast(DocumentNode(definitions=tuple(definitions)))
        definitions = [d for d in definitions if d not in unused]


def _with_fields(definition, fields):
    return dataclasses.replace(definition, fields=fields)  # graphql-core's nodes are frozen


def _referenced_names(definitions) -> set[str]:
    names: set[str] = set()

    class Collect(Visitor):
        def enter_named_type(self, node: NamedTypeNode, *args) -> None:
            names.add(node.name.value)

    for definition in definitions:
        # A type's own name is a NameNode, not a NamedTypeNode: only references are collected.
        visit(definition, Collect())
    return names
