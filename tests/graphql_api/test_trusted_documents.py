"""Trusted documents: the frontend's documents sent by id, and the mode that runs nothing else."""

import hashlib
import json

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from config.schema import schema
from graphql_api.trusted_documents import trusted_documents
from learningplatform.models import Course
from tests.factories import CourseFactory, TaskFactory
from tests.helpers import DOCUMENTS, document, global_id

pytestmark = pytest.mark.django_db

ARBITRARY = "query { courses(first: 1) { totalCount } }"
PASSWORD = "correct horse battery staple"  # the factories'


def id_of(name: str) -> str:
    """The id a client computes: sha256 of the file's bytes, as stored."""
    return "sha256:" + hashlib.sha256((DOCUMENTS / f"{name}.graphql").read_bytes()).hexdigest()


def by_id(client, name: str, variables: dict | None = None):
    return client.post(
        "/graphql/", {"documentId": id_of(name), "variables": variables or {}},
        content_type="application/json",
    )  # fmt: skip


@pytest.fixture
def course(instructor):
    course = CourseFactory(instructor=instructor)
    TaskFactory.create_batch(2, course=course)
    return course


def operation_of(name: str) -> str:
    """`query` or `mutation`: the first word of the document after its comments."""
    text = "\n".join(line for line in document(name).splitlines() if not line.startswith("#"))
    return text.split()[0]


QUERIES = sorted(p.stem for p in DOCUMENTS.glob("*.graphql") if operation_of(p.stem) == "query")
MUTATIONS = sorted(p.stem for p in DOCUMENTS.glob("*.graphql") if operation_of(p.stem) != "query")


def variables_for(name: str, course, instructor) -> dict:
    return {
        "course_catalogue": {"first": 5},
        "course_detail": {"id": global_id(course)},
        "instructor_dashboard": {"instructor": global_id(instructor)},
    }[name]


@pytest.mark.parametrize("name", QUERIES)
def test_each_frontend_query_runs_by_id_and_as_its_text_in_trusted_only_mode(
    name, trusted_only, as_user, instructor, course
):
    client = as_user(instructor)
    variables = variables_for(name, course, instructor)
    response = by_id(client, name, variables)
    assert response.status_code == 200, response.content
    body = response.json()
    assert "errors" not in body, body
    assert next(iter(body["data"].values())) is not None
    # The same document sent as its text answers the same (its text is trusted too).
    as_text = client.post(
        "/graphql/", {"query": document(name), "variables": variables},
        content_type="application/json",
    )  # fmt: skip
    assert as_text.json() == body


class Browser:
    """A browser's client of a trusted-only server: documents by id, the CSRF token as it changes."""

    def __init__(self, address: str) -> None:
        self.client = Client(enforce_csrf_checks=True, REMOTE_ADDR=address)
        self.client.get("/graphql/", {"documentId": id_of("course_catalogue")})  # the cookie
        self.used: set[str] = set()

    def send(self, name: str, **variables) -> dict:
        """The payload of the document's one root field; fails on any error, field errors too."""
        csrf = self.client.cookies["csrftoken"].value  # login rotates it
        response = self.client.post(
            "/graphql/", {"documentId": id_of(name), "variables": variables},
            content_type="application/json", HTTP_X_CSRFTOKEN=csrf,
        )  # fmt: skip
        assert response.status_code == 200, response.content
        body = response.json()
        assert "errors" not in body, body
        (payload,) = body["data"].values()
        assert payload.get("errors", []) == [], payload
        self.used.add(name)
        return payload


def test_a_trusted_only_server_is_usable_end_to_end(trusted_only, instructor, student):
    """Issue 22: login and logout were not trusted documents, so nobody could log in."""
    teacher, learner = Browser("10.8.0.1"), Browser("10.8.0.2")
    assert (
        teacher.send("login", username=instructor.username, password=PASSWORD)["user"]["username"]
        == instructor.username
    )
    course = teacher.send("course_editor_create", input={"title": "Trusted", "duration": "P7D"})[
        "course"
    ]
    teacher.send("course_editor_update", input={"id": course["id"], "status": "PUBLISHED"})
    task = {"courseId": course["id"], "title": "Quiz", "taskType": "QUIZ", "maxScore": "20"}
    created = teacher.send("task_editor_create", input=task)["task"]
    updated = teacher.send(
        "task_editor_update", input={"id": created["id"], "status": "PUBLISHED"}
    )["task"]
    assert updated["status"] == "PUBLISHED"
    spare = teacher.send("task_editor_create", input=task | {"title": "Spare"})["task"]
    teacher.send("task_editor_delete", id=spare["id"])

    learner.send("login", username=student.username, password=PASSWORD)
    submission = learner.send("task_submit", input={"taskId": created["id"], "content": "42"})
    assert submission["submission"]["attempt"] == 1
    made = learner.send("access_token_create", input={"name": "phone", "scope": "READ"})
    assert made["token"].startswith("lpat_") and made["accessToken"]["scope"] == "READ"
    revoked = learner.send("access_token_revoke", id=made["accessToken"]["id"])
    assert revoked["accessToken"]["revokedAt"] is not None
    assert learner.send("logout") == {"ok": True}

    graded = teacher.send(
        "submission_grade", input={"submissionId": submission["submission"]["id"], "score": "18"}
    )["submission"]
    assert (graded["score"], graded["gradedBy"]["username"]) == ("18.00", instructor.username)
    teacher.send("course_editor_delete", id=course["id"])
    assert teacher.send("logout") == {"ok": True}

    # Logged out: the session is gone, so a mutation is refused as anonymous, and nothing written.
    refused = teacher.client.post(
        "/graphql/",
        {"documentId": id_of("course_editor_create"), "variables": {"input": {"title": "x"}}},
        content_type="application/json", HTTP_X_CSRFTOKEN=teacher.client.cookies["csrftoken"].value,
    )  # fmt: skip
    assert refused.json()["data"]["createCourse"]["course"] is None
    assert not Course.objects.filter(title="x").exists()
    # Every mutation document the frontend ships is one a trusted-only server was driven with.
    assert teacher.used | learner.used >= set(MUTATIONS)


