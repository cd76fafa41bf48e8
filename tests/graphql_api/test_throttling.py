"""Password guessing: failed logins are throttled per account and per client address."""

import pytest
from django.test import Client

from tests.factories import StaffFactory, UserFactory
from tests.helpers import gql, post

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"
LOGIN = """mutation($u: String!, $p: String!) {
  login(username: $u, password: $p) { user { username } errors { message code } }
}"""
LOCKED = "Too many failed logins for this account or from this address; try again in 15 minutes."


def login(client: Client, username: str, password: str, **headers) -> dict:
    response = client.post(
        "/graphql/", {"query": LOGIN, "variables": {"u": username, "p": password}},
        content_type="application/json", **headers,
    )  # fmt: skip
    assert response.status_code == 200, response.content
    return response.json()["data"]["login"]


def fail(client: Client, username: str, times: int, **headers) -> None:
    for _ in range(times):
        answer = login(client, username, "wrong", **headers)
        assert answer["errors"][0]["code"] == "INVALID_CREDENTIALS"


class TestLoginMutation:
    def test_the_right_password_after_the_limit_of_wrong_ones_is_refused(self, client, settings):
        user = UserFactory()
        fail(client, user.username, settings.AXES_FAILURE_LIMIT - 1)
        assert login(client, user.username, "wrong")["errors"] == [
            {"message": LOCKED, "code": "THROTTLED"}
        ]
        assert login(client, user.username, PASSWORD) == {
            "user": None,
            "errors": [{"message": LOCKED, "code": "THROTTLED"}],
        }
        assert gql(client, "{ me { id } }") == {"me": None}

    def test_below_the_limit_the_right_password_is_accepted(self, client, settings):
        user = UserFactory()
        fail(client, user.username, settings.AXES_FAILURE_LIMIT - 1)
        assert login(client, user.username, PASSWORD)["user"] == {"username": user.username}

    def test_an_account_is_locked_whatever_address_the_guesses_come_from(self, settings):
        user = UserFactory()
        for n in range(settings.AXES_FAILURE_LIMIT):
            login(Client(REMOTE_ADDR=f"10.0.0.{n}"), user.username, "wrong")
        answer = login(Client(REMOTE_ADDR="10.0.1.1"), user.username, PASSWORD)
        assert answer["errors"][0]["code"] == "THROTTLED"

    def test_an_address_is_locked_whatever_accounts_it_guesses(self, settings):
        guesser, victim = Client(REMOTE_ADDR="10.0.0.9"), UserFactory()
        for n in range(settings.AXES_FAILURE_LIMIT):
            login(guesser, f"someone{n}", "wrong")
        assert login(guesser, victim.username, PASSWORD)["errors"][0]["code"] == "THROTTLED"
        # The same account from another address is not affected.
        other = Client(REMOTE_ADDR="10.0.0.10")
        assert login(other, victim.username, PASSWORD)["user"] == {"username": victim.username}

    def test_a_forged_x_forwarded_for_does_not_escape_the_address_limit(self, settings):
        guesser = Client(REMOTE_ADDR="10.0.0.9")
        for n in range(settings.AXES_FAILURE_LIMIT):
            login(guesser, f"someone{n}", "wrong", HTTP_X_FORWARDED_FOR=f"192.0.2.{n}")
        answer = login(guesser, "x", "wrong", HTTP_X_FORWARDED_FOR="192.0.2.200")
        assert answer["errors"][0]["code"] == "THROTTLED"

    def test_behind_a_trusted_proxy_the_forwarded_address_is_the_client(self, settings):
        settings.TRUSTED_PROXY_COUNT = 1
        proxy, user = Client(REMOTE_ADDR="10.0.0.1"), UserFactory()
        for n in range(settings.AXES_FAILURE_LIMIT):
            login(proxy, f"someone{n}", "wrong", HTTP_X_FORWARDED_FOR="198.51.100.7")
        locked = login(proxy, user.username, PASSWORD, HTTP_X_FORWARDED_FOR="198.51.100.7")
        assert locked["errors"][0]["code"] == "THROTTLED"
        # Another client behind the same proxy logs in; a spoofed left-most entry changes nothing.
        other = login(
            proxy, user.username, PASSWORD, HTTP_X_FORWARDED_FOR="198.51.100.7, 198.51.100.8"
        )
        assert other["user"] == {"username": user.username}

    def test_a_request_may_log_in_once(self, client):
        user = UserFactory()
        aliases = " ".join(
            f'l{n}: login(username: "{user.username}", password: "guess{n}") {{ user {{ id }} }}'
            for n in range(3)
        )
        body = post(client, "mutation { " + aliases + " }")
        assert body["errors"][0]["message"] == (
            "A request may log in once; this one has 3 login fields."
        )
        assert body.get("data") is None

    def test_logins_hidden_in_fragments_count_too(self, client):
        document = (
            'mutation { ...A ... on Mutation { login(username: "a", password: "b") { user { id } } } }'
            ' fragment A on Mutation { login(username: "a", password: "c") { user { id } } }'
        )
        body = post(client, document)
        assert body["errors"][0]["message"].startswith("A request may log in once")


