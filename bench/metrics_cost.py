"""What Prometheus metrics cost a request, in process: the benchmark's shapes answered through
Django's whole WSGI handler (every middleware, the read path) with metrics off and on in
alternating blocks, values file-backed as under gunicorn (PROMETHEUS_MULTIPROC_DIR). Figures:
CPU time per request (this process's, so other load on the machine weighs less than in wall
time), the median over blocks, and the ratio off / on, i.e. requests per second kept.

    BENCH_API_DATABASE=lp_bench_api .venv/bin/python bench/metrics_cost.py   # bench/api.py's data
"""

import io
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DATABASE = os.environ.get("BENCH_API_DATABASE", "lp_bench_api")
os.environ.update(
    DJANGO_SETTINGS_MODULE="config.settings", SECRET_KEY="bench-metrics-" + "x" * 50,
    ALLOWED_HOSTS="127.0.0.1", SECURE_SSL_REDIRECT="0",
    DATABASE_URL=f"postgres://postgres@127.0.0.1:5432/{DATABASE}",
    GRAPHQL_MAX_PAGE_SIZE="1000", GRAPHQL_MAX_COST="100000",
    PROMETHEUS_MULTIPROC_DIR=tempfile.mkdtemp(prefix="bench-metrics-"),
    DATA_DIR=tempfile.mkdtemp(prefix="bench-metrics-data-"),
)  # fmt: skip

import django  # noqa: E402

django.setup()
from django.conf import settings  # noqa: E402
from django.core.handlers.wsgi import WSGIHandler  # noqa: E402

from bench.api_queries import BY_NAME, HEADLINE  # noqa: E402

SHAPES = [HEADLINE, "course_detail", "course_task_count", "courses_id_title",
          "quiz_tasks_by_deadline", "nested_50x50_totals"]  # fmt: skip
BLOCKS, SECONDS_PER_BLOCK = 8, 1.0


def environ(body: bytes) -> dict:
    return {
        "REQUEST_METHOD": "POST", "PATH_INFO": "/graphql/", "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000", "REMOTE_ADDR": "127.0.0.1", "CONTENT_TYPE": "application/json",
        "CONTENT_LENGTH": str(len(body)), "wsgi.input": io.BytesIO(body), "wsgi.url_scheme": "http",
    }  # fmt: skip


def block(handler, body: bytes) -> float:
    """CPU seconds per request over about SECONDS_PER_BLOCK of requests."""
    started, cpu, count = time.perf_counter(), time.process_time(), 0
    while time.perf_counter() - started < SECONDS_PER_BLOCK:
        response = handler(environ(body), lambda status, headers: None)
        b"".join(response)
        response.close()
        count += 1
    return (time.process_time() - cpu) / count


def main() -> int:
    handler = WSGIHandler()
    results = {}
    for name in SHAPES:
        query = BY_NAME[name]
        body = json.dumps({"query": query.document, "variables": query.variables}).encode()
        for on in (False, True):  # warm both: plans kept, statements prepared
            settings.METRICS_ENABLED = on
            block(handler, body)
        off, on = [], []
        for _ in range(BLOCKS):
            for enabled, into in ((False, off), (True, on)):
                settings.METRICS_ENABLED = enabled
                into.append(block(handler, body))
        results[name] = (statistics.median(off), statistics.median(on))
        print(f"{name:<24} off {results[name][0] * 1e3:7.3f} ms  on {results[name][1] * 1e3:7.3f} ms"
              f"  CPU per request; requests per second kept with metrics on: "
              f"{results[name][0] / results[name][1]:.3f}", flush=True)  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
