"""Prometheus metrics: the series, their bounded labels, and the /metrics view.

The series are prometheus-client's. Under gunicorn each worker writes its values to files in
PROMETHEUS_MULTIPROC_DIR (an owner-only temporary folder config/gunicorn.py makes and removes)
and /metrics, answered by any worker, adds up every worker's; in a single process (runserver,
tests) they live in memory. Nothing is recorded unless metrics are on (settings.METRICS_ENABLED:
METRICS_TOKEN or METRICS_ALLOWED_IPS set), so that off costs nothing.

Every label takes a bounded set of values: operation names are kept as they are up to
settings.METRICS_MAX_OPERATIONS distinct names per process, and every later one is counted as
"other", so a client sending a flood of names cannot grow the series; error codes likewise.
What is measured, and where: docs/operations.md, "Watching it".
"""

import hmac
import ipaddress
import os
import re
import threading
from collections.abc import Iterable
from functools import lru_cache

from axes.signals import user_locked_out
from django.conf import settings
from django.contrib.auth.signals import user_login_failed
from django.http import HttpRequest, HttpResponse
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)

from learningplatform.throttling import client_address

OTHER = "other"
ANONYMOUS = "anonymous"  # a GraphQL operation without a name
NOT_GRAPHQL = ""  # the operation label of a request that ran no GraphQL operation
MAX_ERROR_CODES = 50
# A GraphQL name (what an operation name must be), short enough for a label.
OPERATION_NAME = re.compile(r"[_A-Za-z][_0-9A-Za-z]{0,99}")
ERROR_CODE = re.compile(r"[A-Z][A-Z0-9_]{0,39}")

