"""seed_via_graphql writes the same data set through the public mutations."""

import subprocess
import sys

import pytest

from learningplatform.models import Course, Submission, Task
from tests.helpers import ROOT, SMALL, gunicorn, seed, server_env, snapshot

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


@pytest.mark.usefixtures("development")
def test_same_data_as_the_factory_seed_and_safe_to_rerun():
    seed(*SMALL, "--seed", "11")
    by_factory = without_server_stamps(snapshot())
    seed(*SMALL, "--seed", "11", "--reset", command="seed_via_graphql")
    assert without_server_stamps(snapshot()) == by_factory
    counts = (Course.objects.count(), Task.objects.count(), Submission.objects.count())
    output = seed(*SMALL, "--seed", "11", command="seed_via_graphql")
    assert "0 courses, 0 tasks, 0 submissions" in output
    assert (Course.objects.count(), Task.objects.count(), Submission.objects.count()) == counts


@pytest.mark.slow  # a process of its own
def test_against_a_running_server(tmp_path):
    env = server_env(f"sqlite:///{tmp_path / 'db.sqlite3'}", tmp_path)
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate"], cwd=ROOT, env=env, check=True, capture_output=True)
    with gunicorn(env) as url:
        result = subprocess.run(
            [*manage, "seed_via_graphql", *SMALL, "--no-progress", "--url", url],
            cwd=ROOT, env=env | {"DEBUG": "1"}, capture_output=True, text=True, timeout=300,
        )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "Seeded: 12 users, 5 courses, 20 tasks" in result.stdout
