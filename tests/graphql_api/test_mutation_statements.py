"""Statements per mutation: each reads what it needs once, writes, and answers.

Counted for every mutation on the request's own statements: without the session lookup
(sessions add their own, as in test_frontend_documents.py) and without the request's
transaction bracket (a savepoint here, where each test runs in a transaction; BEGIN and COMMIT
in production, which Django does not count). Each is sent twice, on two objects, for two users
where the mutation has a viewer, so that no count depends on which object or who asks.
"""

from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from learningplatform.choices import CourseStatus
from learningplatform.models import Course, Submission, Task
from tests.factories import (
    CourseFactory,
    InstructorFactory,
    SubmissionFactory,
    TaskFactory,
    UserFactory,
)
from tests.helpers import (
    CREATE_COURSE,
    CREATE_TASK,
    DELETE_COURSE,
    DELETE_TASK,
    GRADE,
    LOGIN,
    LOGOUT,
    SUBMIT,
    UPDATE_COURSE,
    UPDATE_TASK,
    document,
    global_id,
    gql,
    post,
)

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"  # tests/factories.py's

# The request's own statements, session lookup and transaction bracket aside (docs/performance.md
# lists them; ADR 0015 says why none is a validation SELECT).
EXPECTED_STATEMENTS = {
    "createCourse": 3,  # the viewer's permissions (Django's ModelBackend: the user's, their
    # groups'); the INSERT (the instructor is the request's user)
    "updateCourse": 2,  # the course as the viewer may see it; the UPDATE
    "deleteCourse": 6,  # the course; Django's cascade: its task ids, their submissions, tasks,
    # its task tallies, it
    "createTask": 2,  # the course; the INSERT
    "createTask (the task editor)": 3,  # ... and the course's taskCount the editor asks for
    "updateTask": 2,  # the task with its course (one join); the UPDATE
    "updateTask (the task editor)": 2,
    "deleteTask": 3,  # the task with its course; its submissions, it
    "submitTask": 4,  # the task as the student may see it; locked; the attempts; the INSERT
    "gradeSubmission": 2,  # the submission with its task and course (joined); the UPDATE
    "login": 3,  # django-axes: the lockout sums, in one (learningplatform.throttling); the
    # user; the last_login UPDATE. The new session is written once, by the response (below);
    # an account with failures to clear costs their DELETE too (test_throttling.py)
    "logout": 3,  # django-axes' logout record lookup; the session read again; its DELETE
}
# The session middleware saves a session a mutation changed after the response is made (an
# INSERT for a new one, learningplatform.sessions; in a savepoint here, in a transaction of its
# own in production).
SESSION_SAVE = {"login": 3, "logout": 0}


def session_lookup(client: Client) -> int:
    """The statements a request of this client spends loading its session and user."""
    with CaptureQueriesContext(connection) as captured:
        client.get("/admin/jsi18n/")  # loads the session and the user, nothing else
    return len(captured.captured_queries)


def request_statements(client: Client, query: str, variables: dict) -> tuple[dict, int]:
    """The response and the statements it cost, session lookup and transaction bracket aside."""
    session = session_lookup(client)
    with CaptureQueriesContext(connection) as captured:
        body = post(client, query, variables)
    sql = [q["sql"] for q in captured.captured_queries]
    bracket = [s for s in sql if s.startswith(("SAVEPOINT", "RELEASE SAVEPOINT"))][:1]
    if bracket:  # the first savepoint is the request's transaction; its RELEASE goes with it
        name = bracket[0].split()[-1]
        sql = [s for s in sql if not s.endswith(name)]
    return body, len(sql) - session


def counted(name: str, client: Client, query: str, variables: dict) -> dict:
    body, count = request_statements(client, query, variables)
    assert "errors" not in body, body["errors"]
    assert count == EXPECTED_STATEMENTS[name], name
    return body["data"]


@pytest.fixture
def instructors(db):
    return InstructorFactory.create_batch(2)


def test_course_mutations(as_user, instructors):
    for instructor in instructors:
        client = as_user(instructor)
        for title in ("Rust", "Go"):
            created = counted("createCourse", client, CREATE_COURSE, {"input": {"title": title}})
            course = created["createCourse"]["course"]
            assert (course["title"], course["instructor"]) == (
                title, {"username": instructor.username}
            )  # fmt: skip
            variables = {
                "input": {"id": course["id"], "title": f"{title} 2", "status": "PUBLISHED"}
            }
            updated = counted("updateCourse", client, UPDATE_COURSE, variables)
            assert updated["updateCourse"]["course"]["title"] == f"{title} 2"
            TaskFactory.create_batch(2, course=Course.objects.get(title=f"{title} 2"))
            deleted = counted("deleteCourse", client, DELETE_COURSE, {"id": course["id"]})
            assert deleted["deleteCourse"] == {"deletedId": course["id"], "errors": []}
    assert not Course.objects.exists() and not Task.objects.exists()


