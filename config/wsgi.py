"""WSGI entry point, for gunicorn and other WSGI servers."""

import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

from graphql_api.observability.tracing import tracing_start

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DB_STATEMENT_TIMEOUT_MS", "10000")

# Before the application loads its middleware: Django's instrumentation adds one of its own.
tracing_start()
application = get_wsgi_application()
# The URLs, and with them the schema and its read path index, now: gunicorn's master (preload_app)
# then shares them with every worker, and no worker's first request pays for the import (which
# counts against that request's database deadline and gunicorn's timeout).
get_resolver().url_patterns  # noqa: B018 - evaluated for its import

# Each read replica answers now, or is logged and skipped until it does (never fatal).
from learningplatform.replicas import replicas_check_at_startup  # noqa: E402

replicas_check_at_startup()
