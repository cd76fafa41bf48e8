"""Personal access tokens over HTTP: made by a session, sent as a Bearer header, refused at once
when revoked or expired, read tokens never mutate, bad tokens throttled like logins."""

import hashlib
import json
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from strawberry.relay import to_base64

from learningplatform.access_tokens import access_token_create
from learningplatform.models import Course, PersonalAccessToken
from tests.factories import CourseFactory, InstructorFactory, StaffFactory, UserFactory
from tests.helpers import DELETE_COURSE, errors_of, global_id

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"
ME = "{ me { username } }"
CREATE = """mutation($input: CreateAccessTokenInput!) {
  createAccessToken(input: $input) {
    token accessToken { id name scope hint expiresAt lastUsedAt revokedAt } errors { field message code }
  }
}"""
REVOKE = "mutation($id: ID!) { revokeAccessToken(id: $id) { accessToken { revokedAt } errors { field code } } }"
LIST = "{ accessTokens { name scope hint lastUsedAt revokedAt } }"
NEW_COURSE = (
    'mutation { createCourse(input: {title: "By token"}) { course { title } errors { code } } }'
)
LOCKED = "Too many failed logins for this account or from this address; try again in 15 minutes."


def token_for(user, scope="write", days=30) -> str:
    return access_token_create(user=user, name="script", scope=scope, expires_in_days=days)[1]


def bearer(token: str, query: str, variables: dict | None = None, client: Client | None = None,
           **extra):  # fmt: skip
    """A POST with the token, from a client that enforces CSRF as browsers do."""
    client = client or Client(enforce_csrf_checks=True)
    return client.post(
        "/graphql/", {"query": query, "variables": variables or {}},
        content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}", **extra,
    )  # fmt: skip