def test_task_mutations(as_user, instructors):
    for instructor in instructors:
        client = as_user(instructor)
        for course in CourseFactory.create_batch(2, instructor=instructor):
            variables = {"input": {"courseId": global_id(course), "title": "Quiz", "maxScore": "5"}}
            created = counted("createTask", client, CREATE_TASK, variables)["createTask"]["task"]
            assert (created["maxScore"], created["passingScore"]) == ("5.00", None)
            editor = counted(
                "createTask (the task editor)", client, document("task_editor_create"), variables
            )["createTask"]["task"]
            assert editor["course"]["taskCount"] == 2
            variables = {"input": {"id": created["id"], "title": "Quiz 2", "passingScore": "2.5"}}
            updated = counted("updateTask", client, UPDATE_TASK, variables)
            assert updated["updateTask"]["task"]["title"] == "Quiz 2"
            variables = {"input": {"id": editor["id"], "passingScore": "4", "timeLimit": 20}}
            updated = counted(
                "updateTask (the task editor)", client, document("task_editor_update"), variables
            )["updateTask"]["task"]
            assert (updated["passingScore"], updated["timeLimit"]) == ("4.00", 20)
            SubmissionFactory(task=Task.objects.get(title="Quiz 2", course=course))
            for task_id in (created["id"], editor["id"]):
                deleted = counted("deleteTask", client, DELETE_TASK, {"id": task_id})
                assert deleted["deleteTask"]["errors"] == []
    assert not Task.objects.exists() and not Submission.objects.exists()


def test_submission_mutations(as_user, instructors):
    students = UserFactory.create_batch(2)
    for instructor in instructors:
        for task in TaskFactory.create_batch(2, course__instructor=instructor):
            for student in students:
                variables = {"input": {"taskId": global_id(task), "content": "my answer"}}
                submitted = counted("submitTask", as_user(student), SUBMIT, variables)
                assert submitted["submitTask"]["submission"]["attempt"] == 1
                submission = Submission.objects.get(task=task, user=student)
                variables = {"input": {"submissionId": global_id(submission), "score": "7.5"}}
                graded = counted("gradeSubmission", as_user(instructor), GRADE, variables)
                assert graded["gradeSubmission"]["submission"] == {
                    "score": "7.50", "isGraded": True, "gradedBy": {"username": instructor.username}
                }  # fmt: skip
    assert set(Submission.objects.values_list("score", flat=True)) == {Decimal("7.5")}


def test_login_and_logout(as_user):
    for user in UserFactory.create_batch(2):
        client = Client()
        with CaptureQueriesContext(connection) as captured:
            variables = {"username": user.username, "password": PASSWORD}
            body, count = request_statements(client, LOGIN, variables)
        assert body["data"]["login"]["user"] == {"username": user.username}
        # Anonymous: no session to look up; the session middleware saves the new one after.
        assert count == EXPECTED_STATEMENTS["login"] + SESSION_SAVE["login"]
        assert any("django_session" in q["sql"] for q in captured.captured_queries)
        body, count = request_statements(client, LOGOUT, {})
        assert body["data"]["logout"] == {"ok": True}
        assert count == EXPECTED_STATEMENTS["logout"]


def test_no_mutation_validates_through_the_database(as_user, instructor, student):
    """Django's validate_constraints sends `SELECT 1 AS "_check"` per check constraint, and its
    foreign key and unique checks `SELECT 1 AS "a"`: the rules run in Python instead."""
    course = CourseFactory(instructor=instructor, status=CourseStatus.PUBLISHED)
    task = TaskFactory(course=course)
    sends = [
        (instructor, CREATE_COURSE, {"input": {"title": "T", "duration": "P1D"}}),
        (instructor, UPDATE_COURSE, {"input": {"id": global_id(course), "title": "U"}}),
        (instructor, CREATE_TASK, {"input": {"courseId": global_id(course), "title": "T"}}),
        (instructor, UPDATE_TASK, {"input": {"id": global_id(task), "maxScore": "60"}}),
        (student, SUBMIT, {"input": {"taskId": global_id(task), "content": "x"}}),
    ]
    for user, query, variables in sends:
        client = as_user(user)
        with CaptureQueriesContext(connection) as captured:
            gql(client, query, variables)
        sql = " ".join(q["sql"] for q in captured.captured_queries)
        assert '"_check"' not in sql and 'SELECT 1 AS "a"' not in sql, query
