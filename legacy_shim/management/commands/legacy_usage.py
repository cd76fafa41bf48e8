"""`manage.py legacy_usage`: which legacy names were used, since when, and by whom."""

from datetime import UTC, datetime

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from legacy_shim.models import LegacyNameUse
from legacy_shim.usage import flush_usage


def moment(value: str) -> datetime:
    parsed = parse_datetime(value) or parse_datetime(f"{value}T00:00:00")
    if parsed is None:
        raise ValueError(value)
    return parsed if timezone.is_aware(parsed) else timezone.make_aware(parsed, UTC)


class Command(BaseCommand):
    help = "List the uses of legacy names (GraphQL fields, Python imports) per client."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--since", type=moment, help="only uses on or after this date (2026-11-01)"
        )

    def handle(self, *args, since: datetime | None, **options) -> None:
        flush_usage()  # this process's own counts (servers write theirs every minute)
        uses = LegacyNameUse.objects.order_by("name", "-last_used")
        if since:
            uses = uses.filter(last_used__gte=since)
        rows = [
            (
                u.name,
                u.client,
                str(u.uses),
                f"{u.first_used:%Y-%m-%d %H:%M}",
                f"{u.last_used:%Y-%m-%d %H:%M}",
            )
            for u in uses
        ]
        if not rows:
            when = f" since {since:%Y-%m-%d %H:%M} UTC" if since else ""
            self.stdout.write(self.style.SUCCESS(f"No legacy name has been used{when}."))
            return
        header = ("name", "client", "uses", "first used (UTC)", "last used (UTC)")
        widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
        for row in [header, *rows]:
            self.stdout.write(
                "  ".join(
                    cell.ljust(width) for cell, width in zip(row, widths, strict=True)
                ).rstrip()
            )
