"""Long run: what distinct documents do to one worker's memory (issue 22's attack, repeatable).

Starts the production server (gunicorn, config/gunicorn.py, one worker, DEBUG off) on loopback
over a fresh SQLite database, then sends rounds of distinct documents of `--size` bytes (a
read-path query, a query the executor answers, an invalid one, each made distinct and large by a
comment) and prints the worker's resident memory after each round, with how the server answered.

    .venv/bin/python bench/memory.py                       # 4 rounds of 300 documents of 13 KiB
    .venv/bin/python bench/memory.py --size 245760         # the report's 240 KB documents
    .venv/bin/python bench/memory.py --checkout /tmp/old   # another checkout's code, same run

Memory is the worker's VmRSS from /proc (Linux).
"""

import argparse
import http.client
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import free_port, wait_for_port  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
KINDS = [
    "query Listed { courses(first: 5) { totalCount edges { node { id title } } } }",
    'query Looked { node(id: "Q291cnNlOjE=") { id } }',
    "query Broken { courses { nope } }",
]


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for {pid}")


def worker_of(master: int) -> int:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
        if children:
            return int(children[0])
        time.sleep(0.1)
    raise RuntimeError("gunicorn started no worker")


def send(port: int, document: str) -> str:
    """How the server answered: "data", "errors" (a GraphQL error), or the HTTP status."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        body = json.dumps({"query": document})
        connection.request("POST", "/graphql/", body, {"Content-Type": "application/json"})
        response = connection.getresponse()
        answer = response.read()
    finally:
        connection.close()
    if response.status != 200:
        return str(response.status)
    return "errors" if json.loads(answer).get("errors") else "data"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--documents", type=int, default=300, help="distinct documents a round")
    parser.add_argument("--size", type=int, default=13 * 1024, help="bytes of each document")
    parser.add_argument("--checkout", type=Path, default=ROOT, help="the code to serve")
    options = parser.parse_args()
    checkout = options.checkout.resolve()
    with tempfile.TemporaryDirectory(prefix="bench-memory-") as data:
        env = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "DATABASE_URL"}} | {
            "SECRET_KEY": uuid.uuid4().hex * 2,
            "ALLOWED_HOSTS": "127.0.0.1",
            "SECURE_SSL_REDIRECT": "0",
            "DATA_DIR": data,
            "DATABASE_URL": f"sqlite:///{data}/db.sqlite3",
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "PYTHONPATH": str(checkout),
        }
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "-v", "0"], cwd=checkout, env=env, check=True
        )
        port = free_port()
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "config/gunicorn.py",
             "--bind", f"127.0.0.1:{port}", "--workers", "1"],
            cwd=checkout, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            wait_for_port(port, server)
            worker = worker_of(server.pid)
            for kind in KINDS:  # warm: every code path once
                send(port, kind)
            print(f"{checkout}: documents of {options.size:,} bytes")
            print(f"warm: {rss_kib(worker) / 1024:.1f} MiB")
            for round_number in range(1, options.rounds + 1):
                answers: Counter[str] = Counter()
                for n in range(options.documents):
                    head = f"# {uuid.uuid4().hex}\n{KINDS[n % 3]}\n#"
                    answers[send(port, head + "x" * (options.size - len(head)))] += 1
                print(
                    f"round {round_number}: {rss_kib(worker) / 1024:.1f} MiB "
                    f"(answers: {dict(sorted(answers.items()))})"
                )
        finally:
            server.terminate()
            server.wait(timeout=15)


if __name__ == "__main__":
    main()
