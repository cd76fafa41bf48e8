"""OpenTelemetry traces, on only when OTEL_EXPORTER_OTLP_ENDPOINT is set.

`tracing_start` (called by the WSGI and ASGI entry points, before the application loads its
middleware) instruments Django (one span per request) and psycopg (one span per SQL statement,
a child of its request's), and exports them over OTLP/HTTP in batches; the SDK reads the other
OTEL_* variables itself (OTEL_SERVICE_NAME, headers, sampling). No span is made per resolver:
the operation's name, type and trusted document are attributes of the request's span
(`operation_named`). Off, nothing of OpenTelemetry is imported. SQLite statements get no span
(the psycopg instrumentation is PostgreSQL's).
"""

import contextlib

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

# Probes and scrapes make no trace.
EXCLUDED_URLS = "healthz,readyz,metrics"
SERVICE_NAME = "learningplatform-api"

_instrumented: list = []  # the instrumentors started, to stop them again (tests)


def active() -> bool:
    return bool(_instrumented)


def tracing_start(*, exporter=None) -> bool:
    """Start tracing if asked (the endpoint is set, or a test gives an exporter); whether it did.

    A test's exporter gets each span as it ends; the OTLP exporter gets them in batches.
    """
    if active() or (exporter is None and not settings.OTEL_EXPORTER_OTLP_ENDPOINT):
        return active()
    try:
        from opentelemetry.instrumentation.django import DjangoInstrumentor
        from opentelemetry.instrumentation.psycopg import PsycopgInstrumentor
        from opentelemetry.sdk.resources import SERVICE_NAME as SERVICE_NAME_KEY
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor
    except ImportError:
        raise ImproperlyConfigured(
            "OTEL_EXPORTER_OTLP_ENDPOINT is set but OpenTelemetry is not installed: "
            "pip install '.[otel]'."
        ) from None
    provider = TracerProvider(resource=Resource.create({SERVICE_NAME_KEY: SERVICE_NAME}))
    if exporter is None:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    else:
        provider.add_span_processor(SimpleSpanProcessor(exporter))
    django = DjangoInstrumentor()
    django.instrument(tracer_provider=provider, excluded_urls=EXCLUDED_URLS)
    psycopg = PsycopgInstrumentor()
    psycopg.instrument(tracer_provider=provider, skip_dep_check=True)
    _instrumented.extend([django, psycopg])
    return True


def tracing_stop() -> None:
    """Stop tracing (tests: the next request is not traced)."""
    while _instrumented:
        _instrumented.pop().uninstrument()


def untraced():
    """A block whose statements make no spans (the readiness probe's)."""
    if not active():
        return contextlib.nullcontext()
    from opentelemetry.instrumentation.utils import suppress_instrumentation

    return suppress_instrumentation()


def operation_named(*, name: str, operation_type: str, document: str) -> None:
    """Name the GraphQL operation on the current request's span."""
    from opentelemetry import trace

    span = trace.get_current_span()
    span.set_attribute("graphql.operation.name", name)
    span.set_attribute("graphql.operation.type", operation_type)
    if document:
        span.set_attribute("graphql.document.name", document)
