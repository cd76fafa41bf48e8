"""How long /healthz, /readyz and /metrics take in process, through Django's whole WSGI handler
(every middleware), without a server or a network: the median of many calls.

    .venv/bin/python bench/health.py            # SQLite in a temporary folder
    DATABASE_URL=postgres://... .venv/bin/python bench/health.py
"""

import io
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DATA_DIR", tempfile.mkdtemp(prefix="bench-health-"))
os.environ.update(
    DJANGO_SETTINGS_MODULE="config.settings", SECRET_KEY="bench-health-" + "x" * 50,
    ALLOWED_HOSTS="127.0.0.1", METRICS_TOKEN="bench-health",  # noqa: S106 - loopback only
)  # fmt: skip

import django  # noqa: E402

django.setup()
from django.core.handlers.wsgi import WSGIHandler  # noqa: E402
from django.core.management import call_command  # noqa: E402

CALLS = {"/healthz": 5000, "/readyz": 500, "/metrics": 500}


def environ(path: str) -> dict:
    return {
        "REQUEST_METHOD": "GET", "PATH_INFO": path, "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000", "REMOTE_ADDR": "127.0.0.1", "wsgi.input": io.BytesIO(),
        "wsgi.url_scheme": "https", "HTTP_AUTHORIZATION": "Bearer bench-health",
    }  # fmt: skip


def main() -> int:
    call_command("migrate", verbosity=0)
    handler = WSGIHandler()
    for path, calls in CALLS.items():
        times = []
        for _ in range(calls):
            started = time.perf_counter()
            response = handler(environ(path), lambda status, headers: None)
            b"".join(response)
            response.close()
            times.append(time.perf_counter() - started)
        times.sort()
        print(f"{path:<9} median {statistics.median(times) * 1e6:8.1f} us   "
              f"p99 {times[int(len(times) * 0.99)] * 1e6:8.1f} us   ({calls} calls)")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
