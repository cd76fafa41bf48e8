"""`manage.py`, also installed as the `learningplatform-manage` command with the package."""

import os
import sys


def main() -> None:
    """Run a management command; a configuration error is one line naming what to set."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    try:
        execute_from_command_line(sys.argv)
    except ImproperlyConfigured as error:
        sys.exit(f"Configuration error: {error}")


if __name__ == "__main__":
    main()
