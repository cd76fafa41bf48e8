"""Test helpers, in one place: processes and servers, GraphQL over HTTP, database checksums,
seeding, legacy imports, fuzzing strategies, and the GraphQL documents several tests send."""

import contextlib
import hashlib
import importlib
import json
import os
import secrets
import shutil
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client, override_settings
from graphql import StringValueNode
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from prometheus_client.parser import text_string_to_metric_families
from strawberry.relay import to_base64

from bench.common import free_port, wait_for_port
from graphql_api.sdl import SCHEMA_FILE
from graphql_api.trusted_documents import DOCUMENTS
from learningplatform.models import Course, Submission, Task, User

# --- Processes: manage.py in a fresh process, with production settings

# The suite runs through PgBouncer in transaction mode (CI's third run): what a session keeps
# (prepared statements, session settings, a backend of one's own) is not this client's there.
POOLED = os.environ.get("DB_TRANSACTION_POOLING", "") == "1"

ROOT = Path(__file__).resolve().parents[1]


def manage(*args: str, tmp_path: Path, **env: str) -> subprocess.CompletedProcess:
    """Run manage.py in a fresh process with exactly the given settings environment."""
    return python("manage.py", *args, tmp_path=tmp_path, **env)


def python(*args: str, tmp_path: Path, **env: str) -> subprocess.CompletedProcess:
    """Run Python (a script, or "-c", code) in the checkout, in a fresh process with exactly the
    given settings environment: nothing of this process's DEBUG, SECRET_KEY or DATABASE_URL."""
    clean = {
        k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY", "DATABASE_URL"}
    }
    clean |= {"DJANGO_SETTINGS_MODULE": "config.settings", "DATA_DIR": str(tmp_path)} | env
    return subprocess.run(
        [sys.executable, *args],
        cwd=ROOT, env=clean, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


PRODUCTION = {
    "SECRET_KEY": secrets.token_urlsafe(64),
    "ALLOWED_HOSTS": "api.example.com",
    "DATABASE_URL": "postgres://app:secret@db.internal:5432/learningplatform",
}


# --- The production server (gunicorn with config/gunicorn.py) on a loopback port

# Production settings, but plain HTTP on loopback: no HTTPS redirect, no secure-only cookies.
LOOPBACK = {
    "ALLOWED_HOSTS": "127.0.0.1",
    "SECURE_SSL_REDIRECT": "0",
    "SESSION_COOKIE_SECURE": "0",
    "CSRF_COOKIE_SECURE": "0",
    "DJANGO_SETTINGS_MODULE": "config.settings",
}


def server_env(database_url: str, data_dir, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "DATABASE_URL"}}
    return (
        env
        | PRODUCTION
        | LOOPBACK
        | {"DATABASE_URL": database_url, "DATA_DIR": str(data_dir)}
        | extra
    )


@contextlib.contextmanager
def gunicorn(env: dict[str, str], workers: int = 1, log: Path | None = None) -> Iterator[str]:
    """Serve the app until the block ends; yields the /graphql/ URL. Its output goes to `log`."""
    with contextlib.ExitStack() as stack:
        output = stack.enter_context(open(log, "w")) if log else subprocess.DEVNULL
        with gunicorn_process(env, workers, output) as (url, _server):
            yield url


@contextlib.contextmanager
def gunicorn_process(
    env: dict[str, str], workers: int = 1, output=subprocess.DEVNULL, options: tuple[str, ...] = ()
) -> Iterator[tuple[str, subprocess.Popen]]:
    """Serve the app until the block ends; yields the /graphql/ URL and the master process.
    The server's output (its logs) goes to `output`, a file, or nowhere; `options` are more of
    gunicorn's command-line settings, which override config/gunicorn.py's."""
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "config/gunicorn.py",
         "--bind", f"127.0.0.1:{port}", "--workers", str(workers), *options],
        cwd=ROOT, env=env, stdout=output, stderr=output,
    )  # fmt: skip
    try:
        wait_for_port(port, server)
        yield f"http://127.0.0.1:{port}/graphql/", server
    finally:
        server.terminate()
        server.wait(timeout=15)


