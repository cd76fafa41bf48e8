"""Uses of legacy names are counted per name and client, cheaply, and reported."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from legacy_shim.models import LegacyNameUse
from tests.factories import TaskFactory
from tests.legacy_shim.test_python_names import fresh_import

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


def test_a_counted_request_costs_one_statement_more():
    send(LEGACY, HTTP_X_CLIENT_NAME="mobile")  # the first use of each name also inserts
    with CaptureQueriesContext(connection) as legacy:
        send(LEGACY, HTTP_X_CLIENT_NAME="mobile")
    with CaptureQueriesContext(connection) as new:
        send("{ tasks { edges { node { id deadline } } } }", HTTP_X_CLIENT_NAME="mobile")
    counted = [q["sql"] for q in legacy.captured_queries if "legacy_shim_legacynameuse" in q["sql"]]
    assert len(counted) == 1 and counted[0].startswith("UPDATE")
    assert not any("legacynameuse" in q["sql"] for q in new.captured_queries)


def test_python_imports_are_counted():
    fresh_import("tasks.models")
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
