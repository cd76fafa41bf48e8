"""No request runs past its limit: PostgreSQL cancels a slow statement and the client is told why;
gunicorn cuts off a request that is slow anywhere else. Both on the real production server.

The slow work is real: the test holds a table lock in its own connection, so the server's
statements wait on it exactly as they would behind a long migration or a stuck transaction.
"""

import time

import psycopg
import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.db import connection

from graphql_api.client import GraphQLClient
from learningplatform.models import Course
from tests.factories import StaffFactory
from tests.helpers import gunicorn, server_env

pytestmark = [
    pytest.mark.slow,  # starts servers or processes
    pytest.mark.skipif(connection.vendor != "postgresql", reason="statement timeouts: PostgreSQL"),
    pytest.mark.django_db(transaction=True),
]

PASSWORD = "a long enough password"  # noqa: S105 - a test account's
COURSES = "{ courses(first: 5) { totalCount edges { node { title } } } }"
CREATE = """mutation { createCourse(input: {title: "Written while locked"}) {
  course { id } errors { message } } }"""


def database_url() -> str:
    db = connection.settings_dict
    return f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


class Client(GraphQLClient):
    """The shared browser-like client, timing each answer."""

    def post(self, query: str) -> tuple[dict, float]:
        """The JSON answer (HTTP 200 expected) and the seconds it took."""
        started = time.monotonic()
        status, answer = super().post(query)
        assert status == 200, answer
        return answer, time.monotonic() - started


class TableLock:
    """ACCESS EXCLUSIVE on the course table, held in a connection of the test's own."""

    def __enter__(self):
        self.holder = psycopg.connect(database_url())
        self.holder.execute("LOCK TABLE learningplatform_course IN ACCESS EXCLUSIVE MODE")
        return self

    def __exit__(self, *exc):
        self.holder.rollback()
        self.holder.close()


def test_a_statement_over_the_limit_is_cancelled_and_the_client_told_why(tmp_path):
    # Hashed as the server (production settings) hashes, not with the tests' fast hasher.
    staff = StaffFactory(username="ops")
    staff.password = PBKDF2PasswordHasher().encode(PASSWORD, "pepper" * 3)
    staff.save(update_fields=["password"])
    # 5 s: the whole request's budget, so the login's password hash must fit in it even on a
    # busy machine.
    env = server_env(database_url(), tmp_path, DB_STATEMENT_TIMEOUT_MS="5000")
    with gunicorn(env) as url:
        client = Client(url)
        login = f'mutation {{ login(username: "ops", password: "{PASSWORD}") {{ user {{ id }} }} }}'
        answer = client.post(login)[0]
        assert answer["data"]["login"]["user"], answer
        with TableLock():
            read, read_seconds = client.post(COURSES)
            write, write_seconds = client.post(CREATE)
        after, _ = client.post(COURSES)

    for answer, seconds in ((read, read_seconds), (write, write_seconds)):
        assert 5 <= seconds < 8, seconds  # cut at the 5 s limit, not left waiting on the lock
        (error,) = answer["errors"]
        assert error["message"] == (
            "The request ran longer than the server allows (5 s) and was stopped; nothing was "
            "written. Ask for less: smaller pages, fewer lists."
        )
        assert error["extensions"] == {"code": "TIMEOUT"}
    assert Course.objects.count() == 0  # the cancelled mutation wrote nothing
    assert after == {
        "data": {"courses": {"totalCount": 0, "edges": []}}
    }  # and the server serves on


def test_gunicorn_cuts_off_a_request_slow_anywhere_else(tmp_path):
    # No statement timeout at all: gunicorn's request timeout is the limit that must hold.
    env = server_env(database_url(), tmp_path, DB_STATEMENT_TIMEOUT_MS="0", REQUEST_TIMEOUT="2")
    with gunicorn(env) as url:
        started = time.monotonic()
        with TableLock():
            # gunicorn aborts the worker; its answer is JSON (config/gunicorn_worker.py)
            status, cut = GraphQLClient(url).post(COURSES)
        cut_after = time.monotonic() - started
        answer, _ = Client(url).post(COURSES)  # a new worker took the killed one's place

    assert 2 <= cut_after < 10, cut_after  # gunicorn checks its workers every second or so
    assert status == 503, cut
    (error,) = cut["errors"]
    assert error["extensions"] == {"code": "TIMEOUT"}
    assert error["message"].startswith("The request ran longer than the server allows (2 s)")
    assert answer == {"data": {"courses": {"totalCount": 0, "edges": []}}}
