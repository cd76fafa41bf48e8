"""`manage.py verify_consolidation`: compare every legacy row with its consolidated row."""

import sys

from django.core.management.base import BaseCommand

from learningplatform import consolidation


class Command(BaseCommand):
    help = "Compare every legacy row with its consolidated row; exit 1 naming each difference."

    def handle(self, *args, **options) -> None:
        present = consolidation.legacy_tables_present()
        if not present:
            self.stdout.write("No legacy tables in this database: nothing to verify.")
            return
        result = consolidation.verify(present=present)
        for table, count in sorted(result.checked.items()):
            self.stdout.write(f"{table}: {count} rows checked")
        if result.ok:
            self.stdout.write(
                self.style.SUCCESS("Every legacy value is in the consolidated tables.")
            )
            return
        for difference in result.differences:
            self.stderr.write(str(difference))
        shown = len(result.differences)
        self.stderr.write(
            f"{result.total_differences} differences"
            + (f" ({shown} shown)" if shown < result.total_differences else "")
        )
        sys.exit(1)
