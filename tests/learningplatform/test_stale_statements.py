"""A migration that changes a column's type under a prepared statement fails no request.

On PostgreSQL a statement prepared on a connection (DB_PREPARE_THRESHOLD) before another
connection changed the type of a column it returns fails ("cached plan must not change result
type") every time it runs there again, until the connection goes. The backend runs it again
unprepared (learningplatform/db/postgresql/base.py); in a mutation's transaction the view runs the
request again (graphql_api/unavailable.py). tests/graphql_api/test_migrations_while_serving.py
does the same to gunicorn under load.
"""

import contextlib

import psycopg
import pytest
from django.db import NotSupportedError, connection
from django.test import Client

from learningplatform.db.postgresql.base import run_again_if_stale
from learningplatform.models import Course
from tests.factories import CourseFactory
from tests.helpers import POOLED, UPDATE_COURSE, global_id

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="prepared statements: PostgreSQL"),
    pytest.mark.skipif(POOLED, reason="a transaction-mode pooler: no statement is prepared"),
    pytest.mark.django_db(transaction=True),
]

COURSES = "{ courses(first: 5) { edges { node { title } } } }"
ME = "{ me { username firstName } }"


def admin_connection() -> psycopg.Connection:
    params = connection.get_connection_params()
    keep = {"dbname", "user", "host", "port", "password"}
    return psycopg.connect(**{k: v for k, v in params.items() if k in keep}, autocommit=True)


@contextlib.contextmanager
def column_type(table: str, column: str, changed: str, original: str):
    """Change a column's type from another connection, as `migrate` would; put it back after."""
    with admin_connection() as admin:
        admin.execute(f"ALTER TABLE {table} ALTER COLUMN {column} TYPE {changed}")
        try:
            yield
        finally:
            connection.close()  # its prepared statements name the changed type
            admin.execute(f"ALTER TABLE {table} ALTER COLUMN {column} TYPE {original}")


def send(client: Client, query: str, variables=None) -> dict:
    response = client.post(
        "/graphql/", {"query": query, "variables": variables or {}}, content_type="application/json"
    )
    assert response.status_code == 200, response.content
    return response.json()


def prepared() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [row[0] for row in cursor.fetchall()]


@pytest.fixture
def courses(db):
    return CourseFactory.create_batch(3)


def warm(client: Client, query: str, variables=None) -> None:
    """Run a document until its statements are prepared on this connection."""
    for _ in range(3):
        send(client, query, variables)
    assert any("learningplatform_" in sql for sql in prepared())


def titles() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT title FROM learningplatform_course WHERE id > %s", [0])
        return [row[0] for row in cursor.fetchall()]


def test_a_stale_statement_runs_again_unprepared_and_fails_without_the_backends_retry(courses):
    for _ in range(3):
        titles()
    assert any("SELECT title FROM learningplatform_course" in sql for sql in prepared())
    with column_type("learningplatform_course", "title", "varchar(250)", "varchar(255)"):
        connection.execute_wrappers.remove(run_again_if_stale)
        try:
            with pytest.raises(NotSupportedError, match="cached plan must not change result type"):
                titles()
        finally:
            connection.execute_wrappers.insert(0, run_again_if_stale)
        assert sorted(titles()) == sorted(c.title for c in courses)
        assert sorted(titles()) == sorted(c.title for c in courses)  # and prepared again


@pytest.mark.parametrize("user", ["anonymous", "student", "staff"])
def test_a_query_after_a_column_type_change_is_answered(courses, user, request, caplog):
    client = Client()
    if user != "anonymous":
        client.force_login(request.getfixturevalue(user))
    warm(client, COURSES)
    with column_type("learningplatform_course", "title", "varchar(250)", "varchar(255)"):
        for _ in range(3):
            body = send(client, COURSES)
            assert "errors" not in body, body
            assert body["data"]["courses"]["edges"]
    assert "Retrying" not in caplog.text  # the backend ran the statement again, in place


def test_a_logged_in_request_after_the_user_tables_type_change_is_answered(student):
    client = Client()
    client.force_login(student)
    warm(client, ME)
    with column_type("learningplatform_user", "first_name", "varchar(149)", "varchar(150)"):
        body = send(client, ME)
    assert body == {"data": {"me": {"username": student.username, "firstName": student.first_name}}}


def test_a_mutation_after_a_column_type_change_is_applied_once(courses):
    course = courses[0]
    client = Client()
    client.force_login(course.instructor)
    ids = {"id": global_id(course)}
    for title in ("Warm 1", "Warm 2", "Warm 3"):
        send(client, UPDATE_COURSE, {"input": ids | {"title": title}})
    with column_type("learningplatform_course", "title", "varchar(250)", "varchar(255)"):
        body = send(client, UPDATE_COURSE, {"input": ids | {"title": "After the migration"}})
    assert "errors" not in body, body
    assert body["data"]["updateCourse"]["errors"] == []
    assert Course.objects.get(pk=course.pk).title == "After the migration"
