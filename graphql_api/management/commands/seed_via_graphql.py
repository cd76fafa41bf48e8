"""`manage.py seed_via_graphql`: the demo data set, written through the public mutations."""

from django.core.management.base import CommandError, CommandParser

from graphql_api.seeding import SeedError, seed_via_graphql
from learningplatform.management.commands.seed import Command as SeedCommand
from learningplatform.seeding import SeedReport, SeedSize


class Command(SeedCommand):
    help = (
        "Create the demo data set as `seed` does, but write courses, tasks, submissions and "
        "grades through the public GraphQL mutations, as a client would (in process, or against "
        "a running server with --url). Development only (DEBUG=1)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument(
            "--url",
            help="a running server's GraphQL endpoint (http://127.0.0.1:8000/graphql/) that "
            "shares this command's database (default: none, this project's stack in process)",
        )

    def write(self, *, size: SeedSize, progress, options: dict) -> SeedReport:
        try:
            created = seed_via_graphql(
                size=size, seed=options["seed"], url=options["url"], progress=progress
            )
        except (SeedError, OSError) as error:
            raise CommandError(f"Seeding through GraphQL stopped: {error}") from error
        return SeedReport(created=created)
