"""The production server (gunicorn with config/gunicorn.py) on a loopback port, for tests that
need a real process: timeouts, worker deaths, a client on the other end of a socket."""

import contextlib
import os
import subprocess
import sys
from collections.abc import Iterator

from bench.common import free_port, wait_for_port
from tests.config.test_settings import PRODUCTION, ROOT

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
def gunicorn(env: dict[str, str], workers: int = 1) -> Iterator[str]:
    """Serve the app until the block ends; yields the /graphql/ URL."""
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "config/gunicorn.py",
         "--bind", f"127.0.0.1:{port}", "--workers", str(workers)],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        wait_for_port(port, server)
        yield f"http://127.0.0.1:{port}/graphql/"
    finally:
        server.terminate()
        server.wait(timeout=15)
