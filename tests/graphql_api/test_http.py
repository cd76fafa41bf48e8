"""The endpoint's HTTP rules and per-request limits, as a client meets them."""

import json
import uuid

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from graphql_api.schema import MAX_ALIASES, MAX_DEPTH
from learningplatform.models import Course
from tests.factories import CourseFactory
from tests.helpers import errors_of, gql, post

pytestmark = pytest.mark.django_db

CREATE = 'mutation { createCourse(input: {title: "Forged"}) { course { id } errors { code } } }'


def nested(depth: int) -> str:
    """A query whose deepest field is `depth` levels below the root field."""
    cycle = ["courses(first: 1)", "edges", "node", "instructor"]
    leaf = {"courses(first: 1)": "totalCount", "edges": "cursor", "node": "id", "instructor": "id"}
    names = [cycle[level % 4] for level in range(depth)]
    query = leaf[names[-1]]
    for name in reversed(names):
        query = f"{name} {{ {query} }}"
    return "{ " + query + " }"


class TestCsrf:
    def test_session_post_without_token_is_refused(self, instructor):
        client = Client(enforce_csrf_checks=True)
        client.force_login(instructor)
        response = client.post("/graphql/", {"query": CREATE}, content_type="application/json")
        assert response.status_code == 403
        assert "CSRF" in response.json()["errors"][0]["message"]
        assert not Course.objects.exists()

    def test_session_post_with_token_is_accepted(self, instructor):
        client = Client(enforce_csrf_checks=True)
        client.force_login(instructor)
        client.get("/graphql/", {"query": "{ me { id } }"})  # any GET hands out the token
        token = client.cookies["csrftoken"].value
        response = client.post(
            "/graphql/", {"query": CREATE}, content_type="application/json", HTTP_X_CSRFTOKEN=token
        )
        assert response.status_code == 200, response.content
        assert Course.objects.filter(title="Forged").count() == 1

    def test_login_mutation_hands_out_the_token_for_the_next_mutation(self, instructor):
        client = Client(enforce_csrf_checks=True)
        login = "mutation($u: String!, $p: String!) { login(username: $u, password: $p) { user { username } } }"
        data = gql(client, login, {"u": instructor.username, "p": "correct horse battery staple"})
        assert data["login"]["user"]["username"] == instructor.username
        response = client.post(
            "/graphql/", {"query": CREATE}, content_type="application/json",
            HTTP_X_CSRFTOKEN=client.cookies["csrftoken"].value,
        )  # fmt: skip
        assert response.json()["data"]["createCourse"]["errors"] == []

    def test_over_https_a_post_without_origin_or_referer_is_told_so(self, instructor):
        client = Client(enforce_csrf_checks=True)
        client.force_login(instructor)
        client.get("/graphql/", {"query": "{ me { id } }"}, secure=True)
        response = client.post(
            "/graphql/", {"query": CREATE}, content_type="application/json", secure=True,
            HTTP_X_CSRFTOKEN=client.cookies["csrftoken"].value,
        )  # fmt: skip
        assert response.status_code == 403
        message = errors_of(response.json())[0]
        assert "Origin or Referer" in message and "X-CSRFToken" not in message
        assert not Course.objects.exists()

    def test_the_admin_answers_a_csrf_failure_in_json(self, client):
        client = Client(enforce_csrf_checks=True)
        response = client.post("/admin/login/", {"username": "a", "password": "b"})
        assert response.status_code == 403
        assert "CSRF" in errors_of(response.json())[0]

    def test_requests_without_a_session_need_no_token(self):
        client = Client(enforce_csrf_checks=True)
        assert gql(client, "{ courses { totalCount } }") == {"courses": {"totalCount": 0}}


