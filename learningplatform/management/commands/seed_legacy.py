"""`manage.py seed_legacy`: a rehearsal database with the legacy tables full of realistic rows."""

from django.core.management.base import BaseCommand, CommandError, CommandParser

from learningplatform import consolidation
from learningplatform.consolidation import rehearsal


class Command(BaseCommand):
    help = (
        "Create the legacy tables (courses_course, tasks_learningtask, tasks_quiztask, "
        "assessment_submission) as the old code did and fill them, hard cases included, to "
        "rehearse `consolidate` or `migrate`. On a new, empty database it builds a whole old "
        "database instead (the learningplatform tables as the old code created them, with old "
        "rows), which a plain `migrate` then upgrades. For rehearsal databases only."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--courses", type=int, default=40, help="courses_course rows (default 40)"
        )
        parser.add_argument(
            "--tasks-per-course", type=int, default=5, help="learning tasks per course (default 5)"
        )
        parser.add_argument(
            "--students", type=int, default=20, help="student accounts (default 20)"
        )
        parser.add_argument(
            "--submissions-per-task", type=int, default=2, help="submissions per task (default 2)"
        )
        parser.add_argument("--seed", type=int, default=42, help="random seed (default 42)")
        parser.add_argument(
            "--reset", action="store_true", help="drop existing legacy tables first"
        )

    def handle(self, *args, **options) -> None:
        size = rehearsal.RehearsalSize(
            courses=options["courses"],
            tasks_per_course=options["tasks_per_course"],
            students=options["students"],
            submissions_per_task=options["submissions_per_task"],
        )
        if rehearsal.is_new_database():
            cases = rehearsal.build_old_database(size=size, seed=options["seed"])
            self.report(cases)
            self.stdout.write(
                self.style.SUCCESS("Old database ready: run `manage.py migrate` to upgrade it.")
            )
            return
        if consolidation.legacy_tables_present():
            if not options["reset"]:
                raise CommandError(
                    "Legacy tables exist already. Use --reset to drop and recreate them "
                    "(on a rehearsal database only)."
                )
            consolidation.drop_legacy_tables()
        rehearsal.create_tables()
        cases = rehearsal.seed_legacy_data(size=size, seed=options["seed"])
        self.report(cases)
        self.stdout.write(self.style.SUCCESS("Legacy tables ready: run `manage.py consolidate`."))

    def report(self, cases: rehearsal.HardCases) -> None:
        for table, count in cases.counts.items():
            self.stdout.write(f"{table}: {count} rows")
