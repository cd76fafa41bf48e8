"""The production server as an operator watches it: gunicorn with two workers scraped after a
mix of requests, health and readiness with the database refused or silent, the access log, and
JSON log lines. Each test starts servers: slow."""

import json
import os
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from bench.common import free_port
from tests.helpers import ROOT, gunicorn_process, request, sample, series, server_env

pytestmark = pytest.mark.slow  # starts servers

TOKEN = "a-scrape-token-for-the-server-test"  # noqa: S105 - a test's
CATALOGUE = "query Catalogue { courses(first: 5) { edges { node { title } } } }"
NODES = 'query Nodes { node(id: "Q291cnNlOjE=") { id } }'
COSTLY = "query Costly { courses(first: 100) { edges { node { tasks(first: 100) { edges { node { id } } } } } } }"
LOGIN = 'mutation Login { login(username: "nobody", password: "wrong") { errors { code } } }'
CREATE = 'mutation Create { createCourse(input: {title: "x"}) { errors { code } } }'
LEGACY = "query Old { learningTasks { id } }"


def children(pid: int, count: int) -> set[int]:
    """The process's `count` children, once it has forked them all."""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        found = {int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()}
        if len(found) == count:
            return found
        time.sleep(0.05)
    raise TimeoutError(f"{pid} has not forked {count} workers")


@pytest.fixture(scope="module")
def migrated(tmp_path_factory) -> tuple[str, Path]:
    tmp_path = tmp_path_factory.mktemp("observed")
    url = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    subprocess.run([sys.executable, "manage.py", "migrate"], cwd=ROOT, env=server_env(url, tmp_path),
                   check=True, capture_output=True)  # fmt: skip
    return url, tmp_path


def test_two_workers_scraped_after_a_mix_of_requests_count_every_request(migrated):
    url, tmp_path = migrated
    env = server_env(url, tmp_path, METRICS_TOKEN=TOKEN, LEGACY_SHIM="1")
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    reads = [CATALOGUE] * 12 + [NODES] * 4 + [COSTLY] * 2 + [LEGACY]
    writes = [LOGIN] * 3 + [CREATE] * 2  # one at a time: SQLite takes one writer
    before = set(Path("/tmp").glob("learningplatform-metrics-*"))  # noqa: S108 - where mkdtemp puts it
    with gunicorn_process(env, workers=2) as (graphql, server):
        base = graphql.removesuffix("/graphql/")
        workers = children(server.pid, 2)
        with ThreadPoolExecutor(4) as pool:  # concurrent: both workers serve some
            statuses = list(pool.map(lambda q: request(graphql, {"query": q})[0], reads))
        statuses += [request(graphql, {"query": query})[0] for query in writes]
        assert set(statuses) == {200}
        for path in ("/healthz", "/readyz"):
            assert request(base + path)[0] == 200
        assert request(base + "/metrics")[0] == 404
        assert request(base + "/metrics", Authorization="Bearer wrong")[0] == 404
        time.sleep(1.5)  # each worker writes what it recorded within a second (metrics.Pending)
        scrapes = [request(base + "/metrics", Authorization=f"Bearer {TOKEN}") for _ in range(6)]
        (folder,) = set(Path("/tmp").glob("learningplatform-metrics-*")) - before  # noqa: S108
        assert folder.stat().st_mode & 0o777 == 0o700
        writers = {int(f.stem.rsplit("_", 1)[1]) for f in folder.glob("*.db")}
    assert not folder.exists()  # removed when the server stopped
    assert writers >= workers  # both workers wrote values; every scrape adds them all up

    for status, _headers, body in scrapes:
        assert status == 200
        scraped = series(body.decode())
        graphql_ok = {"endpoint": "graphql", "document": "", "status": "2xx"}
        duration = "http_request_duration_seconds_count"
        assert sample(scraped, duration, operation="Catalogue", **graphql_ok) == 12
        assert sample(scraped, duration, operation="Nodes", **graphql_ok) == 4
        assert sample(scraped, duration, operation="Login", **graphql_ok) == 3
        assert sample(scraped, "http_request_sql_statements_count", endpoint="graphql") == len(
            reads + writes
        )
        assert sample(scraped, "graphql_answers_total", path="read_path", reason="") == 12
        # the node, and the legacy list (the read path plans only the new names)
        assert (
            sample(scraped, "graphql_answers_total", path="executor", reason="selection") == 4 + 1
        )
        assert sample(scraped, "graphql_answers_total", path="executor", reason="mutation") == 3 + 2
        hits = sample(scraped, "graphql_plan_cache_total", result="hit")
        misses = sample(scraped, "graphql_plan_cache_total", result="miss")
        # Each worker plans each of the 3 documents at most twice: for its first viewer (which
        # tells whether planning reads data), then by shape; every other lookup is a hit.
        assert hits + misses == 12 + 4 + 1 and misses <= 2 * 3 * 2
        assert hits >= 12 + 4 + 1 - 2 * 3 * 2
        assert sample(scraped, "api_errors_total", code="TOO_COSTLY") == 2
        assert sample(scraped, "api_errors_total", code="INVALID_CREDENTIALS") == 3
        assert sample(scraped, "api_errors_total", code="NOT_AUTHENTICATED") == 2
        assert sample(scraped, "login_failures_total") == 3
        assert sample(scraped, "legacy_name_uses_total", name="Query.learningTasks") == 1
        assert sample(scraped, "database_connection_errors_total") == 0
        # Probes and scrapes are not requests the series count.
        assert not [key for key in scraped if ("endpoint", "other") in key[1]]


