"""schema.graphql is the live schema; a drift names what would break clients."""

import pytest
from django.core.management import call_command

from graphql_api.sdl import SCHEMA_FILE, compare, schema_sdl


def test_committed_schema_matches_the_live_schema():
    committed = SCHEMA_FILE.read_text()
    live = schema_sdl()
    if committed != live:
        pytest.fail(
            "schema.graphql is out of date; run `python manage.py export_schema` and review:\n"
            + compare(committed, live).report()
        )


def test_removed_field_is_reported_as_breaking_and_new_enum_value_as_dangerous():
    old = "type Query { a: Int b: Int e: E } enum E { X }"
    new = "type Query { a: Int e: E } enum E { X Y }"
    diff = compare(old, new)
    assert diff.breaking == ["FIELD_REMOVED: Field Query.b was removed."]
    assert diff.dangerous == ["VALUE_ADDED_TO_ENUM: Enum value E.Y was added."]


def test_addition_is_safe():
    diff = compare("type Query { a: Int }", "type Query { a: Int b: Int }")
    assert (diff.breaking, diff.dangerous) == ([], [])
    assert diff.report() == "SAFE: only additions or descriptions changed"


def test_export_writes_the_live_schema(tmp_path):
    target = tmp_path / "schema.graphql"
    call_command("export_schema", path=str(target), stdout=open("/dev/null", "w"))
    assert target.read_text() == schema_sdl()
