"""Trusted documents: the frontend's documents sent by id, and the mode that runs nothing else."""

import hashlib
import json

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from graphql_api.trusted_documents import trusted_documents
from tests.factories import CourseFactory, TaskFactory
from tests.helpers import DOCUMENTS, document, global_id

pytestmark = pytest.mark.django_db

ARBITRARY = "query { courses(first: 1) { totalCount } }"


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


def variables_for(name: str, course, instructor, client) -> dict:
    if name == "course_catalogue":
        return {"first": 5}
    if name == "course_detail":
        return {"id": global_id(course)}
    if name == "instructor_dashboard":
        return {"instructor": global_id(instructor)}
    task_input = {
        "courseId": global_id(course), "title": "Quiz", "taskType": "QUIZ", "maxScore": "20",
        "passingScore": "12",
    }  # fmt: skip
    if name == "task_editor_create":
        return {"input": task_input}
    created = by_id(client, "task_editor_create", {"input": task_input}).json()
    return {"input": {"id": created["data"]["createTask"]["task"]["id"], "title": "Renamed"}}


@pytest.mark.parametrize("name", sorted(p.stem for p in DOCUMENTS.glob("*.graphql")))
def test_each_frontend_document_runs_by_id_in_trusted_only_mode(
    name, trusted_only, as_user, instructor, course
):
    client = as_user(instructor)
    client.get("/graphql/", {"documentId": id_of("course_catalogue")})  # the csrftoken cookie
    csrf = {"HTTP_X_CSRFTOKEN": client.cookies["csrftoken"].value}
    variables = variables_for(name, course, instructor, client)
    response = client.post(
        "/graphql/", {"documentId": id_of(name), "variables": variables},
        content_type="application/json", **csrf,
    )  # fmt: skip
    assert response.status_code == 200, response.content
    body = response.json()
    assert "errors" not in body, body
    payload = next(iter(body["data"].values()))
    assert payload is not None
    if name.startswith("task_editor"):
        assert payload["errors"] == []
        assert payload["task"]["title"] == ("Quiz" if name.endswith("create") else "Renamed")
    # The same document sent as its text answers the same (its text is trusted too).
    if not name.startswith("task_editor"):
        as_text = client.post(
            "/graphql/", {"query": document(name), "variables": variables},
            content_type="application/json", **csrf,
        )  # fmt: skip
        assert as_text.json() == body


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
