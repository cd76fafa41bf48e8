"""`manage.py read_fallbacks`: which documents the read path left to the executor, and why."""

from django.core.management.base import BaseCommand, CommandParser

from graphql_api.readpath.fallbacks import OTHER, flush_fallbacks
from graphql_api.readpath.models import FallbackDocument, ReadFallback


class Command(BaseCommand):
    help = "List the documents GraphQL's executor answered instead of the read path, with why."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--documents", action="store_true", help="print each document too")

    def handle(self, *args, documents: bool, **options) -> None:
        flush_fallbacks()  # this process's own counts, if it has any
        rows = ReadFallback.objects.order_by("-uses", "operation_name", "reason")
        texts = {d.digest: d for d in FallbackDocument.objects.all()} if documents else {}
        if not rows:
            self.stdout.write(self.style.SUCCESS("The read path has answered every query."))
            return
        for row in rows:
            name = row.operation_name or f"(anonymous {row.digest[:12]})"
            if row.digest == OTHER:
                name = "(other documents, past the record's bounds)"
            self.stdout.write(
                f"{row.uses:>8}  {name}: {row.reason}  "
                f"(first {row.first_seen:%Y-%m-%d %H:%M}, last {row.last_seen:%Y-%m-%d %H:%M} UTC)"
            )
            if (stored := texts.get(row.digest)) is not None:
                lines = stored.text.splitlines()
                self.stdout.write("\n".join(f"          {line}" for line in lines))
                if stored.truncated:
                    self.stdout.write(f"          ... ({stored.size:,} bytes in all)")
