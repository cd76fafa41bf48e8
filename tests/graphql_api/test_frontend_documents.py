"""The frontend's documents: valid against the schema, right data, statements fixed by shape.

The statement counts asserted here are the ones listed in README.md; each is measured at two
result sizes, and must not change with the size.
"""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from graphql import parse, validate

from config.schema import schema
from tests.factories import CourseFactory, SubmissionFactory, TaskFactory, UserFactory
from tests.helpers import DOCUMENTS, document, global_id, gql

pytestmark = pytest.mark.django_db

# Statements per request; sessions add their own (see test_counts_include_the_session_lookup).
EXPECTED_STATEMENTS = {
    # courses with their instructors (joined: seen with the course); their count; tasks of the
    # page's courses; their totals (the courses' task tallies)
    "course_catalogue": 4,
    # the course with its instructor; its tasks; their total (tallies): on PostgreSQL one
    # statement, the tasks and their total read in the course's row (graphql_api/readpath/fold.py)
    "course_detail": 1 if connection.vendor == "postgresql" else 3,
    "instructor_dashboard": 3,  # the instructor id check; courses with both counts; their count
}


def seed_courses(instructor, count: int, tasks_per_course: int = 3) -> list:
    courses = CourseFactory.create_batch(count, instructor=instructor)
    for course in courses:
        for task in TaskFactory.create_batch(tasks_per_course, course=course):
            SubmissionFactory(task=task)
    return courses


def statements(client, query: str, variables: dict) -> tuple[dict, int]:
    with CaptureQueriesContext(connection) as captured:
        data = gql(client, query, variables)
    return data, len(captured.captured_queries)


@pytest.mark.parametrize("path", sorted(DOCUMENTS.glob("*.graphql")), ids=lambda p: p.stem)
def test_document_is_valid_against_the_schema(path):
    assert validate(schema._schema, parse(path.read_text())) == []


@pytest.mark.parametrize("size", [1, 30])
def test_course_catalogue(as_user, instructor, size):
    courses = seed_courses(instructor, size)
    data, count = statements(as_user(None), document("course_catalogue"), {"first": 20})
    page = data["courses"]
    assert page["totalCount"] == size
    assert len(page["edges"]) == min(size, 20)
    assert page["pageInfo"]["hasNextPage"] == (size > 20)
    newest = page["edges"][0]["node"]
    assert newest["id"] == global_id(max(courses, key=lambda c: (c.created_at, c.pk)))
    assert newest["instructor"]["username"] == instructor.username
    assert newest["tasks"]["totalCount"] == 3
    assert count == EXPECTED_STATEMENTS["course_catalogue"]


@pytest.mark.parametrize("tasks", [1, 40])
def test_course_detail(as_user, instructor, tasks):
    (course,) = seed_courses(instructor, 1, tasks_per_course=tasks)
    data, count = statements(as_user(None), document("course_detail"), {"id": global_id(course)})
    assert data["course"]["title"] == course.title
    assert data["course"]["tasks"]["totalCount"] == tasks
    first = data["course"]["tasks"]["edges"][0]["node"]
    assert (first["maxScore"], first["passingScore"]) == ("100.00", "50.00")
    assert count == EXPECTED_STATEMENTS["course_detail"]


@pytest.mark.parametrize("size", [1, 30])
def test_instructor_dashboard(as_user, instructor, size):
    seed_courses(instructor, size)
    CourseFactory()  # another instructor's course is not on the dashboard
    client = as_user(instructor)
    with CaptureQueriesContext(connection) as session_only:
        client.get("/admin/jsi18n/")  # loads the session and the user, nothing else
    variables = {"instructor": global_id(instructor)}
    data, count = statements(client, document("instructor_dashboard"), variables)
    assert data["me"]["email"] == instructor.email
    assert data["courses"]["totalCount"] == size
    course = data["courses"]["edges"][0]["node"]
    assert (course["taskCount"], course["submissionCount"]) == (3, 3)
    assert count - len(session_only.captured_queries) == EXPECTED_STATEMENTS["instructor_dashboard"]


def test_task_editor_create_then_update(as_user, instructor):
    course = CourseFactory(instructor=instructor)
    client = as_user(instructor)
    created = gql(
        client,
        document("task_editor_create"),
        {
            "input": {
                "courseId": global_id(course), "title": "Week 1 quiz", "taskType": "QUIZ",
                "maxScore": "20", "passingScore": "12", "timeLimit": 30, "isRandomized": True,
                "deadline": "2030-01-01T12:00:00+00:00",
            }
        },
    )["createTask"]  # fmt: skip
    assert created["errors"] == []
    task = created["task"]
    assert (task["title"], task["status"], task["maxScore"], task["course"]["taskCount"]) == (
        "Week 1 quiz", "DRAFT", "20.00", 1
    )  # fmt: skip
    updated = gql(
        client,
        document("task_editor_update"),
        {
            "input": {
                "id": task["id"],
                "status": "PUBLISHED",
                "passingScore": "15",
                "timeLimit": None,
            }
        },
    )["updateTask"]
    assert updated["errors"] == []
    assert (updated["task"]["status"], updated["task"]["passingScore"]) == ("PUBLISHED", "15.00")
    assert updated["task"]["timeLimit"] is None
    course.refresh_from_db()
    stored = course.tasks.get()
    assert (stored.passing_score, stored.time_limit, stored.is_randomized) == (
        Decimal("15"), None, True
    )  # fmt: skip
    assert stored.created_by == instructor


def test_counts_include_the_session_lookup(as_user):
    """Anonymous requests load no session; logged-in ones add the session and the user."""
    client = as_user(UserFactory())
    with CaptureQueriesContext(connection) as captured:
        gql(client, "query { me { username } }")
    assert len(captured.captured_queries) == 2
