"""The schema as SDL text, and how a change to it affects clients."""

from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from graphql import build_schema as parse_sdl
from graphql import find_breaking_changes, find_dangerous_changes

SCHEMA_FILE = Path(settings.BASE_DIR) / "schema.graphql"


def schema_sdl() -> str:
    from graphql_api.schema import schema

    return schema.as_str() + "\n"


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