def request(url: str, body: dict | None = None, **headers) -> tuple[int, dict, bytes]:
    """One HTTP request to a server (a JSON POST with `body`, else a GET): status, headers, body."""
    data = json.dumps(body).encode() if body is not None else None
    headers = {"Content-Type": "application/json"} | headers if body is not None else headers
    try:
        with urllib.request.urlopen(urllib.request.Request(url, data, headers), timeout=20) as r:  # noqa: S310 - loopback
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def series(text: str) -> dict[tuple, float]:
    """Every sample of a scrape: (name, sorted labels) -> value."""
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text) for sample in family.samples
    }  # fmt: skip


def sample(scraped: dict, series_name: str, /, **labels) -> float:
    return scraped.get((series_name, tuple(sorted(labels.items()))), 0.0)


# --- A real browser: Debian's Chromium, driven by Playwright

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
NEEDS_CHROMIUM = pytest.mark.skipif(
    shutil.which("chromium") is None,
    reason="needs Debian's chromium (bash .ci/test installs it when run as root)",
)


@contextlib.contextmanager
def chromium() -> Iterator:
    """A headless Chromium until the block ends (Playwright's own browser download is not used).

    Objects a test needs in the database must exist before: Playwright's API runs an event loop
    on this thread, where Django refuses database calls."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        try:
            yield browser
        finally:
            browser.close()


# --- GraphQL over HTTP, as a client sends it


def document(name: str) -> str:
    """A GraphQL document the frontend sends, kept as a .graphql file."""
    return (DOCUMENTS / f"{name}.graphql").read_text()


def global_id(obj) -> str:
    return to_base64(type(obj).__name__, obj.pk)


def post(client: Client, query: str, variables: dict | None = None, **extra) -> dict:
    """The whole JSON response of a GraphQL POST; fails on anything but HTTP 200."""
    response = client.post(
        "/graphql/", {"query": query, "variables": variables or {}},
        content_type="application/json", **extra,
    )  # fmt: skip
    assert response.status_code == 200, response.content
    return response.json()


def gql(client: Client, query: str, variables: dict | None = None) -> dict:
    """The data of a GraphQL response; fails loudly, showing the errors, if there are any."""
    body = post(client, query, variables)
    assert "errors" not in body, body["errors"]
    return body["data"]


def first_difference(a, b, path="") -> str | None:
    """Where two answers first differ, for a failure's message."""
    if isinstance(a, dict) and isinstance(b, dict) and a.keys() == b.keys():
        return next((d for k in a if (d := first_difference(a[k], b[k], f"{path}.{k}"))), None)
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        pairs = enumerate(zip(a, b, strict=True))
        return next(
            (d for i, (x, y) in pairs if (d := first_difference(x, y, f"{path}[{i}]"))), None
        )
    return None if a == b else f"{path}: {a!r} != {b!r}"


def raw_post(client, query: str, variables: dict | None = None) -> bytes:
    """The response's bytes, as a client reads them (status 200)."""
    response = client.post(
        "/graphql/", {"query": query, "variables": variables or {}},
        content_type="application/json",
    )  # fmt: skip
    assert response.status_code == 200, response.content
    return response.content


def both_ways(client, query: str, variables: dict | None = None) -> tuple[dict, dict]:
    """The answer as the server runs (the read path first), and with the kill switch off (the
    executor); equal byte for byte."""
    plain = raw_post(client, query, variables)
    with override_settings(GRAPHQL_FAST_READS=False):
        executed = raw_post(client, query, variables)
    plain_json, executed_json = json.loads(plain), json.loads(executed)
    assert plain == executed, first_difference(plain_json, executed_json) or (plain, executed)
    return plain_json, executed_json


def errors_of(body: dict) -> list[str]:
    return [error["message"] for error in body.get("errors", [])]


@contextlib.contextmanager
def statements(using=connection) -> Iterator[list[tuple[str, tuple]]]:
    """Every statement run inside the block, as (sql, params), parameters unformatted."""
    ran = []

    def record(execute, sql, params, many, context):
        ran.append((sql, tuple(params or ())))
        return execute(sql, params, many, context)

    with using.execute_wrapper(record):
        yield ran