REQUEST_SECONDS = Histogram(
    "http_request_duration_seconds",
    "Requests by endpoint, GraphQL operation, trusted document and status class: time from "
    "the first middleware in to the response out.",
    ["endpoint", "operation", "document", "status"],
    buckets=(0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
SQL_STATEMENTS = Histogram(
    "http_request_sql_statements",
    "SQL statements a request sent, by endpoint.",
    ["endpoint"],
    buckets=(0, 1, 2, 3, 4, 6, 8, 12, 16, 25, 50, 100),
)
SQL_SECONDS = Histogram(
    "http_request_sql_seconds",
    "Time a request spent in SQL statements (sent, run, rows read), by endpoint.",
    ["endpoint"],
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 2.5, 10),
)
ANSWERS = Counter(
    "graphql_answers",
    "GraphQL operations by the path that answered them (read_path or executor) and, for the "
    "executor, why (mutation, kill_switch, or the read path's fallback reason class).",
    ["path", "reason"],
)
PLAN_CACHE = Counter(
    "graphql_plan_cache",
    "The read path's kept plans: looked up and found (hit) or not (miss).",
    ["result"],
)
ERRORS = Counter(
    "api_errors",
    "Errors sent to clients, by code: GraphQL errors, mutation payload errors, and error "
    "responses outside GraphQL (HTTP_<status> when they carry no code).",
    ["code"],
)
LOGIN_FAILURES = Counter("login_failures", "Failed logins (wrong password, or locked out).")
LOGIN_LOCKOUTS = Counter(
    "login_lockouts", "Logins refused by a lockout (the failure that reached the limit too)."
)
LEGACY_USES = Counter(
    "legacy_name_uses", "Requests that used a legacy GraphQL name, by name.", ["name"]
)
DATABASE_ERRORS = Counter(
    "database_connection_errors",
    "Requests that met a database connection error (refused, lost, or unusable).",
)


def enabled() -> bool:
    return settings.METRICS_ENABLED


class BoundedLabel:
    """The values of one label: each new one is kept until `limit()` are, then it is OTHER."""

    def __init__(self, limit) -> None:
        self.limit = limit
        self.seen: set[str] = set()
        self.lock = threading.Lock()

    def __call__(self, value: str) -> str:
        if value in self.seen:
            return value
        with self.lock:
            if value not in self.seen and len(self.seen) >= self.limit():
                return OTHER
            self.seen.add(value)
        return value

    def clear(self) -> None:
        with self.lock:
            self.seen.clear()


operation_names = BoundedLabel(lambda: settings.METRICS_MAX_OPERATIONS)
error_codes = BoundedLabel(lambda: MAX_ERROR_CODES)


def operation_label(name: str | None) -> str:
    """An operation's name as a label value: its name, ANONYMOUS, or OTHER past the cap."""
    if not name:
        return ANONYMOUS
    if not OPERATION_NAME.fullmatch(name):
        return OTHER
    return operation_names(name)


def endpoint_of(path: str) -> str:
    if path.startswith("/graphql"):
        return "graphql"
    if path.startswith("/admin"):
        return "admin"
    if path.startswith("/" + settings.STATIC_URL.lstrip("/")):
        return "static"
    return OTHER


class StatementTimer:
    """An execute wrapper counting a request's SQL statements and the time they took."""

    __slots__ = ("count", "seconds", "clock")

    def __init__(self, clock) -> None:
        self.count = 0
        self.seconds = 0.0
        self.clock = clock

    def __call__(self, execute, sql, params, many, context):
        started = self.clock()
        try:
            return execute(sql, params, many, context)
        finally:
            self.count += 1
            self.seconds += self.clock() - started


def request_observed(
    *,
    path: str,
    operation: str,
    document: str,
    status: int,
    seconds: float,
    statements: StatementTimer,
) -> None:
    """Record one finished request (not a health or metrics one)."""
    endpoint = endpoint_of(path)
    REQUEST_SECONDS.labels(endpoint, operation, document, f"{status // 100}xx").observe(seconds)
    SQL_STATEMENTS.labels(endpoint).observe(statements.count)
    SQL_SECONDS.labels(endpoint).observe(statements.seconds)


def answered(*, path: str, reason: str) -> None:
    """Which path answered a GraphQL operation: read_path, or executor with the reason why."""
    if enabled():
        ANSWERS.labels(path, reason).inc()


def plan_looked_up(*, hit: bool) -> None:
    if enabled():
        PLAN_CACHE.labels("hit" if hit else "miss").inc()


def errors_counted(codes: Iterable[str]) -> None:
    """Count errors sent to a client, by code; unknown-looking or excess codes are OTHER."""
    if not enabled():
        return
    for code in codes:
        ERRORS.labels(error_codes(code) if ERROR_CODE.fullmatch(code) else OTHER).inc()


def legacy_names_used(names: Iterable[str]) -> None:
    """Count a request's uses of legacy names (a fixed set: the shim's names)."""
    if enabled():
        for name in names:
            LEGACY_USES.labels(name).inc()


def _login_failed(**_signal) -> None:
    if enabled():
        LOGIN_FAILURES.inc()


def _locked_out(**_signal) -> None:
    if enabled():
        LOGIN_LOCKOUTS.inc()


# Django's signal, for every login that failed, by any path (the login mutation, the admin);
# django-axes's, for the failure that reached the limit and every attempt refused after it.
user_login_failed.connect(_login_failed, dispatch_uid="graphql_api.observability.metrics")
user_locked_out.connect(_locked_out, dispatch_uid="graphql_api.observability.metrics")


def database_error_seen() -> None:
    if enabled():
        DATABASE_ERRORS.inc()


# --- /metrics


@lru_cache(maxsize=4)
def _networks(allowed: tuple[str, ...]) -> tuple:
    return tuple(ipaddress.ip_network(item, strict=False) for item in allowed)


def may_scrape(request: HttpRequest) -> bool:
    """Whether this request may read /metrics: the bearer token, or an allowed address."""
    if not enabled():
        return False
    token = settings.METRICS_TOKEN
    sent = request.META.get("HTTP_AUTHORIZATION", "")
    if token and hmac.compare_digest(sent.encode(), f"Bearer {token}".encode()):
        return True
    if not settings.METRICS_ALLOWED_IPS:
        return False
    try:
        address = ipaddress.ip_address(client_address(request))
    except ValueError:
        return False
    return any(address in network for network in _networks(tuple(settings.METRICS_ALLOWED_IPS)))


def exposition() -> bytes:
    """Every series in Prometheus's text format: all workers' under gunicorn, else this one's."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry)
    return generate_latest(REGISTRY)


def metrics_view(request: HttpRequest) -> HttpResponse:
    """GET /metrics for an allowed scraper; a 404 for anyone else (it does not admit it exists)."""
    from graphql_api.views import not_found  # the site's own 404, word for word

    if not may_scrape(request):
        return not_found(request)
    response = HttpResponse(exposition(), content_type=CONTENT_TYPE_LATEST)
    response["Cache-Control"] = "no-store"
    return response
