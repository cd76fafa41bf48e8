"""Load and faults: concurrent clients against the production-style server on PostgreSQL.

    .venv/bin/python bench/load.py                     # 20 clients, 60 s, with the three faults
    .venv/bin/python bench/load.py --clients 4 --seconds 8      # the short version CI runs

Starts a PostgreSQL cluster of its own (bench/clusters.py: it restarts it) and gunicorn
(config/gunicorn.py) on loopback over a fresh database with the demo data, then runs clients
that mix reads (catalogue, course detail, task lists) and mutations (submissions) for a bounded
time, counted from the moment every client has logged in. A quarter in, one gunicorn worker is
killed with SIGKILL, at a moment when reads are in flight but no mutation is (a mutation cut off
mid-way cannot be retried blindly: its client cannot know whether it was written); half way,
with no request in flight (new ones wait a moment), PostgreSQL terminates every connection the
app holds: the health checks must reconnect; three quarters in, PostgreSQL restarts
(`pg_ctl restart -m fast`) with requests in flight.
A client retries an idempotent query once if its connection breaks (the killed worker's
requests). An error is a 5xx other than the restart's, a broken connection after that retry, or
a masked GraphQL error; a refusal the API explains (MAX_SUBMISSIONS_REACHED, say) is an answer,
not an error. During the restart a request may be answered 503 UNAVAILABLE (counted apart, as
`unavailable`); one sent more than 2 s after the database is back is an error.
Exit status 1 if there was any error. Results: bench/results/load.json.
"""

import argparse
import contextlib
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench.clusters import Cluster, throwaway_cluster  # noqa: E402
from bench.common import free_port, wait_for_port  # noqa: E402
from graphql_api.client import GraphQLClient  # noqa: E402

DATABASE = "lp_load"
RECOVERY_SECONDS = 2  # the most a restart may leave clients answered UNAVAILABLE after it

CATALOGUE = (ROOT / "graphql_api/documents/course_catalogue.graphql").read_text()
DETAIL = (ROOT / "graphql_api/documents/course_detail.graphql").read_text()
TASKS = "{ tasks(first: 50, orderBy: {field: DEADLINE}) { totalCount edges { node { id title deadline course { title } } } } }"
LOGIN = "mutation($u: String!, $p: String!) { login(username: $u, password: $p) { errors { message } } }"
SUBMIT = 'mutation($t: ID!) { submitTask(input: {taskId: $t, content: "load test"}) { submission { id } errors { code } } }'
OPEN_TASKS = (
    "{ tasks(first: 100, filter: {taskType: QUIZ, status: PUBLISHED}) { edges { node { id } } } }"
)


def client_for(port: int, username: str | None) -> GraphQLClient:
    """One user on one keep-alive connection, logged in unless anonymous."""
    client = GraphQLClient(f"http://127.0.0.1:{port}/graphql/", client_name="bench/load.py")
    if username:
        client.post(LOGIN, {"u": username, "p": "learn-and-teach"}, retry=True)  # safe to repeat
    return client


def data_of(status: int, body: dict) -> dict:
    """The answer's data, or an error that says what came back instead."""
    if status != 200 or body.get("errors") or not body.get("data"):
        raise AssertionError(f"HTTP {status}: {json.dumps(body)[:300]}")
    return body["data"]


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--no-faults", action="store_true")
    options = parser.parse_args()
    with throwaway_cluster() as cluster:
        result = serve_and_load(cluster, options)
    (ROOT / "bench/results").mkdir(exist_ok=True)
    (ROOT / "bench/results/load.json").write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))
    return 1 if result["errors"] else 0