def explain(sql: str, params: tuple, *, analyze: bool = False, using=connection) -> dict:
    """PostgreSQL's plan of a statement (EXPLAIN's JSON, its top node); ANALYZE runs it."""
    options = "ANALYZE, FORMAT JSON" if analyze else "FORMAT JSON"
    with using.cursor() as cursor:
        cursor.execute(f"EXPLAIN ({options}) {sql}", params)
        (plan,) = cursor.fetchone()[0]
    return plan["Plan"]


def plan_nodes(plan: dict) -> Iterator[dict]:
    """Every node of an EXPLAIN plan, the top one first."""
    yield plan
    for child in plan.get("Plans", []):
        yield from plan_nodes(child)


# --- GraphQL documents several tests send

ERRORS = "errors { field message code }"

CREATE_COURSE = f"""
mutation($input: CreateCourseInput!) {{
  createCourse(input: $input) {{ course {{ id title status duration instructor {{ username }} }} {ERRORS} }}
}}
"""


UPDATE_COURSE = f"""
mutation($input: UpdateCourseInput!) {{
  updateCourse(input: $input) {{ course {{ title status difficultyLevel }} {ERRORS} }}
}}
"""


DELETE_COURSE = f"mutation($id: ID!) {{ deleteCourse(id: $id) {{ deletedId {ERRORS} }} }}"


CREATE_TASK = f"""
mutation($input: CreateTaskInput!) {{
  createTask(input: $input) {{ task {{ id title maxScore passingScore }} {ERRORS} }}
}}
"""


UPDATE_TASK = f"""
mutation($input: UpdateTaskInput!) {{ updateTask(input: $input) {{ task {{ title }} {ERRORS} }} }}
"""


DELETE_TASK = f"mutation($id: ID!) {{ deleteTask(id: $id) {{ deletedId {ERRORS} }} }}"


SUBMIT = f"""
mutation($input: SubmitTaskInput!) {{
  submitTask(input: $input) {{ submission {{ attempt content user {{ username }} }} {ERRORS} }}
}}
"""


LOGIN = f"""
mutation($username: String!, $password: String!) {{
  login(username: $username, password: $password) {{ user {{ username }} {ERRORS} }}
}}
"""
LOGOUT = "mutation { logout { ok } }"


GRADE = f"""
mutation($input: GradeSubmissionInput!) {{
  gradeSubmission(input: $input) {{ submission {{ score isGraded gradedBy {{ username }} }} {ERRORS} }}
}}
"""


# --- Database contents

# Tables whose content says nothing about the data (Django's bookkeeping, planner statistics).
IGNORED_TABLES = {
    "django_migrations",
    "django_session",
    "sqlite_sequence",
    "sqlite_stat1",
    "sqlite_stat4",
}


def database_checksum(using=connection) -> dict[str, str]:
    """A digest of every row of every table, per table: equal digests mean equal contents.

    Values are taken by column name, so a table SQLite rebuilt with its columns in another
    order (as some reverse migrations do) still has the same digest.
    """
    digests = {}
    with using.cursor() as cursor:
        for table in sorted(set(using.introspection.table_names()) - IGNORED_TABLES):
            cursor.execute(f"SELECT * FROM {table}")  # noqa: S608 - names from introspection
            names = [column[0] for column in cursor.description]
            rows = sorted(repr(sorted(zip(names, row, strict=True))) for row in cursor.fetchall())
            digests[table] = hashlib.sha256("\n".join(rows).encode()).hexdigest()
    return digests


# --- Seeding

SMALL = ["--instructors", "3", "--students", "8", "--courses", "5", "--tasks-per-course", "4"]


def seed(*args: str, command: str = "seed") -> str:
    """Run `seed` (or `seed_via_graphql`) without its progress bar; return what it printed."""
    out = StringIO()
    call_command(command, "--no-progress", *args, stdout=out)
    return out.getvalue()


