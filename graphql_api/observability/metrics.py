"""Prometheus metrics: the series, their bounded labels, and the /metrics view.

The series are prometheus-client's. Under gunicorn each worker writes its values to files in
PROMETHEUS_MULTIPROC_DIR (an owner-only temporary folder config/gunicorn.py makes and removes)
and /metrics, answered by any worker, adds up every worker's; in a single process (runserver,
tests) they live in memory. A request's observations are added up in memory first (`Pending`)
and written once a second, which keeps the cost of metrics to a request within the noise.
Nothing is recorded unless metrics are on (settings.METRICS_ENABLED: METRICS_TOKEN or
METRICS_ALLOWED_IPS set), so that off costs nothing.

Every label takes a bounded set of values: operation names are kept as they are up to
settings.METRICS_MAX_OPERATIONS distinct names per process, and every later one is counted as
"other", so a client sending a flood of names cannot grow the series; error codes likewise.
What is measured, and where: docs/operations.md, "Watching it".
"""

import atexit
import bisect
import contextlib
import contextvars
import hmac
import ipaddress
import math
import os
import re
import threading
import time
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

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

from graphql_api.library_internals import histogram_add
from graphql_api.responses import not_found  # the site's own 404, word for word
from learningplatform.throttling import client_address

OTHER = "other"
ANONYMOUS = "anonymous"  # a GraphQL operation without a name
NOT_GRAPHQL = ""  # the operation label of a request that ran no GraphQL operation
MAX_ERROR_CODES = 50
# A GraphQL name (what an operation name must be), short enough for a label.
OPERATION_NAME = re.compile(r"[_A-Za-z][_0-9A-Za-z]{0,99}")
ERROR_CODE = re.compile(r"[A-Z][A-Z0-9_]{0,39}")

SECONDS_BUCKETS = (0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)
STATEMENT_BUCKETS = (0, 1, 2, 3, 4, 6, 8, 12, 16, 25, 50, 100)
SQL_SECONDS_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 2.5, 10)