def serve_and_load(cluster: Cluster, options) -> dict:
    url = cluster.create_database(DATABASE)
    env = os.environ | {
        "DATABASE_URL": url, "SECRET_KEY": "load-test-" + "x" * 50, "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "0", "SESSION_COOKIE_SECURE": "0", "CSRF_COOKIE_SECURE": "0",
        "DJANGO_SETTINGS_MODULE": "config.settings",
    }  # fmt: skip
    env.pop("DEBUG", None)
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate"], cwd=ROOT, env=env, check=True, capture_output=True)
    subprocess.run(
        [*manage, "seed", "--no-progress", "--courses", "30", "--students", "60"],
        cwd=ROOT,
        env=env | {"DEBUG": "1"},  # demo data with its published password, on its own database
        check=True,
        capture_output=True,
    )
    port = free_port()
    (ROOT / "bench/results").mkdir(exist_ok=True)
    server_log = open(ROOT / "bench/results/load-server.log", "w")  # noqa: SIM115 - open while it runs
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "config/gunicorn.py", "--bind", f"127.0.0.1:{port}",
         "--workers", str(options.workers), "--access-logfile", "/dev/null"],
        cwd=ROOT, env=env, stdout=server_log, stderr=server_log,
    )  # fmt: skip
    try:
        wait_for_port(port, server)
        return run_load(port, options, server.pid, cluster)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=20)
        server_log.close()