class TestAdminLogin:
    def test_is_throttled_with_a_json_answer_saying_when_to_retry(self, settings):
        staff = StaffFactory()
        client = Client()
        for _ in range(settings.AXES_FAILURE_LIMIT - 1):
            response = client.post(
                "/admin/login/", {"username": staff.username, "password": "wrong"}
            )
            assert response.status_code == 200  # the form again, with its error
        response = client.post("/admin/login/", {"username": staff.username, "password": PASSWORD})
        assert response.status_code == 302  # below the limit the right password works
        client = Client()
        for _ in range(settings.AXES_FAILURE_LIMIT):
            client.post("/admin/login/", {"username": staff.username, "password": "wrong"})
        response = client.post("/admin/login/", {"username": staff.username, "password": PASSWORD})
        assert response.status_code == 429
        assert response["Retry-After"] == "900"
        assert response.json()["errors"][0]["message"] == LOCKED
        assert client.get("/admin/").status_code == 302  # not logged in: sent to the login page


def outcome(answer: dict) -> str:
    """A login's answer in a word: "OK" or its error code."""
    return answer["errors"][0]["code"] if answer["errors"] else "OK"


def admin_login(client: Client, username: str, password: str) -> int:
    return client.post("/admin/login/", {"username": username, "password": password}).status_code


