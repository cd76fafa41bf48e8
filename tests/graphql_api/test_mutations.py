"""Mutations: business rules, field-level errors with stable codes, nothing written on error."""

import dataclasses
import inspect
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from graphql_api.course.mutations import CreateCourseInput, UpdateCourseInput
from graphql_api.task.mutations import CreateTaskInput, UpdateTaskInput
from learningplatform import services
from learningplatform.choices import CourseStatus, TaskStatus, TaskType
from learningplatform.models import Course, Submission, Task
from tests.factories import SubmissionFactory, TaskFactory
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
    errors_of,
    global_id,
    gql,
    post,
)

pytestmark = pytest.mark.django_db


ME = "query { me { username } }"


def error(field, code, message=None):
    found = {"field": field, "code": code}
    return found if message is None else found | {"message": message}


def without_messages(errors):
    return [{"field": e["field"], "code": e["code"]} for e in errors]


class TestCourses:
    def test_create_update_delete(self, as_user, instructor):
        client = as_user(instructor)
        created = gql(client, CREATE_COURSE, {"input": {"title": "Rust", "duration": "P42D"}})[
            "createCourse"
        ]
        assert created["errors"] == []
        assert created["course"] | {"id": None} == {
            "id": None, "title": "Rust", "status": "DRAFT", "duration": "P42DT00H00M00S",
            "instructor": {"username": instructor.username},
        }  # fmt: skip
        course_id = created["course"]["id"]
        updated = gql(
            client,
            UPDATE_COURSE,
            {"input": {"id": course_id, "status": "PUBLISHED", "difficultyLevel": "ADVANCED"}},
        )["updateCourse"]
        assert updated == {
            "course": {"title": "Rust", "status": "PUBLISHED", "difficultyLevel": "ADVANCED"},
            "errors": [],
        }
        deleted = gql(client, DELETE_COURSE, {"id": course_id})["deleteCourse"]
        assert deleted == {"deletedId": course_id, "errors": []}
        assert not Course.objects.exists()

    @pytest.mark.parametrize(
        ("fields", "expected"),
        [
            ({"title": ""}, [error("title", "REQUIRED", "This field cannot be blank.")]),
            ({"title": "x" * 256}, [error("title", "TOO_LONG")]),
            ({"title": "ok", "duration": "-P1D"}, [error("duration", "OUT_OF_RANGE")]),
        ],
    )
    def test_bad_input_is_reported_per_field_and_nothing_is_written(
        self, as_user, instructor, fields, expected
    ):
        payload = gql(as_user(instructor), CREATE_COURSE, {"input": fields})["createCourse"]
        assert payload["course"] is None
        assert [{k: e[k] for k in expected[0]} for e in payload["errors"]] == expected
        assert not Course.objects.exists()

    def test_an_unparseable_duration_is_refused_by_the_schema(self, as_user, instructor):
        body = post(
            as_user(instructor), CREATE_COURSE, {"input": {"title": "t", "duration": "soon"}}
        )
        assert "is not an ISO 8601 duration" in body["errors"][0]["message"]
        assert not Course.objects.exists()

    def test_an_unparseable_duration_written_in_the_document_is_refused_clearly(
        self, as_user, instructor
    ):
        literal = (
            'mutation { createCourse(input: {title: "t", duration: "soon"}) { course { id } } }'
        )
        body = post(as_user(instructor), literal)
        assert errors_of(body) == [
            "'soon' is not an ISO 8601 duration such as 'P3DT4H' or 'PT90M'."
        ]
        assert not Course.objects.exists()

    def test_update_leaves_unmentioned_fields_alone(self, as_user, course):
        before = Course.objects.values().get(pk=course.pk)
        gql(
            as_user(course.instructor),
            UPDATE_COURSE,
            {"input": {"id": global_id(course), "title": "New"}},
        )
        after = Course.objects.values().get(pk=course.pk)
        changed = {key for key in before if before[key] != after[key]}
        assert changed == {"title", "updated_at"}


