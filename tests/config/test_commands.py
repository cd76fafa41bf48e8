"""Every command is usable without DEBUG: its help works with no SECRET_KEY, every option says
what it does and its default, and a missing setting is one line naming it, not a traceback."""

import argparse

import pytest
from django.core.management import get_commands, load_command_class
from django.core.management.base import BaseCommand

from tests.helpers import PRODUCTION, manage

pytestmark = pytest.mark.slow  # starts servers or processes

PROJECT_APPS = {"learningplatform", "graphql_api", "legacy_shim"}
PROJECT_COMMANDS = sorted(name for name, app in get_commands().items() if app in PROJECT_APPS)
# Options every Django command has; Django documents them.
DJANGO_OPTIONS = {action.dest for action in BaseCommand().create_parser("manage.py", "x")._actions}


def test_the_listing_shows_the_projects_commands_without_a_secret_key(tmp_path):
    result = manage("--help", tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    for name in PROJECT_COMMANDS:
        assert f"    {name}\n" in result.stdout
    assert "settings are not properly configured" not in result.stdout


@pytest.mark.parametrize("name", PROJECT_COMMANDS)
def test_each_commands_help_works_without_a_secret_key(name, tmp_path):
    result = manage(name, "--help", tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"usage: manage.py {name}")
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("name", PROJECT_COMMANDS)
def test_every_option_says_what_it_does_and_its_default(name):
    command = load_command_class(get_commands()[name], name)
    parser = command.create_parser("manage.py", name)
    for action in parser._actions:
        if action.dest in DJANGO_OPTIONS or action.help == argparse.SUPPRESS:
            continue
        assert action.help, f"{name} {action.option_strings or action.dest}: no help text"
        shows_default = action.default in (None, False) or "default" in action.help.lower()
        assert shows_default, f"{name} {action.option_strings}: help does not give the default"


def test_a_missing_setting_is_one_line_naming_it(tmp_path):
    result = manage("migrate", tmp_path=tmp_path, **(PRODUCTION | {"SECRET_KEY": ""}))
    assert result.returncode == 1
    assert result.stderr.startswith("Configuration error: SECRET_KEY is not set.")
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr
