"""Kill a real consolidation (SIGKILL) at several points, run it again: nothing missing, no
duplicates; on PostgreSQL, with the API serving reads throughout. Then restore the backup it
took, as README.md says, and get the old database back.

Each test runs `manage.py` in subprocesses against a database of its own: a temporary SQLite
file, or a temporary PostgreSQL database when the suite runs on PostgreSQL.
"""

import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from pathlib import Path

import psycopg
import pytest
from django.db import connection

from tests.helpers import PRODUCTION, ROOT, gunicorn, server_env

pytestmark = pytest.mark.slow  # starts servers or processes

ON_POSTGRES = connection.vendor == "postgresql"
LEGACY_SIZE = ["--courses", "30", "--tasks-per-course", "4", "--students", "8"]
KILL_POINTS = [
    "courses:0:before-commit",
    "courses:1:after-commit",
    "tasks:2:before-commit",
    "submissions:0:after-commit",
    "submissions:3:before-commit",
]


class Database:
    """A scratch database for subprocesses, with a checksum of its contents."""

    def __init__(self, tmp_path: Path, template: "Database | None" = None) -> None:
        self.tmp_path = tmp_path
        if ON_POSTGRES:
            db = connection.settings_dict
            self.name = f"lp_crash_{uuid.uuid4().hex[:10]}"
            self.admin = f"postgresql://{db['USER']}@{db['HOST']}:{db['PORT']}/postgres"
            copy = f' TEMPLATE "{template.name}"' if template else ""
            with psycopg.connect(self.admin, autocommit=True) as admin:
                admin.execute(f'CREATE DATABASE "{self.name}"{copy}')
            self.url = self.admin.rsplit("/", 1)[0] + f"/{self.name}"
        else:
            self.file = tmp_path / "rehearsal.sqlite3"
            self.url = f"sqlite:///{self.file}"
            if template:
                shutil.copyfile(template.file, self.file)

    def manage(self, *args: str, kill_at: str | None = None) -> subprocess.CompletedProcess:
        env = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "CONSOLIDATION_KILL_AT"}}
        env |= PRODUCTION | {
            "DATABASE_URL": self.url, "DATA_DIR": str(self.tmp_path), "DJANGO_SETTINGS_MODULE": "config.settings",
        }  # fmt: skip
        if kill_at:
            env["CONSOLIDATION_KILL_AT"] = kill_at
        return subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )

    def counts(self) -> dict[str, int]:
        code = (
            "from learningplatform.models import *\n"
            "print(Course.objects.count(), Task.objects.count(), Submission.objects.count(), LegacyIdMap.objects.count())"
        )
        result = self.manage("shell", "--no-imports", "-c", code)
        assert result.returncode == 0, result.stderr
        return dict(
            zip(
                ["courses", "tasks", "submissions", "map"],
                map(int, result.stdout.split()),
                strict=True,
            )
        )

    def drop(self) -> None:
        if ON_POSTGRES:
            with psycopg.connect(self.admin, autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    """A migrated rehearsal database with legacy rows, copied for each test."""
    database = Database(tmp_path_factory.mktemp("template"))
    try:
        assert database.manage("migrate").returncode == 0
        seeded = database.manage("seed_legacy", *LEGACY_SIZE)
        assert seeded.returncode == 0, seeded.stderr
        yield database
    finally:
        database.drop()


@pytest.fixture
def rehearsal_db(template, tmp_path):
    database = Database(tmp_path, template=template)
    yield database
    database.drop()


@pytest.fixture(scope="module")
def expected_counts(template, tmp_path_factory):
    """The counts an uninterrupted consolidation of the same rehearsal data ends with."""
    database = Database(tmp_path_factory.mktemp("reference"), template=template)
    try:
        assert database.manage("consolidate", "--batch-size", "10").returncode == 0
        return database.counts()
    finally:
        database.drop()


@pytest.mark.parametrize("kill_at", KILL_POINTS)
def test_killed_consolidation_finishes_on_the_next_run(rehearsal_db, expected_counts, kill_at):
    killed = rehearsal_db.manage("consolidate", "--batch-size", "10", kill_at=kill_at)
    assert killed.returncode == -signal.SIGKILL, killed.stdout + killed.stderr
    assert "Backup written to" in killed.stdout
    rerun = rehearsal_db.manage("consolidate", "--batch-size", "10")
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    assert "Verified: every legacy value is in the consolidated tables." in rerun.stdout
    assert rehearsal_db.counts() == expected_counts


def checksum_of(database: Database) -> str:
    code = (
        "from tests.helpers import database_checksum\n"
        "import json; print(json.dumps(database_checksum(), sort_keys=True))"
    )
    result = database.manage("shell", "--no-imports", "-c", code)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_restoring_the_backup_gives_back_the_database_as_it_was(rehearsal_db):
    before = checksum_of(rehearsal_db)
    result = rehearsal_db.manage(
        "consolidate", "--backup-dir", str(rehearsal_db.tmp_path / "backups")
    )
    assert result.returncode == 0, result.stderr
    assert checksum_of(rehearsal_db) != before
    (backup,) = (rehearsal_db.tmp_path / "backups").iterdir()
    if ON_POSTGRES:  # README.md, "Going back": pg_restore --clean into the same database
        restore = subprocess.run(
            ["pg_restore", "--clean", "--if-exists", "--no-owner", f"--dbname={rehearsal_db.url}", str(backup)],
            capture_output=True, text=True,
        )  # fmt: skip
        assert restore.returncode == 0, restore.stderr
    else:  # README.md, "Going back": the backup file replaces the database file
        shutil.copyfile(backup, rehearsal_db.file)
    assert checksum_of(rehearsal_db) == before


READ = """{ courses(first: 100) { totalCount edges { node { title tasks(first: 1) { totalCount } } } }
  tasks(first: 100) { totalCount edges { node { title course { title } } } } }"""


class Reader(threading.Thread):
    """A client reading courses and tasks from the server in a loop, noting every answer."""

    def __init__(self, url: str) -> None:
        super().__init__(daemon=True)
        self.url, self.stop, self.answers = url, threading.Event(), []

    def run(self) -> None:
        body = json.dumps({"query": READ}).encode()
        while not self.stop.is_set():
            started = time.monotonic()
            request = urllib.request.Request(  # noqa: S310 - a loopback test server
                self.url, data=body, headers={"Content-Type": "application/json"}
            )
            try:
                with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
                    status, answer = response.status, json.loads(response.read())
            except Exception as error:  # noqa: BLE001 - every failure is an answer to report
                status, answer = None, {"errors": [repr(error)]}
            self.answers.append((started, time.monotonic(), status, answer))


@pytest.mark.skipif(not ON_POSTGRES, reason="concurrent readers: PostgreSQL")
def test_the_api_answers_throughout_a_killed_and_rerun_consolidation(rehearsal_db, expected_counts):
    with gunicorn(server_env(rehearsal_db.url, rehearsal_db.tmp_path), workers=2) as url:
        reader = Reader(url)
        reader.start()
        time.sleep(0.5)
        windows = []
        for kill_at in ("tasks:2:before-commit", None):
            started = time.monotonic()
            run = rehearsal_db.manage("consolidate", "--batch-size", "10", kill_at=kill_at)
            windows.append((started, time.monotonic()))
            assert run.returncode == (-signal.SIGKILL if kill_at else 0), run.stdout + run.stderr
        time.sleep(0.5)
        reader.stop.set()
        reader.join(timeout=60)

    failed = [
        (status, answer)
        for _, _, status, answer in reader.answers
        if status != 200 or "errors" in answer
    ]
    assert failed == []
    for start, end in windows:  # reads really overlapped each run, the killed one and the rerun
        # (overlapped, not contained: on a loaded machine one read can outlast a short run)
        assert sum(began < end and ended > start for began, ended, _, _ in reader.answers) >= 2
    # Each answer is one committed state: totals only grow, from the old rows to all of them.
    totals = [
        (a["data"]["courses"]["totalCount"], a["data"]["tasks"]["totalCount"])
        for *_, a in reader.answers
    ]
    assert totals == sorted(totals) and totals[0] < totals[-1]
    assert rehearsal_db.counts() == expected_counts


def test_an_old_database_upgrades_with_plain_migrate_as_an_operator_runs_it(tmp_path):
    """seed_legacy on a new database builds an old one (every value the old schema admitted);
    `migrate` upgrades it, `verify_consolidation` passes, the report lists the mapped values."""
    database = Database(tmp_path)
    try:
        seeded = database.manage("seed_legacy", *LEGACY_SIZE)
        assert seeded.returncode == 0, seeded.stderr
        assert "Old database ready: run `manage.py migrate`" in seeded.stdout
        migrated = database.manage("migrate")
        assert migrated.returncode == 0, migrated.stdout + migrated.stderr
        assert "old values mapped and recorded" in migrated.stdout
        assert "values mapped by a rule: 21" in migrated.stdout
        verified = database.manage("verify_consolidation")
        assert verified.returncode == 0, verified.stdout + verified.stderr
        report = database.manage("consolidation_report", "--kind", "mapped")
        assert "mapped / time_limit_not_positive: 2" in report.stdout
        assert "learningplatform_task id=" in report.stdout  # the rows 0002 upgraded in place

        backups = tmp_path / "backups"
        made = sorted(backups.iterdir())
        assert len(made) == 2  # before mapping old values in place, before the consolidation
        assert {stat.S_IMODE(p.stat().st_mode) for p in made} == {0o600}
        assert stat.S_IMODE(backups.stat().st_mode) == 0o700
        again = database.manage("consolidate")
        assert again.returncode == 0 and "no backup needed" in again.stdout
        assert sorted(backups.iterdir()) == made
    finally:
        database.drop()