def snapshot() -> dict[str, list[tuple]]:
    """Every seeded value, with foreign keys as natural keys, so two databases can be compared."""
    return {
        "users": sorted(
            User.objects.values_list("username", "email", "first_name", "bio", "is_staff")
        ),
        "courses": sorted(
            (c.instructor.username, c.title, c.description, c.status, c.visibility,
             c.duration, c.difficulty_level, c.created_at, c.updated_at, c.prerequisites)
            for c in Course.objects.select_related("instructor")
        ),
        "tasks": sorted(
            (t.course.title, t.title, t.task_type, t.status, t.deadline, t.max_score,
             t.passing_score, t.max_submissions, t.time_limit, t.is_randomized, t.created_at,
             t.updated_at, t.created_by.username)
            for t in Task.objects.select_related("course", "created_by")
        ),
        "submissions": sorted(
            (s.task.title, s.task.course.title, s.user.username, s.attempt, s.content,
             s.submitted_at, s.score, s.is_graded, s.graded_by and s.graded_by.username)
            for s in Submission.objects.select_related("task__course", "user", "graded_by")
        ),
    }  # fmt: skip


# --- Legacy imports


def fresh_import(name: str):
    """Import `name` as old code does the first time, capturing the warnings it raises."""
    for module in [name, name.split(".")[0]]:
        sys.modules.pop(module, None)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        module = importlib.import_module(name)
    return module, [str(w.message) for w in caught if w.category is DeprecationWarning]


# --- Fuzzing strategies (hypothesis-graphql)

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "100"))


SDL = SCHEMA_FILE.read_text()


def text(strategy):
    return strategy.map(lambda value: StringValueNode(value=str(value)))


# Mostly well-formed scalar values, and some arbitrary text, whose errors must be clear too.
NOISE = st.text(max_size=12)


SCALARS = {
    "Decimal": text(st.decimals(min_value=-2000, max_value=2000, places=2, allow_nan=False) | NOISE),
    "Duration": text(st.timedeltas(min_value=timedelta(days=-10), max_value=timedelta(days=4000)).map(
        lambda d: f"P{d.days}DT{d.seconds}S" if d.days >= 0 else f"-P{-d.days}D"
    ) | NOISE),
    "DateTime": text(st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2100, 1, 1)).map(
        lambda d: d.replace(tzinfo=UTC).isoformat()
    ) | NOISE),
}  # fmt: skip


FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)


LEAKS = ("Traceback", "Exception", "Error:", "django.", "psycopg", "sqlite3", 'File "')


def seeded_server_env(database_url: str, tmp_path, **extra: str) -> dict[str, str]:
    """The production server's environment over a new database, migrated and seeded (SMALL)."""
    env = server_env(database_url, tmp_path, **extra)
    for command in (["migrate"], ["seed", "--no-progress", *SMALL]):
        # The demo accounts' published password needs DEBUG, for the seed only.
        extra = {"DEBUG": "1"} if command[0] == "seed" else {}
        done = manage(*command, tmp_path=tmp_path, **(env | extra))
        assert done.returncode == 0, done.stdout + done.stderr
    return env


@contextlib.contextmanager
def traffic_on_a_cluster_of_its_own(
    tmp_path, *, readers: list[str | None], writers: list[str]
) -> Iterator[tuple]:
    """A PostgreSQL cluster of the test's own (bench/clusters.py), migrated and seeded, served by
    gunicorn (2 workers) to clients in a loop; yields (cluster, server env, traffic) once every
    statement the clients send has run a few times (so is prepared)."""
    from bench.clusters import throwaway_cluster

    with throwaway_cluster() as cluster:
        # Generous limits: hashing a login's password on a busy machine (seconds each) must not
        # be cut off by the request's deadline or gunicorn's timeout; these tests are about the
        # database's faults.
        env = seeded_server_env(
            cluster.create_database("lp"), tmp_path,
            DB_STATEMENT_TIMEOUT_MS="60000", REQUEST_TIMEOUT="70",
        )  # fmt: skip
        with (
            gunicorn(env, workers=2) as url,
            Traffic(url, readers=readers, writers=writers) as traffic,
        ):
            time.sleep(1.5)
            yield cluster, env, traffic


