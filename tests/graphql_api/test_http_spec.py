"""The GraphQL-over-HTTP specification, to the letter: media types, `data`, status codes, 405s.

The graphql-http audit suite checks the same over a real server (test_http_audit.py); these
cover every kind of error before execution and every method, per media type.
"""

import pytest
from django.test import Client

from learningplatform.models import Course
from tests.factories import CourseFactory

pytestmark = pytest.mark.django_db

NEW = "application/graphql-response+json"
NEW_TYPE = f"{NEW}; charset=utf-8"

# Accept header -> the media type of the answer
NEGOTIATION = [
    (None, "application/json"),
    ("application/json", "application/json"),
    ("*/*", "application/json"),
    ("application/*", "application/json"),
    ("text/html", "application/json"),  # nothing acceptable: the legacy type, as the spec allows
    (NEW, NEW_TYPE),
    (f"{NEW}, application/json;q=0.9", NEW_TYPE),  # what Apollo Client 4 sends
    (f"application/json;q=0.5, {NEW}", NEW_TYPE),
    (f"{NEW};q=0.1, application/json", "application/json"),
]

# Errors raised before execution starts: the answer has no `data` entry.
BEFORE_EXECUTION = {
    "syntax": ("{ courses {", {}),
    "unknown field": ("{ courses { totlCount } }", {}),
    "unused variable": ("query($id: ID!) { __typename }", {"id": "x"}),
    "variable coercion": ("query($id: ID!) { node(id: $id) { id } }", {"id": None}),
    "variable type": ("query($n: Int) { courses(first: $n) { totalCount } }", {"n": "many"}),
    "depth": (
        "{ courses { edges { node { tasks { edges { node { course { tasks { edges { node { course { id } } } } } } } } } } } }",
        {},
    ),
    "cost": (
        "{ courses(first: 100) { edges { node { tasks(first: 100) { edges { node { id } } } } } } }",
        {},
    ),
    "unnamed operations": ("query A { __typename } query B { __typename }", {}),
}


def send(client: Client, query: str, variables: dict | None = None, accept: str | None = None):
    extra = {"HTTP_ACCEPT": accept} if accept else {}
    return client.post(
        "/graphql/", {"query": query, "variables": variables or {}},
        content_type="application/json", **extra,
    )  # fmt: skip


class TestMediaType:
    @pytest.mark.parametrize(("accept", "media_type"), NEGOTIATION)
    def test_the_answer_is_in_the_type_the_client_prefers(self, client, accept, media_type):
        response = send(client, "{ __typename }", accept=accept)
        assert response.status_code == 200
        assert response["Content-Type"] == media_type
        assert response.json() == {"data": {"__typename": "Query"}}

    @pytest.mark.parametrize(("accept", "media_type"), NEGOTIATION)
    def test_get_negotiates_alike(self, client, accept, media_type):
        extra = {"HTTP_ACCEPT": accept} if accept else {}
        response = client.get("/graphql/", {"query": "{ __typename }"}, **extra)
        if accept == "text/html":
            return  # a browser's GET without a query opens GraphiQL; with one it gets JSON
        assert response["Content-Type"] == media_type
        assert response.json() == {"data": {"__typename": "Query"}}


class TestErrorsBeforeExecution:
    @pytest.mark.parametrize("kind", BEFORE_EXECUTION)
    def test_have_no_data_entry_and_a_400_in_the_new_type(self, client, kind):
        query, variables = BEFORE_EXECUTION[kind]
        response = send(client, query, variables, accept=NEW)
        assert response.status_code == 400
        assert response["Content-Type"] == NEW_TYPE
        body = response.json()
        assert "data" not in body and body["errors"], body

    @pytest.mark.parametrize("kind", BEFORE_EXECUTION)
    def test_have_no_data_entry_and_a_200_in_json(self, client, kind):
        query, variables = BEFORE_EXECUTION[kind]
        response = send(client, query, variables, accept="application/json")
        assert response.status_code == 200
        body = response.json()
        assert "data" not in body and body["errors"], body

    @pytest.mark.parametrize("kind", BEFORE_EXECUTION)
    def test_over_get_too(self, client, kind):
        import json

        query, variables = BEFORE_EXECUTION[kind]
        response = client.get(
            "/graphql/", {"query": query, "variables": json.dumps(variables)}, HTTP_ACCEPT=NEW
        )
        assert response.status_code == 400
        assert "data" not in response.json()


class TestErrorsDuringExecution:
    @pytest.mark.parametrize("accept", [None, "application/json", NEW])
    def test_keep_data_and_a_200(self, client, accept):
        CourseFactory()
        query = '{ a: courses { totalCount } b: course(id: "nonsense") { id } }'
        response = send(client, query, accept=accept)
        assert response.status_code == 200
        body = response.json()
        assert body["data"] == {"a": {"totalCount": 1}, "b": None}
        assert body["errors"][0]["path"] == ["b"]

    @pytest.mark.parametrize("accept", [None, "application/json", NEW])
    def test_a_failed_non_null_root_field_keeps_data_null_and_a_200(self, client, accept):
        response = send(client, "{ courses(first: 101) { totalCount } }", accept=accept)
        assert response.status_code == 200
        body = response.json()
        assert body["data"] is None and body["errors"][0]["path"] == ["courses"]

    def test_a_mutation_refused_in_its_payload_is_a_200_with_data(self, client):
        response = send(
            client, 'mutation { createCourse(input: {title: "x"}) { errors { code } } }', accept=NEW
        )
        assert response.status_code == 200
        assert response.json() == {
            "data": {"createCourse": {"errors": [{"code": "NOT_AUTHENTICATED"}]}}
        }


MUTATION = 'mutation { createCourse(input: {title: "Over GET"}) { course { id } } }'


class TestMethods:
    @pytest.mark.parametrize("accept", [None, "application/json", NEW])
    def test_a_mutation_over_get_is_a_405_that_allows_post(self, client, instructor, accept):
        client.force_login(instructor)
        extra = {"HTTP_ACCEPT": accept} if accept else {}
        response = client.get("/graphql/", {"query": MUTATION}, **extra)
        assert response.status_code == 405
        assert response["Allow"] == "POST"
        assert response.json() == {
            "errors": [{"message": "Mutations are not allowed over GET: send them by POST."}]
        }
        assert not Course.objects.exists()

    def test_a_named_mutation_chosen_over_get_is_refused_too(self, client):
        document = "query Q { __typename } mutation M { logout { ok } }"
        response = client.get("/graphql/", {"query": document, "operationName": "M"})
        assert response.status_code == 405 and response["Allow"] == "POST"
        chosen_query = client.get("/graphql/", {"query": document, "operationName": "Q"})
        assert chosen_query.json() == {"data": {"__typename": "Query"}}

    @pytest.mark.parametrize("method", ["PUT", "PATCH", "DELETE", "HEAD", "TRACE"])
    def test_other_methods_are_a_405_that_allows_get_and_post(self, client, method):
        response = client.generic(method, "/graphql/", '{"query": "{ __typename }"}',
                                  content_type="application/json")  # fmt: skip
        assert response.status_code == 405
        assert response["Allow"] == "GET, POST"
        if method != "HEAD":
            assert response.json() == {
                "errors": [{"message": f"/graphql/ takes GET and POST, not {method}."}]
            }

    def test_options_says_what_is_allowed(self, client):
        response = client.options("/graphql/")
        assert response.status_code == 204
        assert response["Allow"] == "GET, POST, OPTIONS"
