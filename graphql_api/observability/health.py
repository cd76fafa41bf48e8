"""/healthz and /readyz: whether this process answers, and whether it can serve requests.

Both are JSON, unauthenticated and cheap; the middleware answers them before anything else runs
(no session, no host or HTTPS check, no throttling) and they are left out of the access log.

- /healthz touches nothing: a 200 says the process is alive and not stuck.
- /readyz asks the database, on a thread and a connection of its own so that a database that
  does not answer at all (a lost network, a full connection queue) costs the probe
  settings.READYZ_TIMEOUT_MS and no more: `SELECT 1`, then whether any migration is pending.
  The migration check reads the migration files and the migration table; a clean answer is
  kept for settings.READYZ_MIGRATIONS_TTL_SECONDS (migrations are added by a deploy, which
  restarts the server), a pending one is checked again on every probe, so the server is ready
  as soon as `migrate` has run.
"""

import logging
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as CheckTimedOut

from django.conf import settings
from django.db import DatabaseError, connections
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpRequest, HttpResponse, JsonResponse

from graphql_api.bounded import writes_nothing_after_this_request
from graphql_api.observability import tracing

logger = logging.getLogger(__name__)

ALIVE = b'{"status": "ok"}'


def healthz(request: HttpRequest) -> HttpResponse:
    """The process answers; nothing else is checked, and nothing is written after it (the
    pending records of graphql_api/bounded.py wait for the next request)."""
    writes_nothing_after_this_request()
    response = HttpResponse(ALIVE, content_type="application/json")
    response["Cache-Control"] = "no-store"
    return response


class _Checker:
    """The readiness checks, run one at a time on one thread of this process (made on first use,
    so after gunicorn has forked), which keeps its own database connection."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.pool: ThreadPoolExecutor | None = None
        self.running: Future | None = None
        self.clean_until = 0.0  # until when "no migration pending" is trusted

    def submit(self) -> Future:
        """A check started now, or the one still running: a database that hangs holds one
        thread, however many probes come meanwhile."""
        with self.lock:
            if self.pool is None:
                self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="readyz")
            if self.running is None or self.running.done():
                self.running = self.pool.submit(self.check)
            return self.running

    def check(self) -> dict[str, str]:
        """The checks, on a connection opened for them and closed after: a probe holds no
        connection between probes, and one that fails leaves nothing half-open behind."""
        connection = connections["default"]
        try:
            with tracing.untraced():
                return self.database_checks(connection)
        finally:
            connection.close()

    def database_checks(self, connection) -> dict[str, str]:
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
                cursor.fetchone()
        except DatabaseError:
            logger.warning("readyz: the database did not answer", exc_info=True)
            return {"database": "unreachable", "migrations": "unknown"}
        if time.monotonic() < self.clean_until:
            return {"database": "ok", "migrations": "ok"}
        try:
            executor = MigrationExecutor(connection)
            pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
        except DatabaseError:
            logger.warning("readyz: could not read the migration table", exc_info=True)
            return {"database": "ok", "migrations": "unknown"}
        if pending:
            return {"database": "ok", "migrations": f"{len(pending)} pending"}
        self.clean_until = time.monotonic() + settings.READYZ_MIGRATIONS_TTL_SECONDS
        return {"database": "ok", "migrations": "ok"}

    def forget(self) -> None:
        """Check the migrations again at the next probe (tests)."""
        self.clean_until = 0.0


checker = _Checker()


def readyz(request: HttpRequest) -> JsonResponse:
    """200 when the database answers in time and no migration is pending, else 503."""
    timeout_ms = settings.READYZ_TIMEOUT_MS
    try:
        checks = checker.submit().result(timeout=timeout_ms / 1000)
    except CheckTimedOut:
        checks = {"database": f"no answer within {timeout_ms} ms", "migrations": "unknown"}
    ready = all(value == "ok" for value in checks.values())
    response = JsonResponse(
        {"status": "ready" if ready else "unavailable", "checks": checks},
        status=200 if ready else 503,
    )
    response["Cache-Control"] = "no-store"
    return response
