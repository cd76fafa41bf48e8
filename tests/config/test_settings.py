"""Settings come from the environment; the production configuration is deploy-clean."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def manage(*args: str, tmp_path: Path, **env: str) -> subprocess.CompletedProcess:
    """Run manage.py in a fresh process with exactly the given settings environment."""
    clean = {
        k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY", "DATABASE_URL"}
    }
    clean |= {"DJANGO_SETTINGS_MODULE": "config.settings", "DATA_DIR": str(tmp_path)} | env
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT, env=clean, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


PRODUCTION = {
    "SECRET_KEY": secrets.token_urlsafe(64),
    "ALLOWED_HOSTS": "api.example.com",
    "DATABASE_URL": "postgres://app:secret@db.internal:5432/learningplatform",
}


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


def test_postgres_url_gives_persistent_checked_connections(tmp_path):
    result = manage(
        "shell", "--no-imports", "-c",
        "from django.conf import settings; d = settings.DATABASES['default']; "
        "print(d['ENGINE'], d['HOST'], d['NAME'], d['CONN_MAX_AGE'], d['CONN_HEALTH_CHECKS'])",
        tmp_path=tmp_path, **PRODUCTION,
    )  # fmt: skip
    assert result.stdout.split() == [
        "django.db.backends.postgresql", "db.internal", "learningplatform", "600", "True"
    ]  # fmt: skip


def test_default_database_is_an_sqlite_file_in_the_data_dir(tmp_path):
    result = manage(
        "shell", "--no-imports", "-c",
        "from django.conf import settings; print(settings.DATABASES['default']['NAME'])",
        tmp_path=tmp_path, DEBUG="1",
    )  # fmt: skip
    assert result.stdout.strip() == str(tmp_path / "db.sqlite3")


@pytest.mark.django_db
def test_models_and_migrations_agree(tmp_path):
    result = manage("makemigrations", "--check", "--dry-run", tmp_path=tmp_path, DEBUG="1")
    assert result.returncode == 0, result.stdout + result.stderr
