"""Traces on demand: one span per request and one per SQL statement (PostgreSQL), with the
operation's name on the request's span; none per resolver; nothing for probes."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from graphql_api.observability import tracing
from tests.factories import CourseFactory, TaskFactory
from tests.helpers import gql

pytestmark = pytest.mark.django_db

DEEP = "query Deep { courses(first: 5) { edges { node { title tasks(first: 5) { edges { node { title } } } } } } }"


@pytest.fixture
def spans():
    exporter = InMemorySpanExporter()
    assert tracing.tracing_start(exporter=exporter)
    connection.close()  # a server starts tracing before it connects: so must the test
    try:
        yield exporter
    finally:
        tracing.tracing_stop()


def test_tracing_is_off_without_an_endpoint(settings):
    settings.OTEL_EXPORTER_OTLP_ENDPOINT = ""
    assert tracing.tracing_start() is False
    assert not tracing.active()


@pytest.mark.django_db(transaction=True)
def test_one_span_per_request_and_per_statement_with_the_operation(spans):
    for course in CourseFactory.create_batch(3):
        TaskFactory.create_batch(4, course=course)
    client = Client()  # made after tracing started: it loads the middleware then
    spans.clear()  # the factories' statements
    with CaptureQueriesContext(connection) as captured:
        data = gql(client, DEEP)
    assert len(data["courses"]["edges"]) == 3
    finished = spans.get_finished_spans()
    (request,) = [span for span in finished if span.kind == SpanKind.SERVER]
    assert request.attributes["graphql.operation.name"] == "Deep"
    assert request.attributes["graphql.operation.type"] == "query"
    assert request.attributes.get("http.status_code") == 200
    statements = [span for span in finished if span.kind == SpanKind.CLIENT]
    if connection.vendor == "postgresql":
        assert len(statements) == len(captured)
        assert all(span.parent.span_id == request.context.span_id for span in statements)
    else:
        assert statements == []  # the psycopg instrumentation is PostgreSQL's
    # Nothing else: no span per resolver or per object (3 courses, 12 tasks).
    assert len(finished) == 1 + len(statements)


@pytest.mark.django_db(transaction=True)
def test_probes_make_no_spans(spans):
    client = Client()
    client.get("/healthz")
    client.get("/readyz")
    client.get("/metrics")
    assert spans.get_finished_spans() == ()


def test_an_endpoint_without_the_extra_installed_is_a_clear_error(settings, monkeypatch):
    import builtins

    settings.OTEL_EXPORTER_OTLP_ENDPOINT = "http://127.0.0.1:4318"
    real_import = builtins.__import__

    def no_opentelemetry(name, *args, **kwargs):
        if name.startswith("opentelemetry"):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_opentelemetry)
    from django.core.exceptions import ImproperlyConfigured

    with pytest.raises(ImproperlyConfigured, match=r"pip install '\.\[otel\]'"):
        tracing.tracing_start()
    assert not tracing.active()