class TestTasks:
    def test_passing_score_above_maximum_names_both_values(self, as_user, course):
        payload = gql(
            as_user(course.instructor),
            CREATE_TASK,
            {"input": {"courseId": global_id(course), "title": "Exam", "maxScore": "50", "passingScore": "80"}},
        )["createTask"]  # fmt: skip
        assert payload == {
            "task": None,
            "errors": [
                error(
                    "passingScore", "INVARIANT", "Passing score 80 is above the maximum score 50."
                )
            ],
        }
        assert not Task.objects.exists()

    @pytest.mark.parametrize(
        ("fields", "expected"),
        [
            ({"maxScore": "1000"}, [error("maxScore", "OUT_OF_RANGE")]),
            (
                {"maxScore": "-1"},
                [error("maxScore", "OUT_OF_RANGE"), error("passingScore", "INVARIANT")],
            ),
            ({"timeLimit": 0}, [error("timeLimit", "OUT_OF_RANGE")]),
            ({"maxSubmissions": -1}, [error("maxSubmissions", "OUT_OF_RANGE")]),
        ],
    )
    def test_out_of_range_values(self, as_user, task, fields, expected):
        before = Task.objects.values().get(pk=task.pk)
        payload = gql(
            as_user(task.course.instructor),
            UPDATE_TASK,
            {"input": {"id": global_id(task), **fields}},
        )["updateTask"]
        assert without_messages(payload["errors"]) == expected
        assert Task.objects.values().get(pk=task.pk) == before

    def test_delete_removes_the_task_and_its_submissions(self, as_user, task):
        SubmissionFactory(task=task)
        payload = gql(as_user(task.course.instructor), DELETE_TASK, {"id": global_id(task)})
        assert payload["deleteTask"]["errors"] == []
        assert not Task.objects.exists() and not Submission.objects.exists()


class TestSubmissions:
    def submit(self, client, task, content="my answer"):
        variables = {"input": {"taskId": global_id(task), "content": content}}
        return gql(client, SUBMIT, variables)["submitTask"]

    def test_attempts_are_numbered_until_max_submissions(self, as_user, student, task):
        client = as_user(student)
        task.max_submissions = 2
        task.save()
        assert self.submit(client, task)["submission"]["attempt"] == 1
        assert self.submit(client, task)["submission"]["attempt"] == 2
        third = self.submit(client, task)
        assert third == {
            "submission": None,
            "errors": [
                error("taskId", "MAX_SUBMISSIONS_REACHED",
                      "You have used all 2 submissions allowed for this task.")
            ],
        }  # fmt: skip
        assert Submission.objects.filter(user=student).count() == 2

    def test_a_task_with_max_submissions_zero_takes_none(self, as_user, student, task):
        task.max_submissions = 0  # legacy tasks may say so: the old column admitted 0
        task.save()
        payload = self.submit(as_user(student), task)
        assert payload == {
            "submission": None,
            "errors": [
                error("taskId", "MAX_SUBMISSIONS_REACHED", "This task takes no submissions.")
            ],
        }
        assert not Submission.objects.exists()

    def test_after_the_deadline_nothing_is_accepted(self, as_user, student, task):
        task.deadline = timezone.now() - timedelta(minutes=1)
        task.save()
        payload = self.submit(as_user(student), task)
        assert without_messages(payload["errors"]) == [error("taskId", "DEADLINE_PASSED")]
        assert not Submission.objects.exists()

    @pytest.mark.parametrize("status", [CourseStatus.DRAFT, CourseStatus.ARCHIVED])
    def test_only_published_courses_take_submissions(self, as_user, student, task, status):
        # The student can still see the task (as its instructor's own course, say, it is hidden;
        # here it is archived after the student found it), so the answer names the course.
        client = as_user(task.course.instructor)
        Course.objects.filter(pk=task.course_id).update(status=status)
        payload = self.submit(client, task)
        assert without_messages(payload["errors"]) == [error("taskId", "NOT_OPEN")]
        assert not Submission.objects.exists()

    def test_learning_tasks_take_no_submissions(self, as_user, student, course):
        task = TaskFactory(course=course, task_type=TaskType.LEARNING)
        payload = self.submit(as_user(student), task)
        assert without_messages(payload["errors"]) == [error("taskId", "NOT_OPEN")]

    def test_empty_content_is_refused(self, as_user, student, task):
        payload = self.submit(as_user(student), task, content="")
        assert without_messages(payload["errors"]) == [error("content", "REQUIRED")]

    def test_grading_within_range(self, as_user, student, task):
        submission = SubmissionFactory(task=task, user=student)
        client = as_user(task.course.instructor)
        variables = {"input": {"submissionId": global_id(submission), "score": "100.01"}}
        payload = gql(client, GRADE, variables)["gradeSubmission"]
        assert payload["errors"] == [
            error("score", "OUT_OF_RANGE", "Score 100.01 is above the task's maximum score 100.00.")
        ]
        submission.refresh_from_db()
        assert (submission.score, submission.is_graded) == (None, False)
        variables["input"]["score"] = "-1"
        payload = gql(client, GRADE, variables)["gradeSubmission"]
        assert without_messages(payload["errors"]) == [error("score", "OUT_OF_RANGE")]
        variables["input"]["score"] = "99.5"
        payload = gql(client, GRADE, variables)["gradeSubmission"]
        assert payload["submission"] == {
            "score": "99.50", "isGraded": True,
            "gradedBy": {"username": task.course.instructor.username},
        }  # fmt: skip
        submission.refresh_from_db()
        assert (submission.score, submission.graded_by) == (
            Decimal("99.50"),
            task.course.instructor,
        )