def test_every_mutation_of_the_schema_has_a_trusted_document():
    sent = {
        field for name in MUTATIONS for field in schema._schema.mutation_type.fields
        if f" {field}(" in document(name) or f" {field} {{" in document(name)
    }  # fmt: skip
    assert sent == set(schema._schema.mutation_type.fields)


def test_trusted_only_refuses_an_arbitrary_document_after_one_lookup(trusted_only, client):
    with CaptureQueriesContext(connection) as captured:
        response = client.post("/graphql/", {"query": ARBITRARY}, content_type="application/json")
    assert response.status_code == 403
    (error,) = response.json()["errors"]
    assert "trusted documents only" in error["message"]
    assert "documentId" in error["message"]
    assert error["extensions"] == {"code": "DOCUMENT_NOT_TRUSTED"}
    # Only whether a client's manifest registered that text (an indexed lookup), nothing else.
    (lookup,) = captured.captured_queries
    assert "graphql_api_registereddocument" in lookup["sql"]


def test_an_arbitrary_document_runs_when_the_mode_is_off(settings, client):
    settings.GRAPHQL_TRUSTED_DOCUMENTS_ONLY = False
    CourseFactory.create_batch(2, status="PUBLISHED", visibility="PUBLIC")
    response = client.post("/graphql/", {"query": ARBITRARY}, content_type="application/json")
    assert response.json() == {"data": {"courses": {"totalCount": 2}}}


@pytest.mark.parametrize("development", ["DEBUG", "GRAPHIQL"])
def test_development_accepts_any_document_and_graphiql_works(trusted_only, client, development):
    setattr(trusted_only, development, True)
    response = client.post("/graphql/", {"query": ARBITRARY}, content_type="application/json")
    assert response.json() == {"data": {"courses": {"totalCount": 0}}}
    if development == "GRAPHIQL":
        page = client.get("/graphql/", HTTP_ACCEPT="text/html")
        assert page.status_code == 200 and b"graphiql" in page.content.lower()


def test_an_unknown_id_is_an_error_naming_it(client):
    unknown = "sha256:" + "0" * 64
    response = client.post("/graphql/", {"documentId": unknown}, content_type="application/json")
    assert response.status_code == 400
    (error,) = response.json()["errors"]
    assert unknown in error["message"] and "trusted_documents" in error["message"]


def test_both_query_and_document_id_are_refused(client):
    response = client.post(
        "/graphql/", {"documentId": id_of("course_catalogue"), "query": ARBITRARY},
        content_type="application/json",
    )  # fmt: skip
    assert response.status_code == 400
    assert "either" in response.json()["errors"][0]["message"]


def test_a_query_by_get(trusted_only, client, course):
    course.status, course.visibility = "PUBLISHED", "PUBLIC"
    course.save()
    response = client.get(
        "/graphql/",
        {"documentId": id_of("course_detail"), "variables": json.dumps({"id": global_id(course)})},
        HTTP_ACCEPT="*/*",  # curl's default: still the document, not GraphiQL
    )
    assert response.status_code == 200, response.content
    assert response.json()["data"]["course"]["title"] == course.title


def test_a_mutation_by_get_is_refused(trusted_only, as_user, instructor, course):
    client = as_user(instructor)
    variables = {"input": {"courseId": global_id(course), "title": "Quiz", "taskType": "QUIZ"}}
    response = client.get(
        "/graphql/",
        {"documentId": id_of("task_editor_create"), "variables": json.dumps(variables)},
    )
    assert response.status_code in (400, 405)
    assert "errors" in response.json()
    assert course.tasks.count() == 2


def test_a_trusted_document_over_the_cost_limit_is_still_refused(settings, client):
    settings.GRAPHQL_MAX_COST = 100  # the catalogue at first: 20 costs 440
    body = by_id(client, "course_catalogue", {"first": 20}).json()
    assert body["errors"][0]["extensions"]["code"] == "TOO_COSTLY"
    settings.GRAPHQL_MAX_COST = 1000
    assert "errors" not in by_id(client, "course_catalogue", {"first": 20}).json()


def test_the_command_lists_every_document_with_its_id(capsys):
    call_command("trusted_documents")
    listed = capsys.readouterr().out.splitlines()
    expected = sorted(f"{id_of(p.stem)}  {p.stem}" for p in DOCUMENTS.glob("*.graphql"))
    assert sorted(listed) == expected
    call_command("trusted_documents", "--json")
    manifest = json.loads(capsys.readouterr().out)
    assert manifest == {d.id: d.text for d in trusted_documents().values()}
    assert all(hashlib.sha256(t.encode()).hexdigest() == i[7:] for i, t in manifest.items())
