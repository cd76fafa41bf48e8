"""ASGI entry point, for uvicorn and other ASGI servers."""

import os

from django.core.asgi import get_asgi_application

from graphql_api.observability.tracing import tracing_start

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DB_STATEMENT_TIMEOUT_MS", "10000")

# Before the application loads its middleware: Django's instrumentation adds one of its own.
tracing_start()
application = get_asgi_application()
