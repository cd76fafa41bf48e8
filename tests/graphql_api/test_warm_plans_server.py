"""Kept plans made before serving, as the production server keeps them (config/gunicorn.py,
graphql_api/warm_plans.py): gunicorn's one worker, replaced after `max_requests`, serves its
first request of a shipped query from a kept plan, for an anonymous and a signed-in viewer, as
an operator sees it in the metrics (graphql_plan_cache_total). Starts a server: slow."""

import json
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection

from graphql_api.client import GraphQLClient
from graphql_api.trusted_documents import document_id
from tests.helpers import ROOT, document, gunicorn_process, request, sample, series, server_env

pytestmark = [
    pytest.mark.slow,  # starts a server
    pytest.mark.django_db(transaction=True),  # on PostgreSQL, the server's database
]

TOKEN = "a-scrape-token-for-the-recycle-test"  # noqa: S105 - a test's
PASSWORD = "a long enough password"  # noqa: S105 - a test account's
MAX_REQUESTS = 50  # the first worker's requests: a login, two queries, scrapes, then probes
CATALOGUE = {"documentId": document_id(document("course_catalogue")), "variables": {}}
BOOTED = re.compile(r"Booting worker with pid: (\d+)")


@pytest.fixture
def database(tmp_path) -> str:
    """The server's database, migrated, with a signed-in viewer's account: the suite's own on
    PostgreSQL, a file of this test's on SQLite (whose test database is in memory)."""
    if connection.vendor == "postgresql":
        db = connection.settings_dict
        url = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    else:
        url = f"sqlite:///{tmp_path / 'db.sqlite3'}"
        manage(url, tmp_path, "migrate")
    # Made by the server's settings, so hashed as a server hashes a password it checks.
    account = f"from learningplatform.models import User; User.objects.create_user('learner', password='{PASSWORD}')"  # fmt: skip
    manage(url, tmp_path, "shell", "--no-imports", "-c", account)
    return url


def manage(url: str, tmp_path: Path, *args: str) -> None:
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=server_env(url, tmp_path),
                   check=True, capture_output=True, timeout=120)  # fmt: skip


def test_a_worker_replaced_after_max_requests_runs_kept_plans_from_its_first_request(
    database, tmp_path
):
    env = server_env(database, tmp_path, METRICS_TOKEN=TOKEN)
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    env.pop("WARM_PLANS", None)  # as shipped
    log = tmp_path / "server.log"
    options = ("--max-requests", str(MAX_REQUESTS), "--max-requests-jitter", "0")
    with (
        log.open("w") as output,
        gunicorn_process(env, workers=1, output=output, options=options) as (graphql, _server),
    ):
        metrics = graphql.removesuffix("/graphql/") + "/metrics"
        sent = 0

        def scrape() -> dict:
            nonlocal sent
            status, _headers, body = request(metrics, Authorization=f"Bearer {TOKEN}")
            sent += 1
            assert status == 200
            return series(body.decode())

        def lookups_reach(count: int) -> dict:
            """The scrape once the worker has written `count` plan lookups in all (it writes
            what it recorded within a second)."""
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline:
                scraped = scrape()
                if sum(plan_lookups(scraped).values()) >= count:
                    return scraped
                time.sleep(0.25)
            raise TimeoutError(f"the metrics never showed {count} plan lookups")

        learner = GraphQLClient(graphql)
        signed_in = learner.execute(
            document("login"), {"username": "learner", "password": PASSWORD}
        )
        assert signed_in["login"]["user"]["username"] == "learner", signed_in
        learner.close()
        cookies = {
            "Cookie": "; ".join(f"{name}={value}" for name, value in learner.cookies.items()),
            "X-CSRFToken": learner.csrf_token(),
        }
        viewers = {"anonymous": {}, "signed-in": cookies}

        def catalogue(viewer: str) -> None:
            nonlocal sent
            status, _headers, body = request(graphql, CATALOGUE, **viewers[viewer])
            sent += 1
            assert status == 200 and b'"errors"' not in body, body

        # The first worker: a login, each viewer's catalogue, scrapes, then probes up to
        # max_requests; after its last request it exits and the master forks its replacement.
        sent += 1  # the login
        for viewer in viewers:
            catalogue(viewer)
        before = lookups_reach(len(viewers))
        assert sent < MAX_REQUESTS, "the first worker was replaced before its plans were counted"
        while sent < MAX_REQUESTS:
            assert request(graphql.removesuffix("/graphql/") + "/healthz")[0] == 200
            sent += 1
        first, replacement = worker_pids(log, 2)
        assert replacement != first

        # The replacement: its first request is the anonymous viewer's catalogue, its first of
        # the signed-in viewer follows; each is one lookup of a kept plan, a hit or a miss.
        outcomes, counts = {}, plan_lookups(before)
        for viewer in viewers:
            catalogue(viewer)
            now = plan_lookups(lookups_reach(sum(counts.values()) + 1))
            outcomes[viewer] = {result: now[result] - counts[result] for result in now}
            counts = now
        # The cookies were a signed-in viewer's (anonymous, the second lookup would have been
        # of the first's plan), and it was the replacement that answered.
        me = request(graphql, {"query": "{ me { username } }"}, **viewers["signed-in"])[2]
        assert json.loads(me) == {"data": {"me": {"username": "learner"}}}
        assert worker_pids(log, 2) == [first, replacement]
    assert outcomes == {
        "anonymous": {"hit": 1, "miss": 0}, "signed-in": {"hit": 1, "miss": 0}
    }  # fmt: skip
    assert plan_lookups(before) == {"hit": 2, "miss": 0}  # the first worker's first requests too
    assert "Kept plans made before serving" in log.read_text()


def worker_pids(log: Path, count: int) -> list[int]:
    """The pids of the workers booted so far, once there are `count` of them."""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        pids = [int(pid) for pid in BOOTED.findall(log.read_text())]
        if len(pids) >= count:
            return pids
        time.sleep(0.1)
    raise TimeoutError(f"fewer than {count} workers booted: {log.read_text()}")


def plan_lookups(scraped: dict) -> dict[str, float]:
    """The kept plans looked up so far, by result (hit or miss), every worker's added up."""
    return {r: sample(scraped, "graphql_plan_cache_total", result=r) for r in ("hit", "miss")}
