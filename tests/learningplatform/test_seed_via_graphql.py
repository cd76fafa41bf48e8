"""seed --via-graphql writes the same data set through the public mutations."""

import os
import socket
import subprocess
import sys
import time

import pytest

from learningplatform.models import Course, Submission, Task
from tests.learningplatform.test_seed import SMALL, seed, snapshot

pytestmark = pytest.mark.django_db(transaction=True)

SERVER_STAMPED = {"courses": [7, 8], "tasks": [10, 11], "submissions": [5]}  # times the server sets


def without_server_stamps(data: dict) -> dict:
    return {
        table: sorted(
            tuple(v for i, v in enumerate(row) if i not in SERVER_STAMPED.get(table, []))
            for row in rows
        )
        for table, rows in data.items()
    }


def test_same_data_as_the_factory_seed_and_safe_to_rerun():
    seed(*SMALL, "--seed", "11")
    by_factory = without_server_stamps(snapshot())
    seed(*SMALL, "--seed", "11", "--reset", "--via-graphql")
    assert without_server_stamps(snapshot()) == by_factory
    counts = (Course.objects.count(), Task.objects.count(), Submission.objects.count())
    output = seed(*SMALL, "--seed", "11", "--via-graphql")
    assert "0 courses, 0 tasks, 0 submissions" in output
    assert (Course.objects.count(), Task.objects.count(), Submission.objects.count()) == counts


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_against_a_running_server(tmp_path):
    from tests.config.test_settings import PRODUCTION, ROOT

    env = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "DATABASE_URL"}}
    env |= PRODUCTION | {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}", "DATA_DIR": str(tmp_path),
        "ALLOWED_HOSTS": "127.0.0.1", "SECURE_SSL_REDIRECT": "0", "SESSION_COOKIE_SECURE": "0",
        "CSRF_COOKIE_SECURE": "0", "DJANGO_SETTINGS_MODULE": "config.settings",
    }  # fmt: skip
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate"], cwd=ROOT, env=env, check=True, capture_output=True)
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "config/gunicorn.py", "--bind", f"127.0.0.1:{port}", "--workers", "1"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        for _ in range(100):
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.1)
        result = subprocess.run(
            [*manage, "seed", *SMALL, "--no-progress", "--url", f"http://127.0.0.1:{port}/graphql/"],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
        assert "Seeded: 12 users, 5 courses, 20 tasks" in result.stdout
    finally:
        server.terminate()
        server.wait(timeout=10)
