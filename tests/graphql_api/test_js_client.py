"""A real frontend build against the production server in trusted-only mode (tests/js/client/).

GraphQL Codegen's client preset writes the build's persisted-documents manifest from the
frontend's documents, Apollo's generator turns it into Apollo's manifest, `manage.py
trusted_documents import` registers both, and Apollo Client 4 runs every frontend flow against
gunicorn with GRAPHQL_TRUSTED_DOCUMENTS_ONLY=1. `npm ci` in tests/js/client/ (`.ci/test` runs
it) installs the client.
"""

import json
import os
import re
import shutil
import subprocess
import sys

import pytest

from tests.helpers import ROOT, gunicorn, server_env

CLIENT = ROOT / "tests" / "js" / "client"
FRONTEND_FLOWS = {
    "catalogue",
    "course detail",
    "login",
    "task editor: create",
    "task editor: update",
    "logout",
    "a document not in the manifest",
    "codegen's ids",
    "sent by hash",
}
BEARER_FLOWS = {
    "bearer-token client: create",
    "bearer-token client: query",
    "bearer-token client: mutation",
    "bearer-token client: revoke",
    "bearer-token client: refused once revoked",
}

# An instructor with a published public course: what the catalogue and the editor need.
SETUP = """
from django.contrib.auth.models import Group
from learningplatform.models import Course, Task, User
from learningplatform.services import INSTRUCTORS_GROUP
user = User.objects.create_user("{username}", password="{password}")
user.groups.add(Group.objects.get_or_create(name=INSTRUCTORS_GROUP)[0])
course = Course.objects.create(
    title="Apollo's course", description="d", instructor=user, status="PUBLISHED",
    visibility="PUBLIC",
)
Task.objects.create(
    course=course, title="Read", description="d", task_type="LEARNING", status="PUBLISHED"
)
"""


def run(args: list[str], env: dict[str, str], cwd=ROOT) -> subprocess.CompletedProcess:
    done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"{args}: {done.stdout}\n{done.stderr}"
    return done


@pytest.fixture(scope="module")
def client_build(tmp_path_factory):
    """A migrated database with an instructor, and the client's build registered in it."""
    if shutil.which("node") is None:
        pytest.skip("Node is not installed: the JS client cannot run")
    if not (CLIENT / "node_modules").is_dir():
        pytest.skip("tests/js/client has no node_modules: run `npm ci` there (.ci/test does)")
    tmp_path = tmp_path_factory.mktemp("js-client")
    env = server_env(
        f"sqlite:///{tmp_path / 'db.sqlite3'}", tmp_path, GRAPHQL_TRUSTED_DOCUMENTS_ONLY="1"
    )
    account = {"INSTRUCTOR": "ada", "PASSWORD": "correct horse battery staple"}
    manage = [sys.executable, "manage.py"]
    run([*manage, "migrate"], env)
    setup = SETUP.format(username=account["INSTRUCTOR"], password=account["PASSWORD"])
    run([*manage, "shell", "-c", setup], env)
    build = tmp_path / "build"
    node_env = os.environ | {"CLIENT_BUILD_DIR": str(build)}
    run(["npm", "run", "-s", "codegen"], node_env, cwd=CLIENT)
    run(["npm", "run", "-s", "apollo-manifest"], node_env, cwd=CLIENT)
    for manifest in ["gql/persisted-documents.json", "persisted-query-manifest.json"]:
        imported = run(
            [*manage, "trusted_documents", "import", str(build / manifest), "--client", "web"],
            env,
        )
        assert " registered, " in imported.stdout
    return env, node_env | account


def flows(client_build, step: str) -> dict[str, dict]:
    env, node_env = client_build
    with gunicorn(env) as url:
        done = subprocess.run(
            ["node", "flows.mjs", step], cwd=CLIENT, env=node_env | {"GRAPHQL_URL": url},
            capture_output=True, text=True, timeout=120,
        )  # fmt: skip
    results = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    assert results, done.stderr
    return {result["flow"]: result for result in results}


@pytest.mark.slow  # npm tools, a server and Node processes
def test_apollo_client_runs_every_frontend_flow_in_trusted_only_mode(client_build):
    results = flows(client_build, "frontend")
    assert set(results) == FRONTEND_FLOWS
    failed = {name: result for name, result in results.items() if not result["ok"]}
    assert not failed
    assert results["catalogue"]["titles"] == ["Apollo's course"]
    assert results["course detail"]["tasks"] == 1
    # Apollo's retry with the text, after PERSISTED_QUERY_NOT_FOUND, met the trusted-only 403.
    assert "403" in results["a document not in the manifest"]["error"]


@pytest.mark.slow
def test_a_bearer_token_client(client_build):
    results = flows(client_build, "bearer")
    assert set(results) == BEARER_FLOWS
    failed = {name: result for name, result in results.items() if not result["ok"]}
    assert not failed
    # Once revoked, the token's query and mutation were refused and nothing was written.
    refused = results["bearer-token client: refused once revoked"]
    before, after = refused["tasks"]
    assert refused["statuses"] == [401, 401] and before == after > 0


# What docs/api.md's Apollo set-up says of Apollo's and Codegen's APIs (paths aside).
API_USES = [
    r'import \{[^}]*\} from "@(?:apollo|graphql-codegen)/[^"]*";',
    r'preset: "client",',
    r"presetConfig: \{[^}]*\},",
    r"documentTransforms: \[[^\]]*\],",
    r"new PersistedQueryLink\(\{[^}]*\}\)",
    r"fromGraphQLCodegenPersistedDocuments\(",
]


def test_the_docs_apollo_set_up_is_the_clients():
    docs = (ROOT / "docs" / "api.md").read_text().split("## Use it from a frontend")[1]
    shown = "\n".join(re.findall(r"```js\n(.*?)```", docs.split("**urql**")[0], re.S))
    client = "\n".join(path.read_text() for path in CLIENT.glob("*.*js"))
    for use in API_USES:
        in_docs = set(re.findall(use, shown))
        assert in_docs, use
        assert in_docs <= set(re.findall(use, client)), use
