"""Uses of legacy names are counted per name and client, cheaply and boundedly, and reported."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from legacy_shim import usage
from legacy_shim.models import LegacyNameUse
from tests.factories import TaskFactory
from tests.helpers import fresh_import

pytestmark = pytest.mark.django_db

LEGACY = "{ learningTasks { id dueDate } }"
NEW = "{ tasks { totalCount } }"


def send(query: str, **headers) -> dict:
    response = Client().post(
        "/graphql/", {"query": query}, content_type="application/json", **headers
    )
    assert response.status_code == 200
    return response.json()


def uses() -> dict[tuple[str, str], int]:
    """The counts as the table holds them once this process has written its own."""
    usage.flush_usage()
    return {(u.name, u.client): u.uses for u in LegacyNameUse.objects.all()}


def test_each_legacy_field_is_counted_per_client():
    TaskFactory(task_type="LEARNING")
    send(LEGACY, HTTP_X_CLIENT_NAME="mobile/3.2")
    send(LEGACY, HTTP_X_CLIENT_NAME="mobile/3.2")
    send("{ quizTasks { id } }", HTTP_USER_AGENT="old-dashboard (Linux)")
    assert uses() == {
        ("Query.learningTasks", "mobile/3.2"): 2,
        ("LearningTask.id", "mobile/3.2"): 2,
        ("LearningTask.dueDate", "mobile/3.2"): 2,
        ("Query.quizTasks", "old-dashboard (Linux)"): 1,
        ("QuizTask.id", "old-dashboard (Linux)"): 1,
    }


def test_new_names_and_invalid_documents_record_nothing():
    send(NEW, HTTP_X_CLIENT_NAME="web")
    send("{ learningTasks { nope } }", HTTP_X_CLIENT_NAME="web")
    assert uses() == {}


def test_counting_costs_no_statement_until_the_flush_writes_each_count_once(monkeypatch):
    # No write falls due during the requests, however long since this worker's last one.
    monkeypatch.setattr(usage, "FLUSH_SECONDS", 3600)
    with CaptureQueriesContext(connection) as requests:
        for _ in range(5):
            send(LEGACY, HTTP_X_CLIENT_NAME="mobile")
    assert not any("legacynameuse" in q["sql"] for q in requests.captured_queries)
    with CaptureQueriesContext(connection) as flush:
        usage.flush_usage()
    written = [q["sql"] for q in flush.captured_queries if "legacy_shim_legacynameuse" in q["sql"]]
    assert len(written) <= 1 + 2 * 3  # the client list, then per name an UPDATE (+ an INSERT)
    assert uses()[("Query.learningTasks", "mobile")] == 5


def test_the_counts_are_written_after_a_response_once_due(monkeypatch):
    monkeypatch.setattr(usage, "FLUSH_SECONDS", 0)
    send(LEGACY, HTTP_X_CLIENT_NAME="mobile")
    assert LegacyNameUse.objects.filter(client="mobile").count() == 3  # without a flush call


def test_anonymous_requests_without_headers_are_counted():
    send(LEGACY)
    assert uses()[("Query.learningTasks", "unknown")] == 1


def test_client_names_are_cut_to_a_bounded_length():
    send(LEGACY, HTTP_X_CLIENT_NAME="x" * 10_000 + "\x07")
    (client,) = {client for _name, client in uses()}
    assert client == "x" * usage.CLIENT_NAME_LENGTH


def test_beyond_the_client_limit_new_clients_count_as_other(monkeypatch):
    monkeypatch.setattr(usage, "MAX_CLIENTS", 3)
    for n in range(6):
        send(LEGACY, HTTP_X_CLIENT_NAME=f"forged-{n}")
    send(LEGACY, HTTP_X_CLIENT_NAME="forged-0")  # a known client keeps its own row
    counted = uses()
    assert {client for _name, client in counted} == {"forged-0", "forged-1", "forged-2", "other"}
    assert counted[("Query.learningTasks", "forged-0")] == 2
    assert counted[("Query.learningTasks", "other")] == 3


def test_between_writes_the_counts_held_in_memory_are_bounded(monkeypatch):
    monkeypatch.setattr(usage, "MAX_PENDING", 3)  # (name, client) counts
    for n in range(50):
        send(LEGACY, HTTP_X_CLIENT_NAME=f"forged-{n}-" + "x" * 50)
        assert len(usage.usage_counts.pending) <= 3 + 3  # and one "other" per name
    counted = uses()
    assert {client for _name, client in counted} == {"forged-0-" + "x" * 50, "other"}
    assert counted[("Query.learningTasks", "other")] == 49  # nothing lost


def test_python_imports_are_counted():
    fresh_import("tasks.models")
    usage.flush_usage()
    (use,) = LegacyNameUse.objects.filter(name="import tasks.models")
    assert use.uses == 1 and use.client.startswith("python ")


def test_legacy_usage_reports_names_clients_and_dates():
    send(LEGACY, HTTP_X_CLIENT_NAME="mobile/3.2")
    out = StringIO()
    call_command("legacy_usage", stdout=out)
    lines = out.getvalue().splitlines()
    assert lines[0].split() == [
        "name",
        "client",
        "uses",
        "first",
        "used",
        "(UTC)",
        "last",
        "used",
        "(UTC)",
    ]
    assert any(line.startswith("Query.learningTasks") and "mobile/3.2" in line for line in lines)
    tomorrow = (timezone.now() + timedelta(days=1)).date().isoformat()
    out = StringIO()
    call_command("legacy_usage", "--since", tomorrow, stdout=out)
    assert out.getvalue().startswith(f"No legacy name has been used since {tomorrow} 00:00 UTC.")
