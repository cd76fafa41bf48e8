"""The graphql-http audit suite (the GraphQL-over-HTTP spec's reference audits, npm graphql-http's
serverAudits) against the real server, with development and with production settings.

tests/js/audit/ holds the Node script and its lock file; `bash .ci/test` installs it (npm ci).
"""

import json
import shutil
import subprocess
import sys

import pytest

from tests.helpers import ROOT, gunicorn, server_env

pytestmark = pytest.mark.slow  # starts a server and Node

AUDIT = ROOT / "tests" / "js" / "audit"
# The audits whose documents query `__type`: with introspection off (production's default) the
# server refuses them as it should, so they cannot pass there.
INTROSPECTING = {"2EA1", "28B9", "D6D5", "6A70"}


@pytest.fixture(scope="module")
def database(tmp_path_factory) -> str:
    data_dir = tmp_path_factory.mktemp("audit")
    url = f"sqlite:///{data_dir / 'db.sqlite3'}"
    subprocess.run(
        [sys.executable, "manage.py", "migrate"],
        cwd=ROOT, env=server_env(url, data_dir), check=True, capture_output=True,
    )  # fmt: skip
    return url


def audit(url: str) -> dict[str, dict]:
    """Every audit's result, by id."""
    node = shutil.which("node")
    assert node, "needs Node 20 or later"
    assert (AUDIT / "node_modules" / "graphql-http").is_dir(), (
        "run `npm ci` in tests/js/audit (bash .ci/test does)"
    )
    result = subprocess.run(
        [node, "audit.mjs", url], cwd=AUDIT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    results = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(results) > 50  # the suite ran whole
    return {r["id"]: r for r in results}


def failures(results: dict[str, dict]) -> list[str]:
    return [f"{r['id']} {r['status']}: {r['name']}: {r['reason']}" for r in results.values()
            if r["status"] != "ok"]  # fmt: skip


@pytest.mark.parametrize(
    "settings",
    [{"DEBUG": "1"}, {"GRAPHQL_INTROSPECTION": "1"}],
    ids=["development", "production-with-introspection"],
)
def test_every_audit_passes_warnings_included(database, tmp_path, settings):
    with gunicorn(server_env(database, tmp_path, **settings)) as url:
        results = audit(url)
    assert failures(results) == []


def test_production_passes_every_audit_but_those_that_need_introspection(database, tmp_path):
    with gunicorn(server_env(database, tmp_path)) as url:
        results = audit(url)
    failed = {id for id, r in results.items() if r["status"] != "ok"}
    assert failed == INTROSPECTING, failures(results)
