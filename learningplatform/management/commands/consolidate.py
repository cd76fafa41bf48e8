"""`manage.py consolidate`: back up, move the legacy rows, verify, report."""

import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection
from tqdm import tqdm

from learningplatform import consolidation
from learningplatform.consolidation.backup import backup_database, default_backup_dir


class Command(BaseCommand):
    help = (
        "Consolidate the legacy tables into the consolidated models: backup first, then the "
        "copy in batches, then the verification. Safe to interrupt and run again."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="report everything the real run would do (rows, merges, conflicts, mapped "
            "values, the backup), from a run that is rolled back; change nothing",
        )
        parser.add_argument(
            "--strict",
            action="store_true",
            help="stop, changing nothing, if a legacy value would have to be mapped by a rule "
            "(list each) instead of mapping and recording it",
        )
        parser.add_argument(
            "--batch-size",
            type=int,
            default=10_000,
            help="legacy rows per transaction (default: 10000)",
        )
        parser.add_argument(
            "--backup-dir", type=Path, default=None, help=f"default {default_backup_dir()}"
        )
        parser.add_argument(
            "--no-progress", action="store_true", help="no progress bar (default: shown on a TTY)"
        )

    def handle(self, *args, **options) -> None:
        present = consolidation.legacy_tables_present()
        if not present:
            self.stdout.write("No legacy tables in this database: nothing to consolidate.")
            return
        if options["batch_size"] < 1:
            raise CommandError("--batch-size must be at least 1.")
        if options["strict"] and (problems := consolidation.preflight()):
            raise CommandError(
                "Legacy rows hold values the consolidated models cannot keep as they are; "
                "nothing was changed (--strict). Correct them and run again, or run without "
                "--strict to map and record them:\n  " + "\n  ".join(problems)
            )
        pending = consolidation.pending()
        for table, (total, done) in pending.items():
            self.stdout.write(f"{table}: {total} rows, {done} consolidated, {total - done} to do")
        if "tasks_quiztask" in present:
            quizzes = consolidation.Sql(connection).scalar("SELECT COUNT(*) FROM tasks_quiztask")
            self.stdout.write(f"tasks_quiztask: {quizzes} rows (each joins its learning task)")
        work = consolidation.has_work(counts=pending)
        backup_dir = options["backup_dir"] or default_backup_dir()
        if options["dry_run"]:
            report = consolidation.dry_run(batch_size=options["batch_size"])
            for line in report.lines():
                self.stdout.write(line)
            self.stdout.write(
                f"A backup would be written to {backup_dir} first."
                if work
                else "Nothing to change: no backup would be taken."
            )
            self.stdout.write("Dry run: nothing was changed.")
            return
        if work:
            path = backup_database(connection, backup_dir)
            self.stdout.write(f"Backup written to {path}")
        else:
            self.stdout.write("Every legacy row is consolidated already: no backup needed.")
        total = sum(count for count, _ in pending.values())  # progress counts every row it passes
        with tqdm(
            total=total, unit="row", disable=options["no_progress"] or None, file=self.stderr
        ) as bar:

            def progress(table: str, rows: int) -> None:
                bar.set_description(table)
                bar.update(rows)

            report = consolidation.consolidate(batch_size=options["batch_size"], progress=progress)
        for line in report.lines():
            self.stdout.write(line)
        if report.mapped:
            self.stdout.write("Review the mapped values with `manage.py consolidation_report`.")
        result = consolidation.verify(present=present)
        if not result.ok:
            for difference in result.differences:
                self.stderr.write(str(difference))
            self.stderr.write(f"Verification failed: {result.total_differences} differences.")
            sys.exit(1)
        self.stdout.write(
            self.style.SUCCESS("Verified: every legacy value is in the consolidated tables.")
        )