def run_load(port: int, options, master_pid: int, cluster: Cluster) -> dict:
    latencies, errors, lock = [], [], threading.Lock()
    unavailable = []  # when each request answered 503 UNAVAILABLE was sent
    # The measured window (and the faults' schedule) starts once every client has logged in and
    # read what it will ask for: on a slow machine that set-up can take seconds.
    deadline = [0.0]
    ready = threading.Barrier(
        options.clients + 1,
        action=lambda: deadline.__setitem__(0, time.monotonic() + options.seconds),
    )
    # To cut the database connections between requests, new requests wait at this gate (open
    # when set) until none is in flight.
    gate, in_flight = threading.Event(), [0]
    gate.set()

    # A mutation cut off by the worker's death cannot be retried blindly (the client cannot
    # know whether it was written), so the kill waits for a moment with no mutation in flight;
    # reads stay in flight through it and are retried once.
    writes_gate, writes_in_flight = threading.Event(), [0]
    writes_gate.set()

    def enter(idempotent: bool = True) -> None:
        gates = [(gate, in_flight)] + ([] if idempotent else [(writes_gate, writes_in_flight)])
        while True:
            with lock:
                for _, counter in gates:
                    counter[0] += 1
            closed = next((g for g, _ in gates if not g.is_set()), None)
            if closed is None:
                return
            with lock:
                for _, counter in gates:
                    counter[0] -= 1
            closed.wait()

    def leave(idempotent: bool = True) -> None:
        with lock:
            in_flight[0] -= 1
            if not idempotent:
                writes_in_flight[0] -= 1

    users = [None] + [f"seed-student-{i:05d}" for i in range(options.clients)]

    def client_loop(number: int) -> None:
        try:
            run_client(number)
        except Exception as error:  # noqa: BLE001 - a client that dies is an error, counted
            ready.abort()  # if it died setting up, nobody waits for it
            with lock:
                errors.append(f"client {number} died: {type(error).__name__}: {error}")

    def run_client(number: int) -> None:
        rng = random.Random(number)
        client = client_for(port, users[number % len(users)])
        catalogue = data_of(*client.post(CATALOGUE, {"first": 20}, retry=True))
        open_tasks = data_of(*client.post(OPEN_TASKS, retry=True))
        course_ids = [e["node"]["id"] for e in catalogue["courses"]["edges"]]
        open_tasks = [e["node"]["id"] for e in open_tasks["tasks"]["edges"]]
        ready.wait()
        while time.monotonic() < deadline[0]:
            roll = rng.random()
            if roll < 0.35:
                query, variables, idempotent = CATALOGUE, {"first": 20}, True
            elif roll < 0.65 and course_ids:
                query, variables, idempotent = DETAIL, {"id": rng.choice(course_ids)}, True
            elif roll < 0.85:
                query, variables, idempotent = TASKS, {}, True
            elif open_tasks and client.cookies.get("sessionid"):
                query, variables, idempotent = SUBMIT, {"t": rng.choice(open_tasks)}, False
            else:
                query, variables, idempotent = TASKS, {}, True
            enter(idempotent)
            started = time.monotonic()
            try:
                status, body = client.post(query, variables, retry=idempotent)
                problem = None
                codes = {(e.get("extensions") or {}).get("code") for e in body.get("errors", [])}
                if status == 503 and codes == {"UNAVAILABLE"}:
                    with lock:
                        unavailable.append(started)
                elif status >= 500:
                    problem = f"HTTP {status}"
                elif any(e.get("message") == "Unexpected error." for e in body.get("errors", [])):
                    problem = "masked error"
                elif body.get("errors"):
                    problem = body["errors"][0]["message"]
            except Exception as error:  # noqa: BLE001 - every failure is counted and reported
                problem = f"{type(error).__name__}: {error}"
            finally:
                leave(idempotent)
            with lock:
                latencies.append(time.monotonic() - started)
                if problem:
                    errors.append(problem)

    threads = [threading.Thread(target=client_loop, args=(n,)) for n in range(options.clients)]
    for thread in threads:
        thread.start()
    with contextlib.suppress(threading.BrokenBarrierError):  # a client died setting up
        ready.wait()
    faults, restarted = [], None
    if not options.no_faults:
        time.sleep(options.seconds / 4)
        workers = subprocess.run(
            ["pgrep", "-P", str(master_pid)], capture_output=True, text=True
        ).stdout.split()
        if workers:
            writes_gate.clear()
            while writes_in_flight[0]:
                time.sleep(0.001)
            os.kill(int(workers[0]), signal.SIGKILL)
            writes_gate.set()
            faults.append(f"killed worker {workers[0]} with SIGKILL at {options.seconds / 4:.0f} s")
        time.sleep(options.seconds / 4)
        gate.clear()
        try:
            while in_flight[0]:
                time.sleep(0.001)
            with psycopg.connect(cluster.url(), autocommit=True) as admin:
                pids = [
                    row[0]
                    for row in admin.execute(
                        "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
                        [DATABASE],
                    )
                ]
                ended = admin.execute(
                    "SELECT count(pg_terminate_backend(pid)) FROM unnest(%s::int[]) pid", [pids]
                ).fetchone()[0]
                # pg_terminate_backend only signals: the connections are cut once their server
                # processes have gone, which is the moment "between requests" means. (The app's
                # health check reads the socket, which tells only once the server has closed it.)
                for _ in range(5000):
                    gone = admin.execute(
                        "SELECT NOT EXISTS (SELECT 1 FROM pg_stat_activity WHERE pid = ANY(%s))",
                        [pids],
                    ).fetchone()[0]
                    if gone:
                        break
                    time.sleep(0.001)
        finally:
            gate.set()
        moment = options.seconds / 2
        faults.append(f"terminated {ended} database connections between requests at {moment:.0f} s")
        time.sleep(options.seconds / 4)
        down = time.monotonic()
        cluster.restart()
        restarted = (down, time.monotonic())
        faults.append(
            f"restarted PostgreSQL at {3 * options.seconds / 4:.0f} s, in "
            f"{restarted[1] - restarted[0]:.2f} s, with requests in flight"
        )
    for thread in threads:
        thread.join()
    late = [t for t in unavailable if restarted is None or t > restarted[1] + RECOVERY_SECONDS]
    errors += [f"UNAVAILABLE more than {RECOVERY_SECONDS} s after the database was back"] * len(
        late
    )
    back = (
        round(max(unavailable) - restarted[1], 2) if restarted and unavailable else None
    )  # the last request answered UNAVAILABLE was sent this long after the database was back
    ordered = sorted(latencies)

    def percentile(p: float) -> float:
        return (
            round(1000 * ordered[min(len(ordered) - 1, int(p * len(ordered)))], 1)
            if ordered
            else 0.0
        )

    return {
        "clients": options.clients, "seconds": options.seconds, "requests": len(latencies),
        "requests_per_second": round(len(latencies) / options.seconds, 1),
        "p50_ms": percentile(0.50), "p95_ms": percentile(0.95), "p99_ms": percentile(0.99),
        "errors": len(errors), "error_samples": sorted(set(errors))[:10], "faults": faults,
        "unavailable": len(unavailable), "last_unavailable_after_restart_s": back,
    }  # fmt: skip


if __name__ == "__main__":
    sys.exit(main())
