"""gunicorn settings for production: `gunicorn -c config/gunicorn.py`."""

import gc
import multiprocessing
import os
import shutil
import tempfile

from gunicorn.glogging import Logger

wsgi_app = "config.wsgi:application"
bind = os.environ.get("BIND", "0.0.0.0:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2))
# A request that runs longer than this is cut off and its worker replaced; the request's database
# deadline (DB_STATEMENT_TIMEOUT_MS, 10 s from its start) stops its queries first.
timeout = int(os.environ.get("REQUEST_TIMEOUT", "12"))
graceful_timeout = 10
# gunicorn's own answers (a request line or headers over these limits, a malformed request, a
# request cut off by the timeout) in JSON with a code, as the application answers.
worker_class = "config.gunicorn_worker.JSONErrorWorker"
# The longest request line gunicorn accepts (its maximum; its default is 4094): a GET carries a
# trusted document's id and its variables, a document's text goes in a POST body (256 KiB).
limit_request_line = 8190
max_requests = 5000
max_requests_jitter = 500
accesslog = "-"
# The request's id (X-Request-ID, taken or made by the application) ends each access log line.
access_log_format = (
    '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" %({x-request-id}o)s'
)
JSON_LOGS = os.environ.get("LOG_FORMAT", "plain") == "json"
if JSON_LOGS:
    accesslog = None  # the application logs each request as a JSON line of its own
# Health probes and scrapes come every few seconds and say nothing: not in the access log. A
# refused scrape (a 404) is logged: someone looking for the metrics is worth seeing.
PROBES = frozenset({"/healthz", "/readyz"})


class ServerLogger(Logger):
    """gunicorn's logger, without the probes' access lines, and JSON lines with LOG_FORMAT=json."""

    def setup(self, cfg) -> None:
        super().setup(cfg)
        if JSON_LOGS:
            from graphql_api.observability.logs import JsonFormatter

            for handler in self.error_log.handlers:
                handler.setFormatter(JsonFormatter())

    def access(self, resp, req, environ, request_time) -> None:
        path = environ.get("PATH_INFO")
        if path in PROBES or (path == "/metrics" and str(resp.status).startswith("200")):
            return
        super().access(resp, req, environ, request_time)


logger_class = ServerLogger

# The application (settings, URLs, the schema and its read path index) is loaded once in the
# master, before the workers fork: a worker replaced after max_requests serves its first request
# at once instead of importing the schema first, and the workers share those pages.
preload_app = os.environ.get("PRELOAD_APP", "1") != "0"


# Kept plans of the shipped queries, for every kind of viewer, made before anyone is served
# (graphql_api/warm_plans.py): with preload_app, once in the master, and every worker forked
# from it (a replacement after max_requests too) starts with them; else in each worker.
WARM_PLANS = os.environ.get("WARM_PLANS", "1") != "0"


def warm(log) -> None:
    if WARM_PLANS:
        from config.schema import schema
        from graphql_api.warm_plans import warm_plans

        log.info("Kept plans made before serving: %d requests", warm_plans(schema))


def when_ready(server) -> None:
    """Warm the plans, then freeze what start-up made: the collector never walks it again (nor
    copies its pages)."""
    if server.cfg.preload_app:
        warm(server.log)
    gc.collect()
    gc.freeze()


def post_worker_init(worker) -> None:
    if not worker.cfg.preload_app:
        warm(worker.log)


# Prometheus metrics (on when METRICS_TOKEN or METRICS_ALLOWED_IPS is set): each worker writes its
# values to files in one folder, which /metrics adds up. The folder is made here, in the master,
# before the application is imported anywhere (prometheus-client reads the variable on import),
# readable by this user only, and removed when the server stops; a worker that exits has its
# live values dropped (its counts stay, as counters must).
METRICS_DIR = None
METRICS_ON = bool(os.environ.get("METRICS_TOKEN") or os.environ.get("METRICS_ALLOWED_IPS"))
if METRICS_ON and not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    METRICS_DIR = tempfile.mkdtemp(prefix="learningplatform-metrics-")  # mode 0700
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = METRICS_DIR


def child_exit(server, worker) -> None:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)


def on_exit(server) -> None:
    if METRICS_DIR is not None:
        shutil.rmtree(METRICS_DIR, ignore_errors=True)
