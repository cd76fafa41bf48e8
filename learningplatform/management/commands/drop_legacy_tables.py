"""`manage.py drop_legacy_tables`: the contract step, only once the verification passes."""

from django.core.management.base import BaseCommand, CommandError, CommandParser

from learningplatform import consolidation


class Command(BaseCommand):
    help = "Drop the legacy tables, after verifying (again, now) that every value was consolidated."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--yes", action="store_true", help="do not ask for confirmation")

    def handle(self, *args, yes: bool, **options) -> None:
        present = consolidation.legacy_tables_present()
        if not present:
            self.stdout.write("No legacy tables left: nothing to drop.")
            return
        result = consolidation.verify(present=present)
        if not result.ok:
            raise CommandError(
                f"Refusing to drop: the verification found {result.total_differences} "
                "differences (run verify_consolidation to see them, then consolidate)."
            )
        if not yes and input(f"Drop {', '.join(sorted(present))}? Type 'drop': ") != "drop":
            raise CommandError("Nothing dropped.")
        consolidation.drop_legacy_tables()
        self.stdout.write(self.style.SUCCESS(f"Dropped {', '.join(sorted(present))}."))
