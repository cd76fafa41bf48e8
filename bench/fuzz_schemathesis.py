"""schemathesis's GraphQL mode against the production server: a second opinion on the fuzzing.

The test suite fuzzes the API with hypothesis-graphql in process (tests/graphql_api/test_fuzz.py).
This run uses another tool, over real HTTP: it starts gunicorn (config/gunicorn.py, production
settings, introspection off) on loopback over a scratch database with the demo data, then runs
`st run schema.graphql` once per role (anonymous, student, instructor, staff; logged-in roles
send their session cookie and CSRF token), for a bounded time each. The check is
`no_unexpected_error` from bench/schemathesis_hooks.py: no 5xx, always JSON, nothing masked as
"Unexpected error.". Exit status 1 if anything failed.

schemathesis goes into a virtualenv of its own (.venv-schemathesis), so that its pins never
change the versions the test suite runs with.

    .venv/bin/python bench/fuzz_schemathesis.py                 # 4 roles x 150 s
    .venv/bin/python bench/fuzz_schemathesis.py --seconds 20    # a quick look
"""

import argparse
import http.client
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench.common import free_port, wait_for_port  # noqa: E402

VENV = ROOT / ".venv-schemathesis"
SCHEMATHESIS = "schemathesis>=4.32,<5"
ROLES = {  # the demo accounts `manage.py seed` creates
    "anonymous": None,
    "student": "seed-student-00000",
    "instructor": "seed-instructor-0000",
    "staff": "seed-admin",
}
LOGIN = "mutation($u: String!, $p: String!) { login(username: $u, password: $p) { user { id } } }"


def install_schemathesis() -> Path:
    st = VENV / "bin" / "st"
    if not st.exists():
        print(f"Installing {SCHEMATHESIS} into {VENV.name}/ ...", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
        subprocess.run([str(VENV / "bin" / "pip"), "install", "--quiet", SCHEMATHESIS], check=True)
    return st


def session_headers(port: int, username: str) -> list[str]:
    """Log in as `username`; the headers a browser would send on its next POSTs."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    body = json.dumps({"query": LOGIN, "variables": {"u": username, "p": "learn-and-teach"}})
    connection.request("POST", "/graphql/", body, {"Content-Type": "application/json"})
    response = connection.getresponse()
    answer = json.loads(response.read())
    assert answer["data"]["login"]["user"], f"cannot log in as {username}: {answer}"
    cookies = dict(
        value.split(";")[0].split("=", 1)
        for header, value in response.getheaders()
        if header.lower() == "set-cookie"
    )
    cookie = "; ".join(f"{name}={value}" for name, value in cookies.items())
    return ["-H", f"Cookie: {cookie}", "-H", f"X-CSRFToken: {cookies['csrftoken']}"]


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=int, default=150, help="per role (default 150)")
    parser.add_argument("--roles", nargs="+", choices=list(ROLES), default=list(ROLES))
    parser.add_argument("--seed", type=int, default=20261125)
    parser.add_argument(
        "--database-url", help="a scratch database to fill (default: a temporary SQLite file)"
    )
    options = parser.parse_args()
    st = install_schemathesis()
    workdir = Path(tempfile.mkdtemp(prefix="schemathesis-"))
    env = {k: v for k, v in os.environ.items() if k != "DEBUG"} | {
        "DATABASE_URL": options.database_url or f"sqlite:///{workdir / 'db.sqlite3'}",
        "DATA_DIR": str(workdir), "SECRET_KEY": "schemathesis-" + "x" * 50,
        "ALLOWED_HOSTS": "127.0.0.1", "SECURE_SSL_REDIRECT": "0", "SESSION_COOKIE_SECURE": "0",
        "CSRF_COOKIE_SECURE": "0", "DJANGO_SETTINGS_MODULE": "config.settings",
    }  # fmt: skip
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate"], cwd=ROOT, env=env, check=True, capture_output=True)
    subprocess.run(
        [*manage, "seed", "--no-progress", "--courses", "10", "--students", "10"],
        cwd=ROOT, env=env | {"DEBUG": "1"},  # demo data with its published password check=True, capture_output=True,
    )  # fmt: skip
    port = free_port()
    server_log = workdir / "server.log"
    with open(server_log, "w") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "config/gunicorn.py",
             "--bind", f"127.0.0.1:{port}", "--workers", "2", "--access-logfile", "/dev/null"],
            cwd=ROOT, env=env, stdout=log, stderr=log,
        )  # fmt: skip
    results = {}
    try:
        wait_for_port(port, server)
        for role in options.roles:
            headers = session_headers(port, ROLES[role]) if ROLES[role] else []
            run = subprocess.run(
                [str(st), "run", "schema.graphql", "--url", f"http://127.0.0.1:{port}/graphql/",
                 "--checks", "no_unexpected_error", "--max-time", str(options.seconds),
                 "--seed", str(options.seed), "--workers", "1", "--no-color",
                 "-H", f"X-Client-Name: schemathesis-{role}", *headers],
                cwd=ROOT, env=env | {"SCHEMATHESIS_HOOKS": "bench.schemathesis_hooks"},
                capture_output=True, text=True,
            )  # fmt: skip
            cases = re.search(r"(\d+) generated", run.stdout)
            results[role] = {
                "exit": run.returncode,
                "cases": int(cases.group(1)) if cases else 0,
                "summary": run.stdout.strip().splitlines()[-1] if run.stdout.strip() else "",
            }
            print(f"{role:>10}: {results[role]['cases']:>6} cases, {results[role]['summary']}")
            if run.returncode:
                print(run.stdout[-6000:], run.stderr[-2000:], sep="\n")
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=20)
    (ROOT / "bench/results").mkdir(exist_ok=True)
    (ROOT / "bench/results/schemathesis.json").write_text(json.dumps(results, indent=2))
    print(f"Server log: {server_log}")
    return 1 if any(r["exit"] for r in results.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
