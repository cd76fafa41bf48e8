"""What an operator sees, in process: the metrics' series and labels, who may read /metrics,
/healthz and /readyz, request ids, JSON log lines, traces. The same under gunicorn with two
workers, and with the database down: test_observability_server.py."""

import io
import json
import logging
import threading

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from prometheus_client import REGISTRY

from graphql_api.observability import health, logs, metrics
from graphql_api.readpath.fallbacks import reason_class
from tests.factories import CourseFactory, TaskFactory, UserFactory
from tests.helpers import post

pytestmark = pytest.mark.django_db

TOKEN = "scrape-token-for-tests"  # noqa: S105 - a test's
CATALOGUE = "query Catalogue { courses(first: 5) { edges { node { title } } } }"
NODES = (
    'query Nodes { node(id: "Q291cnNlOjE=") { id } }'  # the read path leaves node to the executor
)
COSTLY = "query Costly { courses(first: 100) { edges { node { tasks(first: 100) { edges { node { id } } } } } } }"
CREATE = 'mutation Create { createCourse(input: {title: "x"}) { errors { code } } }'
LOGIN = 'mutation Login { login(username: "%s", password: "wrong") { errors { code } } }'
LEGACY = "query Old { learningTasks { id } }"


@pytest.fixture
def metrics_on(settings):
    settings.METRICS_TOKEN = TOKEN
    settings.METRICS_ALLOWED_IPS = []
    settings.METRICS_ENABLED = True
    metrics.operation_names.clear()
    metrics.error_codes.clear()


def value(series: str, /, **labels) -> float:
    metrics.pending.flush()  # what the requests recorded, written now rather than within a second
    return REGISTRY.get_sample_value(series, labels) or 0.0


class Deltas:
    """Series values now, to compare with after some requests."""

    def __init__(self, *series: tuple[str, dict]) -> None:
        self.series = series
        self.before = [value(name, **labels) for name, labels in series]

    def __call__(self) -> list[float]:
        pairs = zip(self.series, self.before, strict=True)
        return [value(name, **labels) - b for (name, labels), b in pairs]


def scrape(client: Client, **headers):
    return client.get("/metrics", **headers)


# --- /metrics: who may read it


def test_metrics_are_off_by_default_and_then_a_404_even_with_a_token(client, settings):
    assert settings.METRICS_ENABLED is False
    for headers in (
        {},
        {"HTTP_AUTHORIZATION": "Bearer "},
        {"HTTP_AUTHORIZATION": f"Bearer {TOKEN}"},
    ):
        response = scrape(client, **headers)
        assert response.status_code == 404
        assert response.json() == {
            "errors": [{"message": "Nothing here: the API is at /graphql/."}]
        }


@pytest.mark.parametrize(
    "authorization",
    [
        "",
        "Bearer",
        "Bearer ",
        f"Bearer {TOKEN}x",
        f"bearer {TOKEN}",
        TOKEN,
        f"Basic {TOKEN}",
        f"Bearer  {TOKEN}",
    ],
)
def test_metrics_without_the_exact_token_are_a_404_like_any_unknown_page(
    client, metrics_on, authorization
):
    response = scrape(client, HTTP_AUTHORIZATION=authorization)
    assert response.status_code == 404
    assert response.content == client.get("/no-such-page").content


