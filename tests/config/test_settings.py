"""Settings come from the environment; the production configuration is deploy-clean."""

import os
import subprocess
import sys

import pytest

from tests.helpers import POOLED, PRODUCTION, ROOT, manage

pytestmark = pytest.mark.slow  # starts processes


def test_production_configuration_passes_the_deploy_check(tmp_path):
    result = manage("check", "--deploy", "--fail-level", "WARNING", tmp_path=tmp_path, **PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_debug_configuration_is_flagged_by_the_deploy_check(tmp_path):
    result = manage(
        "check", "--deploy", "--fail-level", "WARNING", tmp_path=tmp_path, **PRODUCTION, DEBUG="1"
    )
    assert result.returncode != 0
    assert "security.W018" in result.stderr  # DEBUG on in deployment


def test_missing_secret_key_outside_debug_says_what_to_do(tmp_path):
    env = PRODUCTION | {"SECRET_KEY": ""}
    result = manage("check", tmp_path=tmp_path, **env)
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr
    assert "DEBUG=1 for local development" in result.stderr


def test_unreadable_boolean_is_refused(tmp_path):
    result = manage("check", tmp_path=tmp_path, **PRODUCTION, DEBUG="maybe")
    assert result.returncode != 0
    assert "DEBUG='maybe' is not a boolean" in result.stderr


@pytest.mark.parametrize(
    ("raw", "message"),
    [("many", "GRAPHQL_MAX_PAGE_SIZE='many' is not a whole number."),
     ("0", "GRAPHQL_MAX_PAGE_SIZE=0 is below its minimum, 1.")],
)  # fmt: skip
def test_unreadable_page_limit_is_refused(tmp_path, raw, message):
    result = manage("check", tmp_path=tmp_path, **PRODUCTION, GRAPHQL_MAX_PAGE_SIZE=raw)
    assert result.returncode != 0
    assert message in result.stderr


@pytest.mark.parametrize(
    ("name", "raw", "message"),
    [("LOG_FORMAT", "xml", "LOG_FORMAT='xml': use plain or json."),
     ("METRICS_ALLOWED_IPS", "10.0.0.1,intranet", "METRICS_ALLOWED_IPS: 'intranet' is not an address"),
     ("METRICS_MAX_OPERATIONS", "0", "METRICS_MAX_OPERATIONS=0 is below its minimum, 1."),
     ("READYZ_TIMEOUT_MS", "soon", "READYZ_TIMEOUT_MS='soon' is not a whole number.")],
)  # fmt: skip
def test_unreadable_observability_settings_are_refused(tmp_path, name, raw, message):
    result = manage("check", tmp_path=tmp_path, **PRODUCTION, **{name: raw})
    assert result.returncode != 0
    assert message in result.stderr


def printed(code: str, tmp_path, **env: str) -> subprocess.CompletedProcess:
    """What `code` prints with `settings` at hand, in a fresh process with `env`'s settings."""
    command = f"from django.conf import settings; {code}"
    return manage("shell", "--no-imports", "-c", command, tmp_path=tmp_path, **env)


def test_postgres_url_gives_persistent_checked_connections(tmp_path):
    result = printed(
        "d = settings.DATABASES['default']; "
        "print(d['ENGINE'], d['HOST'], d['NAME'], d['CONN_MAX_AGE'], d['CONN_HEALTH_CHECKS'])",
        tmp_path,
        **PRODUCTION,
    )
    assert result.stdout.split() == [
        "learningplatform.db.postgresql", "db.internal", "learningplatform", "600", "True"
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("threshold", "expected"), [(None, "True 1"), ("3", "True 3"), ("0", "None None")]
)
def test_postgres_statements_are_prepared_unless_turned_off(tmp_path, threshold, expected):
    # Empty is unset: the defaults, whatever the run's own environment (a pooled run sets both).
    env = PRODUCTION | {"DB_TRANSACTION_POOLING": "", "DB_PREPARE_THRESHOLD": threshold or ""}
    result = printed(
        "o = settings.DATABASES['default']['OPTIONS']; "
        "print(o.get('server_side_binding'), o.get('prepare_threshold'))",
        tmp_path,
        **env,
    )
    assert result.stdout.strip() == expected, result.stderr


def test_default_database_is_an_sqlite_file_in_the_data_dir(tmp_path):
    result = printed("print(settings.DATABASES['default']['NAME'])", tmp_path, DEBUG="1")
    assert result.stdout.strip() == str(tmp_path / "db.sqlite3")


def test_a_data_dir_made_by_the_settings_is_its_owners_only(tmp_path):
    data_dir = tmp_path / "fresh" / "data"
    result = manage("check", tmp_path=tmp_path, DEBUG="1", DATA_DIR=str(data_dir))
    assert result.returncode == 0, result.stderr
    assert data_dir.stat().st_mode & 0o777 == 0o700


@pytest.mark.django_db
def test_models_and_migrations_agree(tmp_path):
    result = manage("makemigrations", "--check", "--dry-run", tmp_path=tmp_path, DEBUG="1")
    assert result.returncode == 0, result.stdout + result.stderr


SLOW_QUERY = """
import time
from django.db import connection, OperationalError
started = time.monotonic()
try:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_sleep(2)")
    print("finished")
except OperationalError as error:
    print(type(error).__name__, round(time.monotonic() - started, 1), str(error).splitlines()[0])
"""


@pytest.mark.skipif(
    "postgres" not in os.environ.get("DATABASE_URL", ""), reason="statement timeouts: PostgreSQL"
)
@pytest.mark.parametrize(
    ("entry", "expected"), [("config.wsgi", "canceling statement"), ("config.settings", "finished")]
)
def test_server_processes_cancel_slow_statements_and_commands_do_not(db, tmp_path, entry, expected):
    if POOLED and entry == "config.wsgi":
        pytest.skip("through a pooler a statement outside a request has the role's timeout")
    from django.db import connection

    test_db = connection.settings_dict
    url = f"postgres://{test_db['USER']}@{test_db['HOST']}:{test_db['PORT']}/{test_db['NAME']}"
    env = PRODUCTION | {"DATABASE_URL": url}
    if entry == "config.wsgi":
        env["DB_STATEMENT_TIMEOUT_MS"] = "500"  # the server's limit, shortened for the test
    code = f"import {entry}, django; django.setup(); exec({SLOW_QUERY!r})"
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60,
        env={k: v for k, v in os.environ.items() if k != "DEBUG"} | env
        | {"DJANGO_SETTINGS_MODULE": "config.settings", "DATA_DIR": str(tmp_path)},
    )  # fmt: skip
    assert expected in result.stdout, result.stdout + result.stderr