class TestTransport:
    def test_queries_work_over_get(self, client):
        CourseFactory()
        response = client.get("/graphql/", {"query": "{ courses { totalCount } }"})
        assert response.json() == {"data": {"courses": {"totalCount": 1}}}

    def test_mutations_are_refused_over_get(self, client, instructor):
        client.force_login(instructor)
        response = client.get("/graphql/", {"query": CREATE})
        assert response.status_code == 405
        assert "mutation" in response.json()["errors"][0]["message"].lower()
        assert not Course.objects.exists()

    @pytest.mark.parametrize(
        ("content_type", "body"),
        [
            ("text/plain", json.dumps({"query": CREATE})),
            ("application/x-www-form-urlencoded", "query=" + CREATE),
            ("multipart/form-data; boundary=xyz", "--xyz--"),
        ],
    )
    def test_only_json_bodies_are_accepted(self, client, instructor, content_type, body):
        client.force_login(instructor)
        response = client.generic("POST", "/graphql/", body, content_type=content_type)
        assert response.status_code == 415
        assert (
            response.json()["errors"][0]["message"]
            == "Send the GraphQL request as application/json."
        )
        assert not Course.objects.exists()

    def test_batches_are_refused(self, client):
        batch = [{"query": "{ courses { totalCount } }"}] * 2
        response = client.post("/graphql/", batch, content_type="application/json")
        assert response.status_code == 400
        assert response.json() == {"errors": [{"message": "Batching is not enabled"}]}

    def test_oversized_bodies_are_refused_in_json(self, client):
        padding = "#" + "x" * 300_000 + "\n"
        response = client.post(
            "/graphql/", {"query": padding + "{ me { id } }"}, content_type="application/json"
        )
        assert response.status_code == 400
        assert errors_of(response.json()) == [
            "The request body is larger than the 256 KiB this server takes."
        ]

    def test_a_disallowed_host_is_refused_in_json(self, client):
        response = client.get("/graphql/", {"query": "{ me { id } }"}, HTTP_HOST="evil.example")
        assert response.status_code == 400
        assert errors_of(response.json()) == ["This server does not answer to that host name."]

    def test_other_error_pages_are_json(self, client):
        response = client.get("/no-such-page/")
        assert response.status_code == 404
        assert response["Content-Type"] == "application/json"


NOT_AN_OBJECT = 'The request body must be a JSON object such as {"query": "{ me { id } }"}.'


class TestMalformedBodies:
    @pytest.mark.parametrize(
        ("body", "message"),
        [
            (b"null", NOT_AN_OBJECT),
            (b'"x"', NOT_AN_OBJECT),
            (b"5", NOT_AN_OBJECT),
            (b"true", NOT_AN_OBJECT),
            (b"[" * 100_000, "The request body nests arrays or objects too deeply."),
            (b'{"query": "{ me { id } }", "variables": {"a": ' + b"[" * 100_000 + b"}}",
             "The request body nests arrays or objects too deeply."),
            (b'{"query": "\xff\xfe"}',
             "The request body is not UTF-8 encoded JSON."),
            (b"\xff\xfe{}", "The request body is not UTF-8 encoded JSON."),
            (b'{"query": "{ me { id } }", "variables": {"n": 1' + b"0" * 5000 + b"}}",
             "The request body is not valid JSON: a number is too long."),
            (b'{"query": ', "The request body is not valid JSON: Expecting value."),
        ],
        ids=["null", "string", "number", "boolean", "nested", "nested-variables",
             "invalid-utf8-in-string", "invalid-utf8", "5000-digit-number", "truncated"],
    )  # fmt: skip
    def test_is_a_json_400_that_says_what_is_wrong(self, client, body, message):
        response = client.generic("POST", "/graphql/", body, content_type="application/json")
        assert response.status_code == 400
        assert response["Content-Type"] == "application/json"
        assert errors_of(response.json()) == [message]


