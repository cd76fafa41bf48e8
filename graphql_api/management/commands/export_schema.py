"""`manage.py export_schema`: write the live schema's SDL to schema.graphql."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandParser

from graphql_api.sdl import SCHEMA_FILE, compare, schema_sdl


class Command(BaseCommand):
    help = "Write the GraphQL schema (SDL) to schema.graphql, and say how it changed."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--path", default=str(SCHEMA_FILE), help=f"default {SCHEMA_FILE}")

    def handle(self, *args, path: str, **options) -> None:
        target = Path(path)
        new = schema_sdl()
        if target.exists() and (old := target.read_text()) != new:
            self.stdout.write(compare(old, new).report())
        target.write_text(new)
        self.stdout.write(self.style.SUCCESS(f"Wrote {target}"))
