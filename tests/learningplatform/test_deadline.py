"""The request's deadline: its statements together get the budget, not each statement."""

import pytest
from django.db import connection

from learningplatform import deadline
from learningplatform.models import Course
from tests.factories import CourseFactory, TaskFactory
from tests.helpers import POOLED, document, post

pytestmark = pytest.mark.django_db

TIMEOUT = (
    "The request ran longer than the server allows (10 s) and was stopped; nothing was "
    "written. Ask for less: smaller pages, fewer lists."
)


class SteppingClock:
    """A clock that moves `step` seconds each time it is read."""

    def __init__(self, step: float) -> None:
        self.now, self.step = 1000.0, step

    def __call__(self) -> float:
        self.now += self.step
        return self.now


@pytest.fixture
def budget(settings):
    settings.STATEMENT_TIMEOUT_MS = 10_000


def test_statements_each_under_the_limit_stop_when_the_request_is_over_it(
    client, budget, monkeypatch
):
    course = CourseFactory()
    TaskFactory(course=course)
    # Every statement "takes" 6 s: each alone is under 10 s, the second ends past the deadline.
    monkeypatch.setattr(deadline, "clock", SteppingClock(step=6))
    completed = []

    def record(run, sql, *args):
        result = run(sql, *args)
        completed.append(sql)
        return result

    with connection.execute_wrapper(record):
        body = post(client, document("course_catalogue"), {"first": 20})
    assert body["errors"] == [
        {"message": TIMEOUT, "locations": [{"line": 3, "column": 3}], "path": ["courses"],
         "extensions": {"code": "TIMEOUT"}}
    ]  # fmt: skip
    assert body["data"] is None
    assert len(completed) == 1  # the courses; the tasks' statement was not started


@pytest.mark.django_db(transaction=True)  # as in production: no test transaction around it
def test_a_mutation_past_the_deadline_writes_nothing(as_user, instructor, budget, monkeypatch):
    client = as_user(instructor)
    monkeypatch.setattr(deadline, "clock", SteppingClock(step=3))
    response = client.post(
        "/graphql/", {"query": 'mutation { createCourse(input: {title: "Late"}) { course { id } } }'},
        content_type="application/json",
    )  # fmt: skip
    # Past the deadline in GraphQL, or before it (loading the session): the same error.
    assert response.status_code in {200, 503}
    (error,) = response.json()["errors"]
    assert (error["message"], error["extensions"]) == (TIMEOUT, {"code": "TIMEOUT"})
    assert not Course.objects.filter(title="Late").exists()


def test_a_fast_request_is_not_affected(client, budget):
    CourseFactory()
    body = post(client, "{ courses { totalCount } }")
    assert body == {"data": {"courses": {"totalCount": 1}}}


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's statement_timeout")
@pytest.mark.django_db(transaction=True)  # the cancelled statement aborts its transaction
def test_postgresql_gives_the_next_statement_only_the_time_left(settings):
    settings.STATEMENT_TIMEOUT_MS = 60_000  # the session's own timeout would let it run
    wrapper = deadline.DeadlineWrapper(deadline.Deadline(300))
    with connection.execute_wrapper(wrapper), pytest.raises(deadline.OperationalError) as raised:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_sleep(30)")
    assert getattr(raised.value.__cause__, "sqlstate", None) == "57014"  # cancelled by the server
    wrapper.finish()
    with connection.cursor() as cursor:
        cursor.execute("SHOW statement_timeout")
        # Given back as the next request expects it; through a pooler never changed: the
        # timeout was each statement's own (SET LOCAL), the server's default stays.
        assert cursor.fetchone()[0] == ("0" if POOLED else "1min")


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's progress handler")
def test_sqlite_interrupts_a_statement_at_the_deadline():
    wrapper = deadline.DeadlineWrapper(deadline.Deadline(300))
    endless = (
        "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n LIMIT 10000000000) "
        "SELECT count(*) FROM n"
    )
    with connection.execute_wrapper(wrapper), pytest.raises(deadline.RequestTimedOut):
        with connection.cursor() as cursor:
            cursor.execute(endless)
    wrapper.finish()
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")  # the handler is gone: the connection works as before
