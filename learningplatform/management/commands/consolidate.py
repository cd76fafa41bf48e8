"""`manage.py consolidate`: back up, move the legacy rows, verify, report."""

import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection
from tqdm import tqdm

from learningplatform import consolidation
from learningplatform.consolidation.backup import backup_database, default_backup_dir
from learningplatform.consolidation.steps import MAP


class Command(BaseCommand):
    help = (
        "Consolidate the legacy tables into the consolidated models: backup first, then the "
        "copy in batches, then the verification. Safe to interrupt and run again."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="report, change nothing")
        parser.add_argument("--batch-size", type=int, default=10_000)
        parser.add_argument(
            "--backup-dir", type=Path, default=None, help=f"default {default_backup_dir()}"
        )
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args, **options) -> None:
        present = consolidation.legacy_tables_present()
        if not present:
            self.stdout.write("No legacy tables in this database: nothing to consolidate.")
            return
        if problems := consolidation.preflight():
            raise CommandError(
                "Legacy rows break rules of the consolidated models; nothing was changed. "
                "Correct them and run again:\n  " + "\n  ".join(problems)
            )
        pending = self.pending(present)
        if options["dry_run"]:
            for table, (total, done) in pending.items():
                self.stdout.write(
                    f"{table}: {total} rows, {done} consolidated, {total - done} to do"
                )
            self.stdout.write("Dry run: nothing was changed.")
            return
        path = backup_database(connection, options["backup_dir"])
        self.stdout.write(f"Backup written to {path}")
        total = sum(count for count, _ in pending.values())
        with tqdm(
            total=total, unit="row", disable=options["no_progress"] or None, file=self.stderr
        ) as bar:

            def progress(table: str, rows: int) -> None:
                bar.set_description(table)
                bar.update(rows)

            report = consolidation.consolidate(batch_size=options["batch_size"], progress=progress)
        for line in report.lines():
            self.stdout.write(line)
        result = consolidation.verify(present=present)
        if not result.ok:
            for difference in result.differences:
                self.stderr.write(str(difference))
            self.stderr.write(f"Verification failed: {result.total_differences} differences.")
            sys.exit(1)
        self.stdout.write(
            self.style.SUCCESS("Verified: every legacy value is in the consolidated tables.")
        )

    def pending(self, present: set[str]) -> dict[str, tuple[int, int]]:
        counts = {}
        with connection.cursor() as cursor:
            for table in ("courses_course", "tasks_learningtask", "assessment_submission"):
                if table in present:
                    # SQL from the constant names above, never from input (hence the nosec marks).
                    cursor.execute(f"SELECT COUNT(*) FROM {table}")  # noqa: S608  # nosec B608
                    total = cursor.fetchone()[0]
                    cursor.execute(
                        f"SELECT COUNT(*) FROM {MAP} WHERE legacy_table = %s",  # noqa: S608  # nosec
                        [table],
                    )
                    counts[table] = (total, cursor.fetchone()[0])
        return counts