REQUEST_SECONDS = Histogram(
    "http_request_duration_seconds",
    "Requests by endpoint, GraphQL operation, trusted document and status class: time from "
    "the first middleware in to the response out.",
    ["endpoint", "operation", "document", "status"],
    buckets=SECONDS_BUCKETS,
)
SQL_STATEMENTS = Histogram(
    "http_request_sql_statements",
    "SQL statements a request sent, by endpoint.",
    ["endpoint"],
    buckets=STATEMENT_BUCKETS,
)
SQL_SECONDS = Histogram(
    "http_request_sql_seconds",
    "Time a request spent in SQL statements (sent, run, rows read), by endpoint.",
    ["endpoint"],
    buckets=SQL_SECONDS_BUCKETS,
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


_unobserved: contextvars.ContextVar[bool] = contextvars.ContextVar("unobserved", default=False)


def enabled() -> bool:
    return settings.METRICS_ENABLED and not _unobserved.get()


@contextlib.contextmanager
def unobserved():
    """Work that answers no one (plans made before serving): counted nowhere."""
    token = _unobserved.set(True)
    try:
        yield
    finally:
        _unobserved.reset(token)


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


class Children:
    """A metric's children by label values. prometheus-client's `labels()` validates and locks
    on every call, several microseconds; a child, once made, is the same object for good, and
    the label values are bounded, so this dictionary is too."""

    def __init__(self, metric, buckets: tuple = ()) -> None:
        self.metric = metric
        self.bounds = (*(float(b) for b in buckets), math.inf) if buckets else ()
        self.made: dict[tuple[str, ...], Any] = {}

    def __call__(self, *values: str):
        child = self.made.get(values)
        if child is None:
            child = self.made[values] = self.metric.labels(*values)
        return child


class Pending:
    """What this process recorded and has not yet written to prometheus-client's values.

    Under gunicorn every increment of a value writes a file-backed map under a lock (about
    ten of them a request); here a request adds to a dictionary, and `flush` writes the sums,
    one increment per series, every FLUSH_SECONDS from a thread of this process, before
    /metrics answers, and at exit. A scrape served by another worker sees this one's requests
    at most FLUSH_SECONDS late.
    """

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.histograms: dict[tuple, list] = {}  # (children, values) -> [sum, count per bucket]
        self.counters: dict[tuple, float] = {}  # (children, values) -> amount
        self.flusher: threading.Thread | None = None

    def observe(self, children: Children, values: tuple[str, ...], amount: float) -> None:
        bucket = bisect.bisect_left(children.bounds, amount)  # the first bound >= amount
        key = (children, values)
        with self.lock:
            entry = self.histograms.get(key)
            if entry is None:
                entry = self.histograms[key] = [0.0] + [0] * len(children.bounds)
            entry[0] += amount
            entry[1 + bucket] += 1
        if self.flusher is None:
            self.start()

    def inc(self, children: Children, values: tuple[str, ...], amount: float = 1) -> None:
        key = (children, values)
        with self.lock:
            self.counters[key] = self.counters.get(key, 0) + amount
        if self.flusher is None:
            self.start()

    def flush(self) -> None:
        with self.lock:
            histograms, self.histograms = self.histograms, {}
            counters, self.counters = self.counters, {}
        for (children, values), entry in histograms.items():
            histogram_add(children(*values), entry[0], entry[1:])
        for (children, values), amount in counters.items():
            children(*values).inc(amount)

    def start(self) -> None:
        with self.lock:
            if self.flusher is not None:
                return
            self.flusher = threading.Thread(target=self.flush_forever, name="metrics", daemon=True)
        self.flusher.start()

    def flush_forever(self) -> None:
        while True:
            time.sleep(FLUSH_SECONDS)
            self.flush()

    def forked(self) -> None:
        """In a new child process: nothing of the parent's is pending, and no thread runs."""
        self.lock = threading.Lock()
        self.histograms, self.counters, self.flusher = {}, {}, None


FLUSH_SECONDS = 1.0
pending = Pending()
os.register_at_fork(after_in_child=pending.forked)
atexit.register(pending.flush)

request_seconds = Children(REQUEST_SECONDS, SECONDS_BUCKETS)
sql_statements = Children(SQL_STATEMENTS, STATEMENT_BUCKETS)
sql_seconds = Children(SQL_SECONDS, SQL_SECONDS_BUCKETS)
answers = Children(ANSWERS)
plan_cache = Children(PLAN_CACHE)
errors = Children(ERRORS)
legacy_uses = Children(LEGACY_USES)
STATUS_CLASSES = {n: f"{n}xx" for n in range(1, 6)}


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
    endpoint = (endpoint_of(path),)
    status_class = STATUS_CLASSES.get(status // 100, OTHER)
    pending.observe(request_seconds, (*endpoint, operation, document, status_class), seconds)
    pending.observe(sql_statements, endpoint, statements.count)
    pending.observe(sql_seconds, endpoint, statements.seconds)


def answered(*, path: str, reason: str) -> None:
    """Which path answered a GraphQL operation: read_path, or executor with the reason why."""
    if enabled():
        pending.inc(answers, (path, reason))


def plan_looked_up(*, hit: bool) -> None:
    if enabled():
        pending.inc(plan_cache, ("hit" if hit else "miss",))


def errors_counted(codes: Iterable[str]) -> None:
    """Count errors sent to a client, by code; unknown-looking or excess codes are OTHER."""
    if not enabled():
        return
    for code in codes:
        pending.inc(errors, (error_codes(code) if ERROR_CODE.fullmatch(code) else OTHER,))


def legacy_names_used(names: Iterable[str]) -> None:
    """Count a request's uses of legacy names (a fixed set: the shim's names)."""
    if enabled():
        for name in names:
            pending.inc(legacy_uses, (name,))


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
    pending.flush()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry)
    return generate_latest(REGISTRY)


def metrics_view(request: HttpRequest) -> HttpResponse:
    """GET /metrics for an allowed scraper; a 404 for anyone else (it does not admit it exists)."""
    if not may_scrape(request):
        return not_found(request)
    response = HttpResponse(exposition(), content_type=CONTENT_TYPE_LATEST)
    response["Cache-Control"] = "no-store"
    return response