def closed_port_database() -> str:
    return f"postgres://nobody@127.0.0.1:{free_port()}/nothing"


def test_with_the_database_refusing_connections_healthz_is_ok_and_readyz_says_so(tmp_path):
    env = server_env(closed_port_database(), tmp_path, METRICS_TOKEN=TOKEN)
    log = tmp_path / "server.log"
    with log.open("w") as output, gunicorn_process(env, output=output) as (graphql, _server):
        base = graphql.removesuffix("/graphql/")
        started = time.monotonic()
        status, _, body = request(base + "/healthz")
        assert (status, json.loads(body)) == (200, {"status": "ok"})
        status, headers, body = request(base + "/readyz")
        assert time.monotonic() - started < 5
        assert status == 503
        assert json.loads(body) == {
            "status": "unavailable", "checks": {"database": "unreachable", "migrations": "unknown"}
        }  # fmt: skip
        assert headers["Content-Type"] == "application/json"
        status, headers, body = request(graphql, {"query": CATALOGUE}, **{"X-Request-ID": "down-1"})
        assert status >= 200 and b"Traceback" not in body and b"OperationalError" not in body
        assert headers["X-Request-ID"] == "down-1"
        scraped = series(request(base + "/metrics", Authorization=f"Bearer {TOKEN}")[2].decode())
        assert request(base + "/metrics")[0] == 404  # refused: this one is logged
    assert sample(scraped, "database_connection_errors_total") >= 1
    lines = log.read_text().splitlines()
    access = [line for line in lines if '"POST /graphql/' in line or '"GET /' in line]
    assert any(line.endswith(" down-1") for line in access), access  # the request's id ends it
    assert not [line for line in access if "/healthz" in line or "/readyz" in line]
    (scrape,) = [line for line in access if "/metrics" in line]
    assert '"GET /metrics HTTP/1.1" 404' in scrape


def test_readyz_gives_up_on_a_database_that_never_answers(tmp_path):
    silent = socket.socket()  # accepts connections, never says a word
    silent.bind(("127.0.0.1", 0))
    silent.listen(16)
    port = silent.getsockname()[1]
    env = server_env(
        f"postgres://nobody@127.0.0.1:{port}/nothing", tmp_path, READYZ_TIMEOUT_MS="500"
    )
    try:
        with gunicorn_process(env) as (graphql, _server):
            base = graphql.removesuffix("/graphql/")
            for _ in range(3):  # and again: the stuck check is waited on, not piled up
                started = time.monotonic()
                status, _, body = request(base + "/readyz")
                assert status == 503
                assert json.loads(body)["checks"]["database"] == "no answer within 500 ms"
                assert time.monotonic() - started < 3
            assert request(base + "/healthz")[0] == 200
    finally:
        silent.close()


def test_json_logs_are_one_object_per_line_with_the_request_id(tmp_path, migrated):
    url, data = migrated
    env = server_env(url, data, LOG_FORMAT="json")
    log = tmp_path / "server.log"
    with log.open("w") as output, gunicorn_process(env, output=output) as (graphql, _server):
        request(graphql, {"query": "query Broken { noSuchField }"}, **{"X-Request-ID": "json-7"})
        request(graphql, {"query": "{ me { id } }"}, **{"X-Request-ID": "bad id\u0001"})
        request(graphql.removesuffix("/graphql/") + "/healthz")
        time.sleep(0.5)
    lines = [json.loads(line) for line in log.read_text().splitlines() if line.strip()]
    assert all({"time", "level", "logger", "message"} <= set(line) for line in lines)
    mine = [line for line in lines if line.get("request_id") == "json-7"]
    assert {line["logger"] for line in mine} >= {"graphql_api.errors", "graphql_api.requests"}
    (summary,) = [line for line in mine if line["logger"] == "graphql_api.requests"]
    assert (
        summary["status"] == 200 and summary["operation"] == "Broken" and summary["duration_ms"] > 0
    )
    assert not [line for line in lines if "bad id" in json.dumps(line)]
    assert not [line for line in lines if "/healthz" in json.dumps(line)]
    assert os.path.getsize(log) > 0