def test_metrics_with_the_token_are_prometheus_text(client, metrics_on):
    response = scrape(client, HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=")
    assert "# TYPE http_request_duration_seconds histogram" in response.content.decode()


@pytest.mark.parametrize(
    ("allowed", "address", "status"),
    [
        (["10.1.2.3"], "10.1.2.3", 200),
        (["10.1.2.3"], "10.1.2.4", 404),
        (["10.0.0.0/8", "192.168.1.1"], "10.200.0.1", 200),
        (["10.0.0.0/8", "192.168.1.1"], "192.168.1.2", 404),
        (["::1"], "::1", 200),
        (["fd00::/8"], "127.0.0.1", 404),
    ],
)
def test_metrics_from_an_allowed_address_need_no_token(settings, allowed, address, status):
    settings.METRICS_TOKEN = ""
    settings.METRICS_ALLOWED_IPS = allowed
    settings.METRICS_ENABLED = True
    assert scrape(Client(REMOTE_ADDR=address)).status_code == status


def test_a_forwarded_address_counts_only_behind_trusted_proxies(settings):
    settings.METRICS_TOKEN = ""
    settings.METRICS_ALLOWED_IPS = ["10.9.9.9"]
    settings.METRICS_ENABLED = True
    forged = Client(REMOTE_ADDR="203.0.113.5", HTTP_X_FORWARDED_FOR="10.9.9.9")
    assert scrape(forged).status_code == 404
    settings.TRUSTED_PROXY_COUNT = 1
    assert (
        scrape(Client(REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="10.9.9.9")).status_code == 200
    )


# --- the series


def test_which_path_answered_each_operation_and_the_kept_plans(client, metrics_on, settings):
    CourseFactory.create_batch(2)
    deltas = Deltas(
        ("graphql_answers_total", {"path": "read_path", "reason": ""}),
        ("graphql_answers_total", {"path": "executor", "reason": "selection"}),
        ("graphql_answers_total", {"path": "executor", "reason": "mutation"}),
        ("graphql_answers_total", {"path": "executor", "reason": "kill_switch"}),
        ("graphql_plan_cache_total", {"result": "hit"}),
        ("graphql_plan_cache_total", {"result": "miss"}),
    )
    for _ in range(3):
        post(client, CATALOGUE)
    post(client, NODES)
    post(client, CREATE)  # refused (no session), but run by the executor
    settings.GRAPHQL_FAST_READS = False
    post(client, CATALOGUE)
    # 3 by the read path; the node by the executor, for a field the read path does not plan; the
    # mutation; the catalogue again with the read path switched off. Kept plans: the catalogue's
    # first request is planned by shape and kept, the second and third hits; the node's lookup
    # misses.
    assert deltas() == [3, 1, 1, 1, 2, 2]


def test_requests_are_timed_per_operation_and_trusted_document(client, metrics_on):
    from graphql_api.trusted_documents import trusted_documents

    trusted = next(iter(trusted_documents().values()))
    name = trusted.names[0]
    deltas = Deltas(
        ("http_request_duration_seconds_count",
         {"endpoint": "graphql", "operation": "Catalogue", "document": "", "status": "2xx"}),
        ("http_request_duration_seconds_count",
         {"endpoint": "graphql", "operation": name, "document": trusted.name, "status": "2xx"}),
        ("http_request_duration_seconds_count",
         {"endpoint": "graphql", "operation": "anonymous", "document": "", "status": "2xx"}),
        ("http_request_duration_seconds_count",
         {"endpoint": "other", "operation": "", "document": "", "status": "4xx"}),
    )  # fmt: skip
    post(client, CATALOGUE)
    post(client, CATALOGUE)
    client.post(
        "/graphql/", {"documentId": trusted.id, "variables": {}}, content_type="application/json"
    )
    post(client, "{ me { id } }")
    client.get("/no-such-page")
    assert deltas() == [2, 1, 1, 1]


def test_statements_and_their_time_per_request_are_what_the_request_sent(client, metrics_on):
    course = CourseFactory()
    TaskFactory.create_batch(3, course=course)
    query = "query Deep { courses(first: 5) { edges { node { title tasks(first: 5) { edges { node { title } } } } } } }"
    deltas = Deltas(
        ("http_request_sql_statements_count", {"endpoint": "graphql"}),
        ("http_request_sql_statements_sum", {"endpoint": "graphql"}),
        ("http_request_sql_seconds_count", {"endpoint": "graphql"}),
    )
    with CaptureQueriesContext(connection) as captured:
        post(client, query)
    assert len(captured) >= 2
    assert deltas() == [1, len(captured), 1]
    assert value("http_request_sql_seconds_sum", endpoint="graphql") > 0


def test_errors_are_counted_by_code_wherever_they_are_made(client, metrics_on):
    user = UserFactory()
    deltas = Deltas(
        ("api_errors_total", {"code": "TOO_COSTLY"}),
        ("api_errors_total", {"code": "NOT_AUTHENTICATED"}),
        ("api_errors_total", {"code": "INVALID_CREDENTIALS"}),
        ("api_errors_total", {"code": "GRAPHQL_VALIDATION_FAILED"}),
        ("api_errors_total", {"code": "HTTP_415"}),
        ("api_errors_total", {"code": "HTTP_404"}),
    )
    post(client, COSTLY)  # a GraphQL error with its code
    post(client, CREATE)  # a mutation's payload error
    post(client, LOGIN % user.username)
    post(client, "{ noSuchField }")  # a document GraphQL refuses
    client.post("/graphql/", "{}", content_type="text/plain")  # an error response, no code
    client.get("/no-such-page")
    assert deltas() == [1, 1, 1, 1, 1, 1]


def test_login_failures_and_lockouts(client, metrics_on, settings):
    settings.AXES_FAILURE_LIMIT = 3
    user = UserFactory()
    deltas = Deltas(("login_failures_total", {}), ("login_lockouts_total", {}),
                    ("api_errors_total", {"code": "THROTTLED"}))  # fmt: skip
    for _ in range(5):
        post(client, LOGIN % user.username)
    # 5 failures; the 3rd reached the limit and it, the 4th and the 5th were told so: 3 lockout
    # events, 3 THROTTLED answers.
    assert deltas() == [5, 3, 3]


def test_legacy_names_are_counted_per_name(client, metrics_on):
    deltas = Deltas(("legacy_name_uses_total", {"name": "Query.learningTasks"}),
                    ("legacy_name_uses_total", {"name": "LearningTask.id"}),
                    ("legacy_name_uses_total", {"name": "LearningTask.title"}))  # fmt: skip
    post(client, LEGACY)
    post(client, LEGACY)
    assert deltas() == [2, 2, 0]


def test_nothing_is_recorded_while_metrics_are_off(client, settings):
    before = value("http_request_duration_seconds_count", endpoint="graphql", operation="Catalogue",
                   document="", status="2xx")  # fmt: skip
    answers = value("graphql_answers_total", path="read_path", reason="")
    post(client, CATALOGUE)
    assert value("http_request_duration_seconds_count", endpoint="graphql", operation="Catalogue",
                 document="", status="2xx") == before  # fmt: skip
    assert value("graphql_answers_total", path="read_path", reason="") == answers


# --- bounded labels


def operation_labels() -> set[str]:
    metrics.pending.flush()
    return {
        sample.labels["operation"]
        for family in REGISTRY.collect() if family.name == "http_request_duration_seconds"
        for sample in family.samples if sample.labels.get("endpoint") == "graphql"
    }  # fmt: skip


def test_a_flood_of_operation_names_is_counted_together_past_the_cap(client, metrics_on, settings):
    settings.METRICS_MAX_OPERATIONS = 3
    before = operation_labels()
    other = value("http_request_duration_seconds_count", endpoint="graphql", operation="other",
                  document="", status="2xx")  # fmt: skip
    for n in range(40):
        post(client, f"query Flood{n} {{ me {{ id }} }}")
    new = operation_labels() - before
    assert new <= {"Flood0", "Flood1", "Flood2", "other"}
    assert value("http_request_duration_seconds_count", endpoint="graphql", operation="other",
                 document="", status="2xx") - other == 37  # fmt: skip


@pytest.mark.parametrize("name", ["not a name", "x" * 101, "é", "1abc", "a\nb"])
def test_an_operation_name_that_is_no_graphql_name_is_other(client, metrics_on, name):
    assert metrics.operation_label(name) == "other"
    body = client.post("/graphql/", {"query": "query A { me { id } }", "operationName": name},
                       content_type="application/json")  # fmt: skip
    assert body.status_code in (200, 400)
    assert name not in operation_labels()


def test_error_codes_are_bounded_too(metrics_on):
    metrics.errors_counted([f"CODE_{n}" for n in range(metrics.MAX_ERROR_CODES + 5)] + ["bad code"])
    assert value("api_errors_total", code="other") >= 6


@pytest.mark.parametrize(
    ("reason", "kind"),
    [
        ("an extension with a resolve hook (Tracer)", "resolve_hook"),
        ("@defer", "defer"),
        ("an error while reading (ValueError)", "error"),
        ("a null in a non-null relation, which the executor reports", "data"),
        ("a hidden or missing object in a non-null relation", "data"),
        ("a nested page past the end of its list", "data"),
        ("the schema was built without the read path's index", "no_index"),
        ("an argument the executor reports", "arguments"),
        ("page arguments the connection refuses", "arguments"),
        ("an id of another type, or not a primary key", "arguments"),
        ("first: 0", "arguments"),
        ("paging backwards (last/before)", "arguments"),
        ("Query.node: neither a list nor a model object by id", "selection"),
        ("User.profilePictureUrl: has a resolver", "selection"),
        ("one field selected twice under one response key", "selection"),
    ],
)
def test_every_fallback_reason_has_a_class(reason, kind):
    assert reason_class(reason) == kind


# --- /healthz and /readyz


def test_healthz_answers_without_the_database_a_session_or_https(
    settings, django_assert_num_queries
):
    settings.SECURE_SSL_REDIRECT = True
    settings.ALLOWED_HOSTS = ["api.example.com"]
    client = Client(HTTP_HOST="10.0.0.7:8000")  # a probe's host: the pod's address
    with django_assert_num_queries(0):
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert response["Content-Type"] == "application/json"
    assert not response.cookies
    assert "X-Request-ID" not in response


@pytest.mark.django_db(transaction=True)
def test_readyz_is_ready_with_the_database_up_and_every_migration_applied(settings):
    settings.SECURE_SSL_REDIRECT = True
    health.checker.forget()
    response = Client(HTTP_HOST="10.0.0.7").get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ready", "checks": {"database": "ok", "migrations": "ok"}}


@pytest.mark.django_db(transaction=True)
def test_readyz_is_unavailable_while_a_migration_is_pending_and_ready_once_applied():
    from django.db.migrations.recorder import MigrationRecorder

    health.checker.forget()
    latest = MigrationRecorder.Migration.objects.filter(app="learningplatform").latest("id")
    latest.delete()
    try:
        response = Client().get("/readyz")
        assert response.status_code == 503
        assert response.json() == {
            "status": "unavailable", "checks": {"database": "ok", "migrations": "1 pending"}
        }  # fmt: skip
    finally:
        MigrationRecorder.Migration.objects.create(app=latest.app, name=latest.name)
    assert Client().get("/readyz").status_code == 200  # checked again at once, not cached


def test_readyz_gives_up_on_a_database_that_does_not_answer(settings, monkeypatch):
    settings.READYZ_TIMEOUT_MS = 200
    stuck, release = threading.Event(), threading.Event()

    def hangs():
        stuck.set()
        release.wait(10)
        return {"database": "ok", "migrations": "ok"}

    monkeypatch.setattr(health.checker, "check", hangs)
    monkeypatch.setattr(health.checker, "running", None)
    try:
        first = Client().get("/readyz")
        second = Client().get("/readyz")  # waits on the same stuck check, starts no other
    finally:
        release.set()
    assert stuck.is_set()
    for response in (first, second):
        assert response.status_code == 503
        assert response.json()["checks"]["database"] == "no answer within 200 ms"


def test_probes_are_never_throttled_nor_given_a_session(client, settings):
    settings.AXES_FAILURE_LIMIT = 1
    post(client, LOGIN % "nobody")  # this address is now locked out
    for path in ("/healthz", "/readyz"):
        response = client.get(path)
        assert response.status_code in (200, 503)
        assert "sessionid" not in response.cookies and "csrftoken" not in response.cookies


# --- request ids and log lines


@pytest.fixture
def json_lines(settings):
    """Every log line written meanwhile, as the JSON console handler writes it."""
    settings.LOG_FORMAT = "json"
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(logs.RequestContextFilter())
    handler.setFormatter(logs.JsonFormatter())
    root = logging.getLogger()
    root.addHandler(handler)
    level = root.level
    root.setLevel(logging.INFO)
    try:
        yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


def test_a_valid_request_id_is_kept_and_on_every_log_line_of_its_request(client, json_lines):
    response = client.post("/graphql/", {"query": "query Broken { noSuchField }"},
                           content_type="application/json", HTTP_X_REQUEST_ID="req-42.a:b_c")  # fmt: skip
    assert response["X-Request-ID"] == "req-42.a:b_c"
    lines = json_lines()
    assert len(lines) >= 2  # GraphQL's error (INFO) and the request's own line
    assert {line["request_id"] for line in lines} == {"req-42.a:b_c"}
    summary = lines[-1]
    assert summary["logger"] == "graphql_api.requests"
    assert summary["status"] == response.status_code
    assert summary["method"] == "POST" and summary["path"] == "/graphql/"
    assert summary["duration_ms"] > 0
    assert set(summary) >= {"time", "level", "logger", "message", "request_id", "operation"}


def test_the_operation_is_on_the_log_lines_written_while_it_runs(client, json_lines):
    post(client, "query Named($x: Int) { courses(first: $x) { totalCount } }", {"x": 1000})
    lines = json_lines()
    errors = [line for line in lines if line["logger"] == "graphql_api.errors"]
    assert errors and all(line["operation"] == "Named" for line in errors)


@pytest.mark.parametrize(
    "forged",
    ["x" * 129, "evil\nINFO forged line", "a\x00b", "has space", 'quote"d', "", "-leading", "é"],
)
def test_a_forged_request_id_is_replaced_and_never_logged(client, json_lines, forged):
    response = client.post("/graphql/", {"query": "{ noSuchField }"},
                           content_type="application/json", HTTP_X_REQUEST_ID=forged)  # fmt: skip
    made = response["X-Request-ID"]
    assert made != forged and len(made) == 32 and int(made, 16) >= 0
    lines = json_lines()
    assert lines and {line["request_id"] for line in lines} == {made}
    if forged:
        assert all(forged not in json.dumps(line) for line in lines)


def test_each_request_gets_its_own_id(client):
    ids = {client.get("/no-such-page")["X-Request-ID"] for _ in range(20)}
    assert len(ids) == 20


def test_a_json_line_survives_text_orjson_refuses():
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "lone \ud800 surrogate", (), None)
    line = logs.JsonFormatter().format(record)
    assert "\n" not in line and json.loads(line)["message"] == "lone \ud800 surrogate"