# --- Traffic: clients reading and writing through a running server, every answer recorded


@dataclass
class Answer:
    kind: str  # "read" or "write"
    started: float
    ended: float
    status: int | None  # None: no HTTP answer at all
    body: dict
    title: str | None = None  # the course a write created


SEED_PASSWORD = "learn-and-teach"  # noqa: S105 - the demo data's published password
TRAFFIC_READ = (
    "query($first: Int) { courses(first: $first) { totalCount edges { node { title } } } }"
)
TRAFFIC_WRITE = (
    'mutation($title: String!) { createCourse(input: {title: $title, duration: "P3D"}) '
    "{ course { id } errors { code message } } }"
)


class Traffic:
    """Clients that send reads (anonymous and logged in) and writes (instructors creating
    courses, each with a title of its own) to a server in a loop until stopped, recording every
    answer. Nothing is retried: what the server answered is what the test sees."""

    def __init__(self, url: str, *, readers: list[str | None], writers: list[str]) -> None:
        self.url, self.answers, self.stopped = url, [], threading.Event()
        self.failures: list[str] = []
        self.lock = threading.Lock()
        self.threads = [
            threading.Thread(target=self.loop, args=(user, "read", n), daemon=True)
            for n, user in enumerate(readers)
        ] + [
            threading.Thread(target=self.loop, args=(user, "write", n), daemon=True)
            for n, user in enumerate(writers)
        ]
        self.ready = threading.Barrier(len(self.threads) + 1)

    def __enter__(self) -> "Traffic":
        for thread in self.threads:
            thread.start()
        try:
            self.ready.wait(timeout=300)  # every client logged in
        except threading.BrokenBarrierError:
            self.stop()
            raise AssertionError(f"a client could not log in: {self.failures}") from None
        return self

    @staticmethod
    def log_in(client, username: str) -> None:
        """Log in, again if the answer is an error: hashing the password is slow on a busy
        machine, and a login is safe to repeat."""
        login = "mutation($u: String!, $p: String!) { login(username: $u, password: $p) { errors { message } } }"
        for _ in range(5):
            status, body = client.post(login, {"u": username, "p": SEED_PASSWORD}, retry=True)
            if status == 200 and not body.get("errors") and not body["data"]["login"]["errors"]:
                return
        raise AssertionError(f"{username} could not log in: HTTP {status} {body}")

    def __exit__(self, *exc) -> None:
        self.stop()

    def stop(self) -> None:
        self.stopped.set()
        for thread in self.threads:
            thread.join(timeout=60)

    def loop(self, username: str | None, kind: str, number: int) -> None:
        try:
            self.send_until_stopped(username, kind, number)
        except Exception as error:  # noqa: BLE001 - reported by __enter__
            self.failures.append(f"{username}: {error}")

    def send_until_stopped(self, username: str | None, kind: str, number: int) -> None:
        from graphql_api.client import GraphQLClient

        client = GraphQLClient(self.url, client_name="tests/traffic", timeout=60)
        try:
            if username:
                self.log_in(client, username)
        except BaseException:
            self.ready.abort()  # the test fails at once, with this client's error
            raise
        self.ready.wait()
        sent = 0
        while not self.stopped.is_set():
            sent += 1
            title = f"traffic {kind} {number}-{sent}" if kind == "write" else None
            query, variables = (
                (TRAFFIC_WRITE, {"title": title}) if title else (TRAFFIC_READ, {"first": 5})
            )
            started = time.monotonic()
            try:
                status, body = client.post(query, variables)
            except Exception as error:  # noqa: BLE001 - no answer is an answer to report
                client.close()
                status, body = None, {"errors": [{"message": repr(error)}]}
            with self.lock:
                self.answers.append(Answer(kind, started, time.monotonic(), status, body, title))
            if status is not None and status >= 500:
                time.sleep(0.05)  # as a client honouring Retry-After would, only sooner
