"""`manage.py demo`: migrate, seed the demo data set and serve the API locally."""

import os

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser


class Command(BaseCommand):
    help = "Bring the database up to date, add the demo data set if missing, and run the server."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "addrport",
            nargs="?",
            default="127.0.0.1:8000",
            help="address and port to serve on (default 127.0.0.1:8000)",
        )

    def handle(self, *args, addrport: str, **options) -> None:
        if not settings.DEBUG:
            raise CommandError(
                "demo runs Django's development server, which needs DEBUG=1. "
                "For production serving see docs/operations.md, 'Production'."
            )
        # The autoreloader runs this command again in a child process (RUN_MAIN=true): the
        # database is ready by then, and the URLs were printed once.
        if os.environ.get("RUN_MAIN") != "true":
            call_command("migrate", verbosity=0)
            call_command("seed", no_progress=True, stdout=self.stdout)
            url = f"http://{addrport}/"
            self.stdout.write(self.style.SUCCESS(f"GraphQL API and GraphiQL: {url}graphql/"))
            self.stdout.write(f"Admin: {url}admin/ (log in as seed-admin)")
        call_command("runserver", addrport)