def session_of(user) -> Client:
    """A logged-in browser session that sends its CSRF token, as GraphiQL does."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    client.get("/graphql/", {"query": ME})
    client.defaults["HTTP_X_CSRFTOKEN"] = client.cookies["csrftoken"].value
    return client


def send(client: Client, query: str, variables: dict | None = None) -> dict:
    response = client.post(
        "/graphql/", {"query": query, "variables": variables or {}}, content_type="application/json"
    )
    assert response.status_code == 200, response.content
    return response.json()


class TestCreating:
    @pytest.mark.parametrize("make", [UserFactory, InstructorFactory, StaffFactory])
    def test_every_kind_of_user_makes_a_token_shown_once_and_stored_as_a_digest(self, make):
        user = make()
        client = session_of(user)
        answer = send(
            client, CREATE, {"input": {"name": "ci", "scope": "WRITE", "expiresInDays": 7}}
        )
        made = answer["data"]["createAccessToken"]
        assert made["errors"] == []
        token = made["token"]
        assert token.startswith("lpat_") and len(token) == 48
        assert made["accessToken"]["hint"] == token[:9] and made["accessToken"]["scope"] == "WRITE"
        stored = PersonalAccessToken.objects.get()
        assert stored.digest == hashlib.sha256(token.encode()).hexdigest()
        row = json.dumps(list(PersonalAccessToken.objects.values().get().values()), default=str)
        assert token not in row and token[9:] not in row  # only the digest and the hint are kept
        listed = send(client, LIST)["data"]["accessTokens"]
        assert token not in json.dumps(listed) and listed[0]["name"] == "ci"
        assert bearer(token, ME).json() == {"data": {"me": {"username": user.username}}}

    def test_the_default_is_a_read_token_for_30_days(self, student):
        made = send(session_of(student), CREATE, {"input": {"name": "ci"}})["data"]
        token = PersonalAccessToken.objects.get()
        assert made["createAccessToken"]["accessToken"]["scope"] == "READ"
        assert token.expires_at - token.created_at == timedelta(days=30)

    @pytest.mark.parametrize(
        ("given", "field", "code"),
        [
            ({"name": "x", "expiresInDays": 0}, "expiresInDays", "OUT_OF_RANGE"),
            ({"name": "x", "expiresInDays": -3}, "expiresInDays", "OUT_OF_RANGE"),
            ({"name": "x", "expiresInDays": 367}, "expiresInDays", "OUT_OF_RANGE"),
            ({"name": ""}, "name", "REQUIRED"),
            ({"name": "   "}, "name", "REQUIRED"),
            ({"name": "x" * 101}, "name", "TOO_LONG"),
        ],
    )
    def test_bad_input_is_refused_on_its_field_and_nothing_is_made(
        self, student, given, field, code
    ):
        made = send(session_of(student), CREATE, {"input": given})["data"]["createAccessToken"]
        assert made["token"] is None
        assert [(e["field"], e["code"]) for e in made["errors"]] == [(field, code)]
        assert made["errors"][0]["message"]
        assert not PersonalAccessToken.objects.exists()

    def test_anonymous_clients_cannot_make_tokens(self):
        made = send(Client(), CREATE, {"input": {"name": "x"}})["data"]["createAccessToken"]
        assert made["errors"][0]["code"] == "NOT_AUTHENTICATED"
        assert not PersonalAccessToken.objects.exists()

    def test_a_token_cannot_make_tokens(self, student):
        token = token_for(student)
        made = bearer(token, CREATE, {"input": {"name": "more"}}).json()["data"][
            "createAccessToken"
        ]
        assert made["errors"][0]["code"] == "PERMISSION_DENIED"
        assert PersonalAccessToken.objects.count() == 1


class TestUsing:
    def test_many_users_each_token_is_its_own_user(self):
        users = [UserFactory() for _ in range(5)]
        tokens = [token_for(user) for user in users for _ in range(2)]
        for index, token in enumerate(tokens):
            expected = users[index // 2].username
            assert bearer(token, ME).json() == {"data": {"me": {"username": expected}}}

    def test_a_write_token_mutates_without_csrf_or_cookies(self, instructor):
        response = bearer(token_for(instructor), NEW_COURSE)
        assert response.status_code == 200, response.content
        assert response.json()["data"]["createCourse"]["errors"] == []
        assert Course.objects.get().instructor == instructor

    def test_get_works_too(self, student):
        client = Client()
        response = client.get(
            "/graphql/", {"query": ME}, HTTP_AUTHORIZATION=f"Bearer {token_for(student, 'read')}"
        )
        assert response.json() == {"data": {"me": {"username": student.username}}}
        assert "csrftoken" not in response.cookies  # nothing of a browser session is handed out

    def test_the_session_cookie_is_not_read(self, student, instructor):
        browser = session_of(instructor)
        with CaptureQueriesContext(connection) as captured:
            response = bearer(token_for(student), ME, client=browser)
        assert response.json() == {"data": {"me": {"username": student.username}}}
        assert not [q for q in captured.captured_queries if "django_session" in q["sql"]]

    def test_last_use_is_recorded_to_the_minute(self, student):
        token = token_for(student)
        assert PersonalAccessToken.objects.get().last_used_at is None
        bearer(token, ME)
        first = PersonalAccessToken.objects.get().last_used_at
        assert first is not None and timezone.now() - first < timedelta(seconds=10)
        with CaptureQueriesContext(connection) as captured:
            bearer(token, ME)
        assert not [q for q in captured.captured_queries if q["sql"].startswith("UPDATE")]
        PersonalAccessToken.objects.update(last_used_at=first - timedelta(minutes=2))
        bearer(token, ME)
        assert PersonalAccessToken.objects.get().last_used_at > first


READ_REFUSED = [
    NEW_COURSE,
    "mutation { logout { ok } }",
    'mutation { login(username: "x", password: "y") { errors { code } } }',
    'mutation { createAccessToken(input: {name: "x"}) { token } }',
    'mutation { a: logout { ok } b: createCourse(input: {title: "Z"}) { errors { code } } }',
]


class TestReadTokens:
    @pytest.mark.parametrize("document", READ_REFUSED)
    def test_cannot_mutate_anything(self, instructor, document):
        response = bearer(token_for(instructor, "read"), document)
        body = response.json()
        assert response.status_code == 200 and "data" not in body
        assert body["errors"][0]["extensions"]["code"] == "INSUFFICIENT_SCOPE"
        assert "scope is read" in body["errors"][0]["message"]
        assert not Course.objects.exists() and PersonalAccessToken.objects.count() == 1

    def test_in_the_new_media_type_it_is_a_400(self, instructor):
        response = bearer(token_for(instructor, "read"), NEW_COURSE,
                          HTTP_ACCEPT="application/graphql-response+json")  # fmt: skip
        assert response.status_code == 400

    def test_cannot_delete_either(self, instructor):
        course = CourseFactory(instructor=instructor)
        bearer(token_for(instructor, "read"), DELETE_COURSE, {"id": global_id(course)})
        assert Course.objects.filter(pk=course.pk).exists()

    def test_can_read(self, instructor):
        CourseFactory(instructor=instructor, title="Mine")
        body = bearer(token_for(instructor, "read"), "{ courses { edges { node { title } } } }")
        assert body.json()["data"]["courses"]["edges"] == [{"node": {"title": "Mine"}}]


class TestRevokingAndExpiry:
    def test_a_revoked_token_is_refused_at_once(self, student):
        client = session_of(student)
        token = send(client, CREATE, {"input": {"name": "x"}})["data"]["createAccessToken"]
        secret, token_id = token["token"], token["accessToken"]["id"]
        assert bearer(secret, ME).status_code == 200
        answer = send(client, REVOKE, {"id": token_id})["data"]["revokeAccessToken"]
        assert answer["errors"] == [] and answer["accessToken"]["revokedAt"]
        refused = bearer(secret, ME)
        assert refused.status_code == 401
        assert refused["WWW-Authenticate"] == 'Bearer error="invalid_token"'
        assert refused.json()["errors"][0]["extensions"]["code"] == "INVALID_TOKEN"
        assert "revoked" in errors_of(refused.json())[0]

    def test_a_write_token_may_revoke_itself(self, student):
        token = token_for(student)
        token_id = to_base64("AccessToken", PersonalAccessToken.objects.get().pk)
        answer = bearer(token, REVOKE, {"id": token_id})
        assert answer.json()["data"]["revokeAccessToken"]["errors"] == []
        assert bearer(token, ME).status_code == 401

    def test_nobody_revokes_anothers_token(self, student, staff):
        token_for(student)
        other = to_base64("AccessToken", PersonalAccessToken.objects.get().pk)
        for client in (session_of(UserFactory()), session_of(staff), Client()):
            answer = send(client, REVOKE, {"id": other})["data"]["revokeAccessToken"]
            assert answer["errors"][0]["code"] in {"NOT_FOUND", "NOT_AUTHENTICATED"}
        assert PersonalAccessToken.objects.get().revoked_at is None

    @pytest.mark.parametrize("bad_id", ["QWNjZXNzVG9rZW46wrI=", "Q291cnNlOjE=", "nonsense"])
    def test_malformed_ids_are_not_found(self, student, bad_id):
        answer = send(session_of(student), REVOKE, {"id": bad_id})
        errors = answer.get("errors") or answer["data"]["revokeAccessToken"]["errors"]
        assert errors

    def test_an_expired_token_is_refused_at_once(self, student):
        token = token_for(student, days=1)
        assert bearer(token, ME).status_code == 200
        PersonalAccessToken.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
        refused = bearer(token, ME)
        assert refused.status_code == 401 and "expired" in errors_of(refused.json())[0]

    def test_a_disabled_accounts_tokens_are_refused(self, student):
        token = token_for(student)
        student.is_active = False
        student.save()
        assert bearer(token, ME).status_code == 401


TOKEN_LIKE = "lpat_" + "A" * 43


class TestBadTokens:
    @pytest.mark.parametrize(
        "header",
        [
            "Basic dXNlcjpwYXNz",
            "Bearer",
            "Bearer ",
            "Bearer lpat_short",
            "Bearer " + "lpat_" + "A" * 42 + "!",
            "Bearer " + "lpat_" + "A" * 44,
            "Bearer " + "ghp_" + "A" * 36,
            "Token " + TOKEN_LIKE,
            TOKEN_LIKE,
            "Bearer " + TOKEN_LIKE + " extra",
            "Bearer \x00" + TOKEN_LIKE[1:],
        ],
    )
    def test_malformed_is_a_json_401_without_sql(self, header):
        with CaptureQueriesContext(connection) as captured:
            response = Client().post("/graphql/", {"query": ME}, content_type="application/json",
                                     HTTP_AUTHORIZATION=header)  # fmt: skip
        assert response.status_code == 401
        assert response["Content-Type"] == "application/json"
        assert errors_of(response.json()) == [
            "Send a personal access token as the header `Authorization: Bearer lpat_...`."
        ]
        assert captured.captured_queries == []

    @pytest.mark.parametrize("length", [257, 10_000, 60_000])
    def test_oversized_authorization_is_a_json_400_without_sql(self, length):
        with CaptureQueriesContext(connection) as captured:
            response = Client().get("/graphql/", {"query": ME},
                                    HTTP_AUTHORIZATION="Bearer " + "A" * (length - 7))  # fmt: skip
        assert response.status_code == 400
        assert "longer than 256 characters" in errors_of(response.json())[0]
        assert captured.captured_queries == []

    @pytest.mark.parametrize(
        "params",
        [
            {"access_token": "whatever"},
            {"token": "x"},
            {"Access_Token": "x"},
            {"api_key": "x"},
            {"auth": TOKEN_LIKE},
            {"variables": json.dumps({"t": TOKEN_LIKE})},
        ],
    )
    @pytest.mark.parametrize("method", ["get", "post"])
    def test_tokens_in_the_query_string_are_refused_without_sql(self, student, params, method):
        token = token_for(student)
        client = Client()
        with CaptureQueriesContext(connection) as captured:
            if method == "get":
                response = client.get("/graphql/", {"query": ME, **params},
                                      HTTP_AUTHORIZATION=f"Bearer {token}")  # fmt: skip
            else:
                query_string = "&".join(f"{k}={v}" for k, v in params.items())
                response = client.post(f"/graphql/?{query_string}", {"query": ME},
                                       content_type="application/json")  # fmt: skip
        assert response.status_code == 400
        assert "never in the URL" in errors_of(response.json())[0]
        assert captured.captured_queries == []

    def test_a_well_formed_unknown_token_costs_one_indexed_lookup(self):
        with CaptureQueriesContext(connection) as captured:
            response = bearer(TOKEN_LIKE, ME)
        assert response.status_code == 401
        assert "not known" in errors_of(response.json())[0]
        lookups = [q["sql"] for q in captured.captured_queries if "personalaccesstoken" in q["sql"]]
        assert len(lookups) == 1 and '"digest" =' in lookups[0]
        # The rest is the throttle's bookkeeping (django-axes): the check and the failure's record.
        others = [q["sql"] for q in captured.captured_queries if q["sql"] not in lookups]
        assert all("axes_" in sql or "SAVEPOINT" in sql for sql in others), others

    def test_a_valid_token_costs_the_throttle_check_and_one_lookup(self, student):
        token = token_for(student)
        bearer(token, ME)  # records the first use
        with CaptureQueriesContext(connection) as captured:
            bearer(token, ME)
        tables = [q["sql"].split(" FROM ")[1].split()[0] for q in captured.captured_queries]
        assert tables == ['"axes_accessattempt"', '"learningplatform_personalaccesstoken"']


class TestThrottling:
    def test_failed_tokens_lock_the_address_out_even_for_a_valid_token(self, student, settings):
        token = token_for(student)
        guesser = Client(REMOTE_ADDR="10.1.0.1")
        for n in range(settings.AXES_FAILURE_LIMIT - 1):
            assert bearer(f"lpat_{n:043d}", ME, client=guesser).status_code == 401
        last = bearer("lpat_" + "B" * 43, ME, client=guesser)
        assert last.status_code == 429
        locked = bearer(token, ME, client=guesser)
        assert locked.status_code == 429
        assert locked["Retry-After"] == str(settings.AXES_COOLOFF_TIME.seconds)
        assert locked.json() == {
            "errors": [{"message": LOCKED, "extensions": {"code": "THROTTLED"}}]
        }
        elsewhere = bearer(token, ME, client=Client(REMOTE_ADDR="10.1.0.2"))
        assert elsewhere.json() == {"data": {"me": {"username": student.username}}}

    def test_failed_logins_and_failed_tokens_share_the_addresss_count(self, student, settings):
        login = 'mutation { login(username: "%s", password: "wrong") { errors { code } } }'
        guesser = Client(REMOTE_ADDR="10.1.0.3")
        half = settings.AXES_FAILURE_LIMIT // 2
        for _ in range(half):
            send(guesser, login % UserFactory().username)
        for n in range(settings.AXES_FAILURE_LIMIT - half):
            bearer(f"lpat_{n:043d}", ME, client=guesser)
        assert bearer(token_for(student), ME, client=guesser).status_code == 429
        answer = guesser.post("/graphql/", {"query": login.replace("wrong", PASSWORD) % student.username},
                              content_type="application/json").json()  # fmt: skip
        assert answer["data"]["login"]["errors"][0]["code"] == "THROTTLED"

    def test_a_login_between_guesses_does_not_clear_the_addresss_token_failures(
        self, student, settings
    ):
        login = 'mutation { login(username: "%s", password: "%s") { errors { code } } }'
        guesser, own = Client(REMOTE_ADDR="10.1.0.4"), UserFactory()
        for n in range(settings.AXES_FAILURE_LIMIT - 1):
            assert bearer(f"lpat_{n:043d}", ME, client=guesser).status_code == 401
            # The guesser's own account logs in between guesses: its success is its own.
            answer = send(guesser, login % (own.username, PASSWORD))
            assert answer["data"]["login"]["errors"] == [], n
            guesser.post("/graphql/", {"query": "mutation { logout { ok } }"},
                         content_type="application/json",
                         HTTP_X_CSRFTOKEN=guesser.cookies["csrftoken"].value)  # fmt: skip
        assert bearer("lpat_" + "C" * 43, ME, client=guesser).status_code == 429
        assert bearer(token_for(student), ME, client=guesser).status_code == 429

    def test_a_failed_token_does_not_lock_an_account(self, student, settings):
        for n in range(settings.AXES_FAILURE_LIMIT):
            bearer(f"lpat_{n:043d}", ME, client=Client(REMOTE_ADDR=f"10.2.0.{n}"))
        # The guesses named no account: the student logs in from elsewhere, and so do tokens.
        assert (
            bearer(token_for(student), ME, client=Client(REMOTE_ADDR="10.3.0.1")).status_code == 200
        )
