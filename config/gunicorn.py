"""gunicorn settings for production: `gunicorn -c config/gunicorn.py`."""

import gc
import multiprocessing
import os

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

# The application (settings, URLs, the schema and its read path index) is loaded once in the
# master, before the workers fork: a worker replaced after max_requests serves its first request
# at once instead of importing the schema first, and the workers share those pages.
preload_app = os.environ.get("PRELOAD_APP", "1") != "0"


def when_ready(server) -> None:
    """Freeze what start-up made: the collector then never walks it again (nor copies its pages)."""
    gc.collect()
    gc.freeze()
