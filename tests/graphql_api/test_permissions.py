"""Who may do what: every mutation and private field against every kind of user.

The owner is the course's instructor. Objects a user may not act on answer NOT_FOUND, exactly
like unknown ids.
"""

import pytest

from learningplatform.models import Course, Submission, Task
from tests.factories import (
    CourseFactory,
    InstructorFactory,
    StaffFactory,
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
    SUBMIT,
    UPDATE_COURSE,
    UPDATE_TASK,
    global_id,
    gql,
)

pytestmark = pytest.mark.django_db

ROLES = ["anonymous", "student", "other_instructor", "owner", "staff"]
OK = "OK"


@pytest.fixture
def world(db):
    owner = InstructorFactory(username="owner")
    course = CourseFactory(instructor=owner)
    task = TaskFactory(course=course)
    student = UserFactory(username="student")
    submission = SubmissionFactory(task=task, user=student)
    users = {
        "anonymous": None,
        "student": student,
        "other_instructor": InstructorFactory(username="other"),
        "owner": owner,
        "staff": StaffFactory(username="staff"),
    }
    return {"users": users, "course": course, "task": task, "submission": submission}


def outcome(payload: dict) -> str:
    return payload["errors"][0]["code"] if payload["errors"] else OK


# mutation name -> (document, variables from the world, expected outcome per role)
MATRIX = {
    "createCourse": (
        CREATE_COURSE,
        lambda w: {"input": {"title": "New"}},
        ["NOT_AUTHENTICATED", "PERMISSION_DENIED", OK, OK, OK],
    ),
    "updateCourse": (
        UPDATE_COURSE,
        lambda w: {"input": {"id": global_id(w["course"]), "title": "Changed"}},
        ["NOT_FOUND", "NOT_FOUND", "NOT_FOUND", OK, OK],
    ),
    "deleteCourse": (
        DELETE_COURSE,
        lambda w: {"id": global_id(w["course"])},
        ["NOT_FOUND", "NOT_FOUND", "NOT_FOUND", OK, OK],
    ),
    "createTask": (
        CREATE_TASK,
        lambda w: {"input": {"courseId": global_id(w["course"]), "title": "T"}},
        ["NOT_FOUND", "NOT_FOUND", "NOT_FOUND", OK, OK],
    ),
    "updateTask": (
        UPDATE_TASK,
        lambda w: {"input": {"id": global_id(w["task"]), "title": "Changed"}},
        ["NOT_FOUND", "NOT_FOUND", "NOT_FOUND", OK, OK],
    ),
    "deleteTask": (
        DELETE_TASK,
        lambda w: {"id": global_id(w["task"])},
        ["NOT_FOUND", "NOT_FOUND", "NOT_FOUND", OK, OK],
    ),
    "submitTask": (
        SUBMIT,
        lambda w: {"input": {"taskId": global_id(w["task"]), "content": "answer"}},
        ["NOT_AUTHENTICATED", OK, OK, OK, OK],
    ),
    "gradeSubmission": (
        GRADE,
        lambda w: {"input": {"submissionId": global_id(w["submission"]), "score": "1"}},
        ["NOT_FOUND", "NOT_FOUND", "NOT_FOUND", OK, OK],
    ),
}


def snapshot() -> tuple:
    return tuple(
        sorted(model.objects.values_list(*fields))
        for model, fields in [
            (Course, ("id", "title", "status")),
            (Task, ("id", "title")),
            (Submission, ("id", "attempt", "score")),
        ]
    )


@pytest.mark.parametrize("mutation", MATRIX)
@pytest.mark.parametrize("role", ROLES)
def test_mutation_matrix(as_user, world, mutation, role):
    document, variables, expected = MATRIX[mutation]
    before = snapshot()
    data = gql(as_user(world["users"][role]), document, variables(world))
    assert outcome(data[mutation]) == expected[ROLES.index(role)]
    if expected[ROLES.index(role)] != OK:
        assert snapshot() == before, "a refused mutation wrote something"


def test_unknown_ids_answer_like_forbidden_ones(as_user, world):
    client = as_user(world["users"]["student"])
    forbidden = gql(client, UPDATE_COURSE, {"input": {"id": global_id(world["course"])}})
    unknown = gql(client, UPDATE_COURSE, {"input": {"id": "Q291cnNlOjk5OTk5"}})
    strip = lambda payload: [e["code"] for e in payload["updateCourse"]["errors"]]  # noqa: E731
    assert strip(forbidden) == strip(unknown) == ["NOT_FOUND"]


PRIVATE_FIELDS = """
query($id: ID!) {
  node(id: $id) { ... on Submission { user { email dateJoined lastLogin isStaff } } }
}
"""


@pytest.mark.parametrize(
    ("role", "sees_submission", "sees_private"),
    [
        ("anonymous", False, False),
        ("student", True, True),  # the submission and the profile are the student's own
        ("other_instructor", False, False),
        ("owner", True, False),  # sees the submission to their course, not the e-mail
        ("staff", True, True),
    ],
)
def test_private_fields_matrix(as_user, world, role, sees_submission, sees_private):
    data = gql(
        as_user(world["users"][role]), PRIVATE_FIELDS, {"id": global_id(world["submission"])}
    )
    if not sees_submission:
        assert data["node"] is None
        return
    user = data["node"]["user"]
    if sees_private:
        assert user["email"] == world["users"]["student"].email
        assert user["dateJoined"] is not None and user["isStaff"] is False
    else:
        assert user == {"email": None, "dateJoined": None, "lastLogin": None, "isStaff": None}
