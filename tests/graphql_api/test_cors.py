"""CORS (django-cors-headers): only the listed origins, with credentials, on /graphql/ only.

The browser's side of it is in test_cors_browser.py."""

import json

import pytest
from django.test import Client

from learningplatform.models import Course
from tests.helpers import PRODUCTION, python

pytestmark = pytest.mark.django_db

APP = "https://app.example.com"
OTHER = "https://evil.example.net"
CREATE = 'mutation { createCourse(input: {title: "Cross"}) { course { id } errors { code } } }'


@pytest.fixture
def listed(settings):
    settings.CORS_ALLOWED_ORIGINS = [APP]
    settings.CSRF_TRUSTED_ORIGINS = [APP]


def preflight(origin: str, path: str = "/graphql/", method: str = "POST"):
    return Client().options(
        path,
        HTTP_ORIGIN=origin,
        HTTP_ACCESS_CONTROL_REQUEST_METHOD=method,
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="content-type,x-csrftoken,authorization",
    )


class TestPreflight:
    def test_a_listed_origin_may_send_credentials_and_the_headers_clients_use(self, listed):
        response = preflight(APP)
        assert response.status_code == 200
        assert response["Access-Control-Allow-Origin"] == APP
        assert response["Access-Control-Allow-Credentials"] == "true"
        allowed = response["Access-Control-Allow-Headers"].split(", ")
        assert {"content-type", "x-csrftoken", "authorization", "accept"} <= set(allowed)
        assert response["Access-Control-Allow-Methods"] == "GET, POST, OPTIONS"

    @pytest.mark.parametrize(
        "origin", [OTHER, "http://app.example.com", "https://app.example.com:8443", "null"]
    )
    def test_any_other_origin_gets_no_grant(self, listed, origin):
        response = preflight(origin)
        assert "Access-Control-Allow-Origin" not in response
        assert "Access-Control-Allow-Credentials" not in response

    def test_by_default_no_origin_is_listed(self, settings):
        settings.CORS_ALLOWED_ORIGINS = []
        assert "Access-Control-Allow-Origin" not in preflight(APP)

    def test_only_the_api_answers_cross_origin(self, listed):
        assert "Access-Control-Allow-Origin" not in preflight(APP, path="/admin/login/")


class TestRequests:
    def test_answers_carry_the_grant_for_a_listed_origin_only(self, listed):
        for origin, granted in [(APP, True), (OTHER, False)]:
            response = Client().get("/graphql/", {"query": "{ __typename }"}, HTTP_ORIGIN=origin)
            assert response.json() == {"data": {"__typename": "Query"}}  # the browser decides
            assert ("Access-Control-Allow-Origin" in response) is granted
            assert "origin" in response["Vary"].lower()

    def test_refusals_carry_it_too_so_the_frontend_can_read_them(self, listed):
        response = Client().post(
            "/graphql/", {"query": "{ me { id } }"}, content_type="application/json",
            HTTP_ORIGIN=APP, HTTP_AUTHORIZATION="Bearer nonsense",
        )  # fmt: skip
        assert response.status_code == 401
        assert response["Access-Control-Allow-Origin"] == APP

    @pytest.mark.parametrize(("origin", "status"), [(APP, 200), (OTHER, 403)])
    def test_a_session_post_passes_csrf_from_a_listed_origin_only(
        self, listed, instructor, origin, status
    ):
        client = Client(enforce_csrf_checks=True)
        client.force_login(instructor)
        client.get("/graphql/", {"query": "{ me { id } }"})
        response = client.post(
            "/graphql/", {"query": CREATE}, content_type="application/json", HTTP_ORIGIN=origin,
            HTTP_X_CSRFTOKEN=client.cookies["csrftoken"].value,
        )  # fmt: skip
        assert response.status_code == status
        assert Course.objects.filter(title="Cross").exists() is (status == 200)


@pytest.mark.slow  # a process of its own, with the settings read from the environment
def test_the_environment_lists_origins_and_they_become_csrf_trusted(tmp_path):
    code = (
        "import django, json; django.setup()\n"
        "from django.conf import settings as s\n"
        "print(json.dumps([s.CORS_ALLOWED_ORIGINS, s.CSRF_TRUSTED_ORIGINS]))\n"
    )
    default = python("-c", code, tmp_path=tmp_path, **PRODUCTION)
    assert json.loads(default.stdout) == [[], []], default.stderr
    env = PRODUCTION | {
        "CORS_ALLOWED_ORIGINS": f"{APP}, http://localhost:5173",
        "CSRF_TRUSTED_ORIGINS": f"https://admin.example.com,{APP}",
    }
    listed = python("-c", code, tmp_path=tmp_path, **env)
    assert json.loads(listed.stdout) == [
        [APP, "http://localhost:5173"],
        ["https://admin.example.com", APP, "http://localhost:5173"],
    ]
