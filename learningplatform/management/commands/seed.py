"""`manage.py seed`: write the demo data set, deterministic for a seed, safe to run again."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from learningplatform.seeding import (
    SEED_PASSWORD,
    SEED_USERNAME_PREFIX,
    SeedReport,
    SeedSize,
    planned_rows,
    reset_data_set,
    seed_data_set,
)


def non_negative(value: str) -> int:
    number = int(value)
    if number < 0:
        raise ValueError(value)
    return number


class Command(BaseCommand):
    help = (
        "Create a realistic demo data set (users, courses, tasks, submissions). The same --seed "
        "and sizes always give the same data; running again adds only what is missing. "
        "Development only (DEBUG=1): every account gets the published demo password."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        defaults = SeedSize()
        for name, help_text in [
            ("instructors", "instructor accounts"),
            ("students", "student accounts"),
            ("courses", "courses, spread over the instructors"),
            ("tasks-per-course", "tasks in each course"),
            ("submissions-per-task", "students who submit to each graded task"),
        ]:
            default = getattr(defaults, name.replace("-", "_"))
            parser.add_argument(
                f"--{name}",
                type=non_negative,
                default=default,
                help=f"number of {help_text} (default {default})",
            )
        parser.add_argument("--seed", type=int, default=42, help="random seed (default 42)")
        parser.add_argument(
            "--reset",
            action="store_true",
            help=f"delete every seeded account ({SEED_USERNAME_PREFIX}*) and its data first",
        )
        parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")

    def write(self, *, size: SeedSize, progress, options: dict) -> SeedReport:
        """Write the planned data set's missing rows (seed_via_graphql writes them otherwise)."""
        return seed_data_set(size=size, seed=options["seed"], progress=progress)

    def handle(self, *args, **options) -> None:
        if not settings.DEBUG:
            raise CommandError(
                "seed creates accounts (staff included) whose password is published in the README, "
                "so it runs only in development: set DEBUG=1, on a database no one else uses."
            )
        size = SeedSize(
            instructors=options["instructors"],
            students=options["students"],
            courses=options["courses"],
            tasks_per_course=options["tasks_per_course"],
            submissions_per_task=options["submissions_per_task"],
        )
        if size.courses and not size.instructors:
            raise CommandError("--courses needs at least one instructor (--instructors 1 or more).")
        if options["reset"]:
            removed = reset_data_set()
            self.stdout.write(f"Reset: removed {removed} seeded rows and everything they owned.")
        total = planned_rows(size=size, seed=options["seed"])
        with tqdm(
            total=total, unit="row", disable=options["no_progress"] or None, file=self.stderr
        ) as bar:

            def progress(count: int, label: str) -> None:
                bar.set_description(label)
                bar.update(count)

            report = self.write(size=size, progress=progress, options=options)
        self.stdout.write(self.style.SUCCESS(f"Seeded: {report} (rows already present skipped)."))
        self.stdout.write(
            f"Demo accounts: {SEED_USERNAME_PREFIX}admin (staff), "
            f"{SEED_USERNAME_PREFIX}instructor-0000, {SEED_USERNAME_PREFIX}student-00000 ...; "
            f"password: {SEED_PASSWORD}"
        )
