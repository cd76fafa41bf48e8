"""Fuzzing /graphql/ with documents generated from schema.graphql (hypothesis-graphql).

Valid queries and mutations, sent as anonymous, student, instructor and staff through the real
HTTP stack with CSRF enforced: never a 5xx, never an unexpected (masked) error, never a leaked
internal, and a refused mutation writes nothing. Invalid documents: refused before any SQL runs.

Derandomized, so a failure reproduces. FUZZ_EXAMPLES sets the cases per test (default 100);
README.md, "Tests", shows the long run.
"""

import pytest
from django.db import connection
from django.db.models import Max, Sum
from django.test import Client
from django.test.utils import CaptureQueriesContext
from hypothesis import given
from hypothesis_graphql import Mode, from_schema

from learningplatform.models import Course, Submission, Task
from tests.factories import (
    InstructorFactory,
    StaffFactory,
    SubmissionFactory,
    TaskFactory,
    UserFactory,
)
from tests.helpers import FUZZ, LEAKS, SCALARS, SDL

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(db):
    instructor = InstructorFactory()
    task = TaskFactory(course__instructor=instructor)
    SubmissionFactory(task=task)
    TaskFactory(task_type="QUIZ", course=task.course, time_limit=20)
    return {
        "anonymous": None,
        "student": UserFactory(),
        "instructor": instructor,
        "staff": StaffFactory(),
    }


def client_for(user) -> Client:
    client = Client(enforce_csrf_checks=True)
    if user is not None:
        client.force_login(user)
        client.get("/graphql/", {"query": "{ me { id } }"})  # the CSRF cookie, as a browser gets it
    return client


def send(client: Client, document: str):
    token = client.cookies["csrftoken"].value if "csrftoken" in client.cookies else ""
    return client.post(
        "/graphql/", {"query": document}, content_type="application/json", HTTP_X_CSRFTOKEN=token
    )


def fingerprint() -> tuple:
    return tuple(
        (model.objects.count(), *model.objects.aggregate(Sum("id"), Max("updated_at")).values())
        if hasattr(model, "updated_at") else (model.objects.count(), model.objects.aggregate(Sum("id"))["id__sum"])
        for model in (Course, Task, Submission)
    )  # fmt: skip


def check_answer(response) -> dict:
    assert response.status_code < 500, response.content[:500]
    body = response.json()
    for error in body.get("errors", []):
        assert error["message"] != "Unexpected error.", body
        assert not any(leak in error["message"] for leak in LEAKS), error
    return body


def all_refused(body: dict) -> bool:
    """Every mutation of the document was refused (root fields run independently in GraphQL)."""
    data = body.get("data") or {}
    return all(payload is None or payload.get("errors") for payload in data.values())


@pytest.mark.parametrize("role", ["anonymous", "student", "instructor", "staff"])
def test_valid_queries_never_fail_unexpectedly(world, role):
    client = client_for(world[role])

    @FUZZ
    @given(
        document=from_schema(
            SDL,
            custom_scalars=SCALARS,
            fields=[
                "courses",
                "course",
                "tasks",
                "task",
                "node",
                "me",
                "learningTasks",
                "quizTasks",
            ],
        )
    )
    def run(document):
        check_answer(send(client, document))

    run()


@pytest.mark.parametrize("role", ["anonymous", "student", "instructor", "staff"])
def test_valid_mutations_never_fail_unexpectedly_and_refusals_write_nothing(world, role):
    client = client_for(world[role])
    mutations = [
        "createCourse",
        "updateCourse",
        "deleteCourse",
        "createTask",
        "updateTask",
        "deleteTask",
        "submitTask",
        "gradeSubmission",
    ]

    @FUZZ
    @given(document=from_schema(SDL, custom_scalars=SCALARS, fields=mutations))
    def run(document):
        before = fingerprint()
        body = check_answer(send(client, document))
        if all_refused(body):
            assert fingerprint() == before, body

    run()


def test_invalid_documents_are_refused_before_any_sql(world):
    client = Client(enforce_csrf_checks=True)

    @FUZZ
    @given(document=from_schema(SDL, mode=Mode.NEGATIVE, custom_scalars=SCALARS))
    def run(document):
        with CaptureQueriesContext(connection) as captured:
            body = check_answer(send(client, document))
        assert body.get("errors"), body
        assert captured.captured_queries == []

    run()
