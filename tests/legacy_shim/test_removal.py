"""Removal rehearsal: without legacy_shim the new names still work, and the schema that remains
is exactly the committed schema.graphql minus its deprecated names."""

import os
import subprocess
import sys

import pytest
from graphql import build_schema, lexicographic_sort_schema, print_schema

from graphql_api.sdl import SCHEMA_FILE, without_deprecated
from tests.helpers import PRODUCTION, ROOT

pytestmark = pytest.mark.slow  # starts servers or processes

WITHOUT_SHIM = {
    "LEGACY_SHIM": "0",
    "DJANGO_SETTINGS_MODULE": "config.settings",
    "GRAPHQL_INTROSPECTION": "1",
}


def run_without_shim(
    *command: str, tmp_path, test_settings: bool = False
) -> subprocess.CompletedProcess:
    ignored = {"DEBUG", "DATABASE_URL", "DJANGO_SETTINGS_MODULE"}
    env = {k: v for k, v in os.environ.items() if k not in ignored}
    env |= {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "DATA_DIR": str(tmp_path),
        "LEGACY_SHIM": "0",
    }
    if not test_settings:  # pytest picks tests.settings itself
        env |= PRODUCTION | WITHOUT_SHIM
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)


def normalised(sdl: str) -> str:
    return print_schema(lexicographic_sort_schema(build_schema(sdl)))


def test_schema_without_the_shim_is_the_committed_one_minus_deprecated_names(tmp_path):
    result = run_without_shim(
        sys.executable, "-c",
        "import django; django.setup(); from graphql_api.sdl import schema_sdl; print(schema_sdl())",
        tmp_path=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    remaining = result.stdout
    assert "learningTask" not in remaining and "QuizTask" not in remaining
    assert normalised(remaining) == normalised(without_deprecated(SCHEMA_FILE.read_text()))


def test_new_names_and_code_work_without_the_shim(tmp_path):
    result = run_without_shim(
        sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-x",
        "tests/graphql_api/test_queries.py", "tests/graphql_api/test_mutations.py",
        "tests/learningplatform/test_models.py", tmp_path=tmp_path, test_settings=True,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-3000:]
    assert " passed" in result.stdout.splitlines()[-1]
    old_import = run_without_shim(
        sys.executable,
        "manage.py",
        "shell",
        "--no-imports",
        "-c",
        "import tasks.models",
        tmp_path=tmp_path,
    )
    assert "No module named 'tasks'" in old_import.stderr


def test_without_deprecated_drops_fields_and_the_types_only_they_used():
    sdl = """
    type Query { a: A, old: Old @deprecated(reason: "Use a.") }
    type A { x: Int, y: Int @deprecated(reason: "Use x.") }
    type Old { z: Int }
    """
    assert normalised(without_deprecated(sdl)) == normalised(
        "type Query { a: A } type A { x: Int }"
    )