class TestASuccessClearsOnlyItsOwnAccount:
    """Issue 22: a successful login cleared every failure from its address, other accounts'
    included, so guesses interleaved with logins as the attacker's own account never locked."""

    def test_guesses_interleaved_with_the_attackers_own_logins_lock_the_victim(self, settings):
        victim, attacker = UserFactory(), UserFactory()
        client = Client(REMOTE_ADDR="10.1.0.1")
        codes = []
        for _ in range(4):
            for _ in range(settings.AXES_FAILURE_LIMIT - 1):
                codes.append(outcome(login(client, victim.username, "wrong")))
            codes.append(outcome(login(client, attacker.username, PASSWORD)))
        # The first round is as before; the 10th guess (the first of round two) locks: the
        # account (and the address), so the attacker's own logins fail from then on too.
        limit = settings.AXES_FAILURE_LIMIT
        assert codes[:limit] == ["INVALID_CREDENTIALS"] * (limit - 1) + ["OK"]
        assert set(codes[limit:]) == {"THROTTLED"}
        assert codes.count("INVALID_CREDENTIALS") == settings.AXES_FAILURE_LIMIT - 1
        # The victim's account stays locked from anywhere, the right password included.
        elsewhere = Client(REMOTE_ADDR="10.1.9.9")
        assert login(elsewhere, victim.username, PASSWORD)["errors"][0]["code"] == "THROTTLED"

    def test_from_several_addresses_the_victims_account_still_locks(self, settings):
        victim, attacker = UserFactory(), UserFactory()
        addresses = [Client(REMOTE_ADDR=f"10.2.0.{n}") for n in range(3)]
        for n in range(settings.AXES_FAILURE_LIMIT - 1):
            client = addresses[n % 3]
            fail(client, victim.username, 1)
            assert outcome(login(client, attacker.username, PASSWORD)) == "OK"
        # No address is near its own limit, but the account's next failure locks it.
        fourth = Client(REMOTE_ADDR="10.2.1.1")
        assert outcome(login(fourth, victim.username, "wrong")) == "THROTTLED"
        assert login(fourth, victim.username, PASSWORD)["errors"] == [
            {"message": LOCKED, "code": "THROTTLED"}
        ]
        assert outcome(login(addresses[0], attacker.username, PASSWORD)) == "OK"

    def test_guesses_over_many_accounts_lock_the_address_despite_own_logins(self, settings):
        victims, attacker = UserFactory.create_batch(25), UserFactory()
        client = Client(REMOTE_ADDR="10.3.0.1")
        codes = []
        for victim in victims:
            codes.append(outcome(login(client, victim.username, "wrong")))
            codes.append(outcome(login(client, attacker.username, PASSWORD)))
        limit = settings.AXES_FAILURE_LIMIT
        guesses, own_logins = codes[0::2], codes[1::2]
        assert guesses[: limit - 1] == ["INVALID_CREDENTIALS"] * (limit - 1)
        assert set(guesses[limit - 1 :]) == {"THROTTLED"}
        # Once the address is locked, the attacker's own account cannot log in from it either.
        assert own_logins[: limit - 1] == ["OK"] * (limit - 1)
        assert set(own_logins[limit - 1 :]) == {"THROTTLED"}
        # Each victim, from its own address, is not locked: one failure each.
        for n, victim in enumerate(victims[:3]):
            other = Client(REMOTE_ADDR=f"10.3.1.{n}")
            assert login(other, victim.username, PASSWORD)["user"] == {"username": victim.username}

    def test_a_success_still_clears_the_failures_of_the_account_that_succeeded(self, settings):
        user = UserFactory()
        client = Client(REMOTE_ADDR="10.4.0.1")
        for _ in range(3):
            fail(client, user.username, settings.AXES_FAILURE_LIMIT - 1)
            assert login(client, user.username, PASSWORD)["user"] == {"username": user.username}

    def test_many_users_behind_one_address_keep_their_own_counts(self, settings):
        users = UserFactory.create_batch(4)
        client = Client(REMOTE_ADDR="10.5.0.1")
        # Each user fails twice then logs in: their own failures go, so the address never locks.
        for _ in range(3):
            for user in users:
                fail(client, user.username, 2)
                assert login(client, user.username, PASSWORD)["user"]

    def test_the_admin_form_follows_the_same_rule(self, settings):
        victim, attacker = StaffFactory(), StaffFactory()
        client = Client(REMOTE_ADDR="10.6.0.1")
        for _ in range(settings.AXES_FAILURE_LIMIT - 1):
            assert admin_login(client, victim.username, "wrong") == 200
        assert admin_login(client, attacker.username, PASSWORD) == 302
        client.logout()
        assert admin_login(client, victim.username, "wrong") == 429
        assert admin_login(Client(REMOTE_ADDR="10.6.9.9"), victim.username, PASSWORD) == 429

    def test_the_admin_and_the_mutation_share_one_count(self, settings):
        victim, attacker = StaffFactory(), StaffFactory()
        half = settings.AXES_FAILURE_LIMIT // 2
        client = Client(REMOTE_ADDR="10.7.0.1")
        fail(client, victim.username, half)
        assert admin_login(client, attacker.username, PASSWORD) == 302  # a success on the admin
        client.logout()
        for _ in range(settings.AXES_FAILURE_LIMIT - half - 1):
            assert admin_login(Client(REMOTE_ADDR="10.7.0.2"), victim.username, "wrong") == 200
        assert login(client, attacker.username, PASSWORD)["user"]  # a success on the mutation
        answer = login(Client(REMOTE_ADDR="10.7.0.3"), victim.username, "wrong")
        assert answer["errors"][0]["code"] == "THROTTLED"
