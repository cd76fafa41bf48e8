"""`manage.py consolidation_report`: every legacy value that is recorded, grouped by rule."""

from django.core.management.base import BaseCommand, CommandParser
from django.db.models import Count

from learningplatform.consolidation.rules import RULE_DESCRIPTIONS
from learningplatform.models import ConsolidationConflict


class Command(BaseCommand):
    help = (
        "List the legacy values the consolidation recorded instead of keeping them in their "
        "row: values mapped by a rule, and values a course merge did not keep; grouped by rule, "
        "with counts and the rows."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--kind",
            choices=["mapped", "conflict", "filled"],
            help="only records of this kind (default: all)",
        )
        parser.add_argument("--rule", help="only records of this rule (default: all)")
        parser.add_argument(
            "--limit",
            type=int,
            default=None,
            help="rows shown per rule (default: all; 0 shows the counts only)",
        )

    def handle(self, *args, kind: str | None, rule: str | None, limit: int | None, **options):
        records = ConsolidationConflict.objects.all()
        if kind:
            records = records.filter(kind=kind)
        if rule:
            records = records.filter(rule=rule)
        groups = records.values("kind", "rule").annotate(count=Count("id")).order_by("kind", "rule")
        if not groups:
            self.stdout.write("No recorded legacy values.")
            return
        for group in groups:
            name = group["rule"] or "(no rule recorded)"
            self.stdout.write(f"{group['kind']} / {name}: {group['count']}")
            if description := RULE_DESCRIPTIONS.get(group["rule"]):
                self.stdout.write(f"  rule: {description}")
            rows = records.filter(kind=group["kind"], rule=group["rule"]).order_by(
                "legacy_table", "legacy_id", "field"
            )
            if limit is not None:
                rows = rows[:limit]
            for record in rows.iterator():
                self.stdout.write(
                    f"  {record.legacy_table} id={record.legacy_id} -> id {record.new_id}: "
                    f"{record.field} {record.legacy_value!r} kept as {record.kept_value!r}"
                )
        self.stdout.write(f"{records.count()} recorded values in all.")