class TestLimits:
    def test_depth_limit_accepts_10_and_refuses_11_without_sql(self, client):
        assert post(client, nested(MAX_DEPTH)).get("errors") is None
        with CaptureQueriesContext(connection) as captured:
            body = post(client, nested(MAX_DEPTH + 1))
        assert "exceeds maximum operation depth of 10" in errors_of(body)[0]
        assert captured.captured_queries == []

    def test_alias_limit(self, client):
        aliases = " ".join(f"a{i}: me {{ id }}" for i in range(MAX_ALIASES))
        assert post(client, "{ " + aliases + " }").get("errors") is None
        body = post(client, "{ " + aliases + " extra: me { id } }")
        assert errors_of(body) == ["16 aliases found. Allowed: 15"]

    def test_a_repeated_document_is_validated_once(self, client, monkeypatch):
        from graphql_api.schema import DEPTH_RULE

        validations, original = [], DEPTH_RULE.__init__

        def counting(self, context):
            validations.append(context.document)
            original(self, context)

        monkeypatch.setattr(DEPTH_RULE, "__init__", counting)
        alias = "seen_" + uuid.uuid4().hex
        fresh = "{ " + alias + ": me { id } }"
        answers = [post(client, fresh) for _ in range(3)]
        too_deep = nested(MAX_DEPTH + 1).replace(
            "{ courses", "{ deep_" + uuid.uuid4().hex + ": courses", 1
        )
        refusals = [errors_of(post(client, too_deep)) for _ in range(2)]
        assert answers == [{"data": {alias: None}}] * 3
        assert refusals[0] == refusals[1] and "exceeds maximum operation depth" in refusals[0][0]
        assert len(validations) == 2  # once per document

    def test_token_limit(self, client):
        fields = " ".join(["id"] * 1999)
        body = post(client, "{ me { " + fields + " } }")
        assert "token" in errors_of(body)[0].lower()


class TestErrorsAndIntrospection:
    def test_unexpected_exceptions_are_masked(self, client, monkeypatch):
        from learningplatform import selectors

        def broken(*args, **kwargs):
            raise RuntimeError("database password is hunter2")

        monkeypatch.setattr(selectors, "courses_visible_to", broken)
        monkeypatch.setattr("graphql_api.course.types.courses_visible_to", broken)
        response = client.post(
            "/graphql/", {"query": "{ courses { totalCount } }"}, content_type="application/json"
        )
        text = response.content.decode()
        assert errors_of(response.json()) == ["Unexpected error."]
        assert "hunter2" not in text and "RuntimeError" not in text and "Traceback" not in text

    @pytest.mark.slow  # a process of its own
    def test_production_has_no_introspection_and_no_suggestions(self, tmp_path):
        from tests.helpers import PRODUCTION, python

        code = (
            "import django, json; django.setup()\n"
            "from config.schema import schema\n"
            "for query in ['{ __schema { types { name } } }', '{ courses { totlCount } }']:\n"
            "    print(json.dumps([e.message for e in schema.execute_sync(query).errors]))\n"
        )
        result = python("-c", code, tmp_path=tmp_path, **PRODUCTION)
        introspection, misspelled = (json.loads(line) for line in result.stdout.splitlines())
        assert "introspection" in introspection[0].lower(), result.stderr
        assert misspelled == ["Cannot query field 'totlCount' on type 'CourseConnection'."]

    def test_development_helps(self, client):
        assert post(client, "{ __schema { queryType { name } } }").get("errors") is None
        body = post(client, "{ courses { totlCount } }")
        assert "Did you mean 'totalCount'" in errors_of(body)[0]


class TestEncoding:
    def test_answers_are_utf8_json_that_reads_back_as_stored(self, client):
        title = 'Ünïcode "quoted" \\ back\tslash \u2028 and 😀'
        CourseFactory(title=title)
        response = client.post(
            "/graphql/", {"query": "{ courses { edges { node { title } } } }"},
            content_type="application/json",
        )  # fmt: skip
        assert response["Content-Type"] == "application/json"
        assert response.json()["data"]["courses"]["edges"] == [{"node": {"title": title}}]
        assert "Ünïcode".encode() in response.content  # UTF-8, not \\u escapes

    def test_what_orjson_refuses_is_encoded_by_djangos_encoder(self):
        from config.schema import schema
        from graphql_api.views import GraphQLView

        data = {"data": {"big": 2**70, "lone": "\ud800"}}
        encoded = GraphQLView(schema=schema).encode_json(data)
        assert json.loads(encoded) == data