class TestSessions:
    def test_login_then_logout(self, client, student):
        assert gql(client, ME) == {"me": None}
        payload = gql(
            client,
            LOGIN,
            {"username": student.username, "password": "correct horse battery staple"},
        )["login"]
        assert payload == {"user": {"username": student.username}, "errors": []}
        assert gql(client, ME) == {"me": {"username": student.username}}
        # From here on the session is authenticated, so POSTs need the CSRF token: the test
        # client skips that check (see test_http.py for the enforced version).
        assert gql(client, LOGOUT) == {"logout": {"ok": True}}
        assert gql(client, ME) == {"me": None}

    def test_wrong_password(self, client, student):
        payload = gql(client, LOGIN, {"username": student.username, "password": "nope"})["login"]
        assert payload == {
            "user": None,
            "errors": [error(None, "INVALID_CREDENTIALS", "Wrong username or password.")],
        }
        assert gql(client, ME) == {"me": None}


def test_task_status_published_is_required_to_submit(as_user, student, course):
    task = TaskFactory(course=course, status=TaskStatus.DRAFT)
    payload = gql(
        as_user(course.instructor), SUBMIT, {"input": {"taskId": global_id(task), "content": "x"}}
    )["submitTask"]
    assert without_messages(payload["errors"]) == [error("taskId", "NOT_OPEN")]


def test_a_document_whose_response_has_errors_writes_nothing(as_user, instructor):
    """An earlier mutation of the same document is undone when a later one fails outright."""
    document = """mutation($bad: ID!) {
      first: createCourse(input: {title: "Written then undone"}) { course { id } errors { code } }
      second: updateCourse(input: {id: $bad, title: "x"}) { errors { code } }
    }"""
    body = post(as_user(instructor), document, {"bad": ""})
    assert (
        body["data"] is None
        and body["errors"][0]["message"] == "Not a valid id: use an `id` this API returned."
    )
    assert not Course.objects.exists()


def test_refusals_in_payloads_leave_the_other_mutations_writes(as_user, instructor):
    document = """mutation {
      first: createCourse(input: {title: "Kept"}) { errors { code } }
      second: createCourse(input: {title: ""}) { errors { code } }
    }"""
    data = gql(as_user(instructor), document)
    assert (data["first"]["errors"], data["second"]["errors"]) == ([], [{"code": "REQUIRED"}])
    assert list(Course.objects.values_list("title", flat=True)) == ["Kept"]


class TestTheDatabaseAsTheLastGuard:
    """A write the model's rules let through but a constraint refuses (here: the rule is taken
    away) is a CONFLICT on the payload, writes nothing, and leaves the document's other writes."""

    @pytest.fixture(autouse=True)
    def no_python_rule(self, monkeypatch):
        monkeypatch.setattr(Task, "clean", lambda self: None)

    def test_alone_in_its_document(self, as_user, task):
        variables = {"input": {"id": global_id(task), "maxScore": "10", "passingScore": "20"}}
        payload = gql(as_user(task.course.instructor), UPDATE_TASK, variables)["updateTask"]
        assert payload["task"] is None
        assert without_messages(payload["errors"]) == [error(None, "CONFLICT")]
        task.refresh_from_db()
        assert (task.max_score, task.passing_score) == (Decimal("100"), Decimal("50"))

    def test_beside_other_mutations(self, as_user, task):
        document = """mutation($id: ID!) {
          refused: updateTask(input: {id: $id, maxScore: "10", passingScore: "20"}) { errors { code } }
          kept: updateTask(input: {id: $id, title: "Kept"}) { task { title } errors { code } }
        }"""
        data = gql(as_user(task.course.instructor), document, {"id": global_id(task)})
        assert data == {
            "refused": {"errors": [{"code": "CONFLICT"}]},
            "kept": {"task": {"title": "Kept"}, "errors": []},
        }
        task.refresh_from_db()
        assert (task.title, task.max_score) == ("Kept", Decimal("100"))


@pytest.mark.parametrize(
    ("input_type", "service", "not_passed"),
    [
        (CreateCourseInput, services.course_create, set()),
        (UpdateCourseInput, services.course_update, {"id"}),
        (CreateTaskInput, services.task_create, {"course_id"}),
        (UpdateTaskInput, services.task_update, {"id"}),
    ],
)
def test_each_input_field_is_a_parameter_of_its_service(input_type, service, not_passed):
    """What a mutation passes on, its service takes: no input field can be refused (a server
    error) or reach a field the service does not change."""
    given = {field.name for field in dataclasses.fields(input_type)} - not_passed
    assert given <= set(inspect.signature(service).parameters)
