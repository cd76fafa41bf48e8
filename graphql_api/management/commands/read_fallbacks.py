"""`manage.py read_fallbacks`: which documents the read path left to the executor, and why."""

from django.core.management.base import BaseCommand, CommandParser

from graphql_api.readpath.models import ReadFallback


class Command(BaseCommand):
    help = "List the documents GraphQL's executor answered instead of the read path, with why."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--documents", action="store_true", help="print each document too")

    def handle(self, *args, documents: bool, **options) -> None:
        rows = ReadFallback.objects.order_by("-uses", "operation_name", "reason")
        if not rows:
            self.stdout.write(self.style.SUCCESS("The read path has answered every query."))
            return
        for row in rows:
            name = row.operation_name or f"(anonymous {row.digest[:12]})"
            self.stdout.write(
                f"{row.uses:>8}  {name}: {row.reason}  "
                f"(first {row.first_seen:%Y-%m-%d %H:%M}, last {row.last_seen:%Y-%m-%d %H:%M} UTC)"
            )
            if documents:
                self.stdout.write(
                    "\n".join(f"          {line}" for line in row.document.splitlines())
                )
