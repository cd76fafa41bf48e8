"""Who sees which users, what of them, and what a submitter and a course's reader count."""

import pytest

from learningplatform.choices import CourseStatus, TaskStatus, Visibility
from tests.factories import (
    CourseFactory,
    InstructorFactory,
    StaffFactory,
    SubmissionFactory,
    TaskFactory,
    UserFactory,
)
from tests.helpers import global_id, gql

pytestmark = pytest.mark.django_db

USER = """query($id: ID!) { node(id: $id) { ... on User {
  username firstName lastName bio email } } }"""
FULL = {"firstName", "lastName", "bio", "email"}


@pytest.fixture
def people(db):
    teacher = InstructorFactory(username="teacher")
    CourseFactory(instructor=teacher)  # published and public: teacher is a public instructor
    hidden_teacher = InstructorFactory(username="hidden")
    CourseFactory(instructor=hidden_teacher, status=CourseStatus.DRAFT)
    student = UserFactory(username="student")
    SubmissionFactory(task=TaskFactory(course__instructor=teacher), user=student)
    return {
        "anonymous": None,
        "student": student,
        "other_student": UserFactory(username="other", is_active=False),
        "teacher": teacher,
        "hidden_teacher": hidden_teacher,
        "staff": StaffFactory(username="staff"),
    }


def seen(as_user, viewer, target) -> dict | None:
    return gql(as_user(viewer), USER, {"id": global_id(target)})["node"]


# viewer -> target -> "all" (every field), "username" (only it), None (like an unknown id)
EXPECTED = {
    "anonymous": {"student": None, "other_student": None, "teacher": "username",
                  "hidden_teacher": None, "staff": None},
    "student": {"student": "all", "other_student": None, "teacher": "username",
                "hidden_teacher": None, "staff": None},
    "teacher": {"student": "username", "other_student": None, "teacher": "all",
                "hidden_teacher": None, "staff": None},
    "hidden_teacher": {"student": None, "other_student": None, "teacher": "username",
                       "hidden_teacher": "all", "staff": None},
    "staff": {"student": "all", "other_student": "all", "teacher": "all",
              "hidden_teacher": "all", "staff": "all"},
}  # fmt: skip


@pytest.mark.parametrize("viewer", EXPECTED)
def test_who_sees_whom_and_what(as_user, people, viewer):
    for target, expected in EXPECTED[viewer].items():
        answer = seen(as_user, people[viewer], people[target])
        if expected is None:
            assert answer is None, (viewer, target)
            continue
        assert answer["username"] == people[target].username
        shown = {field for field in FULL if answer[field] is not None}
        assert shown == (FULL if expected == "all" else set()), (viewer, target)


def test_an_invisible_user_answers_like_an_unknown_id(as_user, people):
    client = as_user(None)
    hidden = gql(client, USER, {"id": global_id(people["student"])})
    unknown = gql(client, USER, {"id": "VXNlcjo5OTk5OTk5"})  # User:9999999
    assert hidden == unknown == {"node": None}


def test_a_public_course_shows_its_instructors_username_only(as_user, people):
    query = "{ courses { edges { node { instructor { username firstName lastName bio } } } } }"
    instructors = [e["node"]["instructor"] for e in gql(as_user(None), query)["courses"]["edges"]]
    assert instructors
    for instructor in instructors:
        assert instructor == {
            "username": "teacher",
            "firstName": None,
            "lastName": None,
            "bio": None,
        }


class TestSubmissionTask:
    def test_the_submitter_reads_their_submission_after_its_task_is_hidden(self, as_user):
        student = UserFactory()
        submission = SubmissionFactory(user=student)
        document = """query($id: ID!) { node(id: $id) { ... on Submission {
          content task { title } } } }"""
        client = as_user(student)
        assert gql(client, document, {"id": global_id(submission)})["node"]["task"] is not None
        submission.task.status = TaskStatus.DRAFT
        submission.task.save()
        answer = gql(client, document, {"id": global_id(submission)})  # no error
        assert answer == {"node": {"content": submission.content, "task": None}}


class TestTaskCount:
    def test_counts_what_the_caller_can_see(self, as_user):
        teacher = InstructorFactory()
        course = CourseFactory(instructor=teacher)
        TaskFactory.create_batch(8, course=course)
        TaskFactory.create_batch(2, course=course, status=TaskStatus.DRAFT)
        query = (
            "{ courses(first: 5) { edges { node { taskCount tasks(first: 5) { totalCount } } } } }"
        )
        for viewer, visible in ((None, 8), (UserFactory(), 8), (teacher, 10), (StaffFactory(), 10)):
            (edge,) = gql(as_user(viewer), query)["courses"]["edges"]
            assert edge["node"] == {"taskCount": visible, "tasks": {"totalCount": visible}}

    def test_a_single_course_counts_the_same(self, as_user):
        course = CourseFactory(visibility=Visibility.PUBLIC)
        TaskFactory(course=course)
        TaskFactory(course=course, status=TaskStatus.DRAFT)
        query = "query($id: ID!) { course(id: $id) { taskCount } }"
        assert gql(as_user(None), query, {"id": global_id(course)}) == {"course": {"taskCount": 1}}