# --- the dashboard and the alerts read only series the server exports

SERIES_IN = __import__("re").compile(r"\b([a-z_]+_(?:total|count|sum|bucket))\b")


def exported_series() -> set[str]:
    return {
        sample_name
        for family in REGISTRY.collect() if family.name.startswith(tuple(SERIES_PREFIXES))
        for sample_name in (f"{family.name}_total", f"{family.name}_count", f"{family.name}_sum",
                            f"{family.name}_bucket")
    }  # fmt: skip


SERIES_PREFIXES = ("http_request", "graphql_", "api_errors", "login_", "legacy_name", "database_")


@pytest.mark.parametrize("source", ["docs/grafana-dashboard.json", "docs/operations.md"])
def test_the_dashboard_and_the_alerts_use_only_series_the_server_exports(source):
    from tests.helpers import ROOT

    text = (ROOT / source).read_text()
    if source.endswith(".json"):
        panels = json.loads(text)["panels"]
        text = " ".join(target["expr"] for panel in panels for target in panel["targets"])
    used = set(SERIES_IN.findall(text))
    assert used, source
    assert used <= exported_series(), used - exported_series()


def test_healthz_writes_no_pending_record_even_when_one_is_due(settings, django_assert_num_queries):
    """A probe answers without the database even when the legacy-usage and fallback records are
    due to be written (once a minute, after some request's response): the next request writes
    them."""
    from graphql_api.bounded import RECORDERS

    settings.ALLOWED_HOSTS = ["*"]
    assert len(RECORDERS) >= 2  # the read path's fallbacks and the legacy names' usage
    for pending in RECORDERS:
        pending.add(("probe-test", "x"))
        pending.flushed_at -= 3600  # due
    assert all(pending.due() for pending in RECORDERS)
    with django_assert_num_queries(0):
        assert Client().get("/healthz").status_code == 200
    assert all(pending.due() for pending in RECORDERS)  # still pending, for the next request
    for pending in RECORDERS:
        pending.pending.take()  # leave nothing of this test's made-up keys
