"""A database outage is a retryable 503 with the code UNAVAILABLE, never a masked error.

The faults are real: the request's own database connection is terminated by PostgreSQL
(pg_terminate_backend, from another connection) before the statement a test chooses, or before
the commit. tests/graphql_api/test_database_restart.py restarts a whole cluster under gunicorn.
"""

import contextlib
import json

import psycopg
import pytest
from django.db import OperationalError, connection
from django.test import Client

from graphql_api import views
from learningplatform.db.faults import Fault, database_fault
from learningplatform.models import Course
from tests.factories import CourseFactory
from tests.helpers import CREATE_COURSE, LEAKS, POOLED

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's faults"),
    # The fault is made by ending the request's own server backend, which behind a
    # transaction-mode pooler is the pooler's, shared, and replaced by it.
    pytest.mark.skipif(POOLED, reason="through PgBouncer the server connection is PgBouncer's"),
    pytest.mark.django_db(transaction=True),
]

COURSES = "{ courses(first: 5) { totalCount edges { node { title } } } }"
ACCEPTS = ["application/json", "application/graphql-response+json"]


@pytest.fixture(autouse=True)
def reconnect_after(transactional_db):
    """The test client keeps a broken connection past the request: replace it before teardown."""
    yield
    connection.close()


def terminate_own_backend() -> None:
    """End this process's database connection from the server side, and wait until it is gone."""
    pid = connection.connection.info.backend_pid
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params = {
        k: v for k, v in params.items() if k in {"dbname", "user", "host", "port", "password"}
    }
    with psycopg.connect(**params, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", [pid])
        for _ in range(1000):
            if not admin.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", [pid]).fetchone():
                return


@contextlib.contextmanager
def cut_before(statements: set[int] | None, *, after_insert: bool = False):
    """Cut the connection before the given statements of the block (1 = first; None: every one),
    or before the statement after the first INSERT."""
    count, inserted = [0], [0]

    def wrapper(execute, sql, params, many, context):
        count[0] += 1
        if (statements is None or count[0] in statements) or (
            inserted[0] and inserted[0] == count[0] - 1
        ):
            terminate_own_backend()
        if after_insert and not inserted[0] and sql.startswith("INSERT"):
            inserted[0] = count[0]
        return execute(sql, params, many, context)

    connection.ensure_connection()
    with connection.execute_wrapper(wrapper):
        yield count


def send(client: Client, query: str, variables=None, accept="application/json"):
    return client.post(
        "/graphql/", {"query": query, "variables": variables or {}},
        content_type="application/json", HTTP_ACCEPT=accept,
    )  # fmt: skip


def assert_unavailable(response, *, written: bool | None, accept="application/json") -> dict:
    assert response.status_code == 503, response.content
    assert response["Retry-After"] == "1"
    assert response["Content-Type"].startswith(accept)  # the media type the client asked for
    body = json.loads(response.content)
    assert body.get("data") is None
    (error,) = body["errors"]
    assert error["extensions"]["code"] == "UNAVAILABLE"
    assert error["message"] != "Unexpected error."
    phrase = "nothing was written" if written is False else "may or may not have been applied"
    assert phrase in error["message"]
    assert not any(leak in response.content.decode() for leak in LEAKS)
    return error


@pytest.fixture
def catalogue(db):
    return CourseFactory.create_batch(2)


@pytest.mark.parametrize("user", ["anonymous", "student", "instructor", "staff"])
def test_a_query_whose_connection_breaks_is_answered_on_a_fresh_one(catalogue, user, request):
    client = Client()
    if user != "anonymous":
        client.force_login(request.getfixturevalue(user))
    # The first statement: the session's for a logged-in client (before GraphQL runs), else a
    # read of the catalogue (inside GraphQL).
    with cut_before({1}):
        response = send(client, COURSES)
    assert response.status_code == 200, response.content
    assert response.json()["data"]["courses"]["totalCount"] >= 1


@pytest.mark.parametrize("accept", ACCEPTS)
@pytest.mark.parametrize("user", ["anonymous", "student"])
def test_a_query_that_meets_the_outage_twice_answers_503_unavailable(
    catalogue, user, accept, request
):
    client = Client()
    if user != "anonymous":
        client.force_login(request.getfixturevalue(user))
    with cut_before(None) as count:
        response = send(client, COURSES, accept=accept)
    assert_unavailable(response, written=False, accept=accept)
    assert count[0] == 2  # one try, one retry: no more


def test_get_queries_answer_503_too(catalogue):
    with cut_before(None):
        response = Client().get("/graphql/", {"query": COURSES}, HTTP_ACCEPT="application/json")
    assert_unavailable(response, written=False)


def new_course(title: str) -> dict:
    return {"input": {"title": title, "duration": "P3D"}}


def test_a_mutation_cut_before_its_commit_wrote_nothing_and_is_answered_again(instructor):
    client = Client()
    client.force_login(instructor)
    # The course was inserted, in the mutation's transaction, when the connection is cut.
    with cut_before(set(), after_insert=True):
        response = send(client, CREATE_COURSE, new_course("Once"))
    assert response.status_code == 200, response.content
    assert response.json()["data"]["createCourse"]["errors"] == []
    assert Course.objects.filter(title="Once").count() == 1


def test_a_mutation_that_meets_the_outage_twice_says_nothing_was_written(instructor):
    client = Client()
    client.force_login(instructor)
    with cut_before(set(range(3, 100))):
        response = send(client, CREATE_COURSE, new_course("Never"))
    assert_unavailable(response, written=False)
    assert not Course.objects.filter(title="Never").exists()


def test_a_mutation_whose_commit_fails_may_have_been_applied_and_is_not_sent_again(
    instructor, monkeypatch
):
    client = Client()
    client.force_login(instructor)
    commits = []
    commit = connection.commit

    def cut_then_commit():
        commits.append(1)
        terminate_own_backend()
        return commit()

    monkeypatch.setattr(connection, "commit", cut_then_commit)
    response = send(client, CREATE_COURSE, new_course("Maybe"))
    monkeypatch.undo()
    assert_unavailable(response, written=None)
    assert commits == [1]  # never sent again
    assert not Course.objects.filter(title="Maybe").exists()  # (the server never saw COMMIT)


def test_bugs_stay_masked(catalogue, monkeypatch):
    def broken(*args, **kwargs):
        raise psycopg.errors.UndefinedColumn("column x does not exist")  # a bug, not an outage

    with connection.execute_wrapper(lambda *args: broken()):
        response = send(Client(), COURSES)
    assert response.status_code == 200
    assert [e["message"] for e in response.json()["errors"]] == ["Unexpected error."]


def test_the_500_handler_answers_an_outage_met_outside_the_view(rf):
    try:
        raise psycopg.OperationalError("connection refused")
    except psycopg.OperationalError:
        response = views.server_error(rf.get("/graphql/"))
        posted = views.server_error(rf.post("/graphql/"))
    assert_unavailable(response, written=False)
    assert_unavailable(posted, written=None)
    assert views.server_error(rf.get("/")).status_code == 500  # no exception: a bug's answer


@pytest.mark.parametrize(
    ("error", "fault"),
    [
        (psycopg.OperationalError("connection to server failed: Connection refused"), Fault.OUTAGE),
        (psycopg.OperationalError("server closed the connection unexpectedly"), Fault.OUTAGE),
        (psycopg.errors.AdminShutdown("terminating connection"), Fault.OUTAGE),
        (psycopg.errors.CrashShutdown("crash"), Fault.OUTAGE),
        (psycopg.errors.CannotConnectNow("the database system is starting up"), Fault.OUTAGE),
        (psycopg.errors.TooManyConnections("too many clients"), Fault.OUTAGE),
        (psycopg.errors.ConnectionFailure("lost"), Fault.OUTAGE),
        (psycopg.errors.ReadOnlySqlTransaction("read-only transaction"), Fault.OUTAGE),
        (psycopg.InterfaceError("the connection is closed"), Fault.OUTAGE),
        (
            psycopg.errors.FeatureNotSupported("cached plan must not change result type"),
            Fault.STALE_STATEMENT,
        ),
        (psycopg.errors.InvalidSqlStatementName("_pg3_0 does not exist"), Fault.STALE_STATEMENT),
        (psycopg.errors.FeatureNotSupported("something else"), None),
        (psycopg.errors.QueryCanceled("statement timeout"), None),
        (psycopg.errors.UniqueViolation("duplicate key"), None),
        (psycopg.errors.UndefinedColumn("no such column"), None),
        (ValueError("a bug"), None),
    ],
)
def test_the_classification(error, fault):
    assert database_fault(error) is fault
    wrapped = OperationalError("wrapped")
    wrapped.__cause__ = error
    assert database_fault(wrapped) is fault  # as Django raises it
