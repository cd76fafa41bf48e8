"""The business rules of learningplatform.services, tested as a domain: no GraphQL, no HTTP."""

import inspect
import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction

from learningplatform import services
from learningplatform.choices import CourseStatus, TaskStatus, TaskType
from learningplatform.models import Course, Submission, Task
from tests.factories import (
    CourseFactory,
    InstructorFactory,
    SubmissionFactory,
    TaskFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def messages(error: ValidationError) -> dict[str, list[tuple[str, str]]]:
    """Each field's (code, message) pairs, as a caller shows them."""
    return {
        field: [
            (e.code, message)
            for e, message in zip(errors, ValidationError(errors).messages, strict=True)
        ]
        for field, errors in error.error_dict.items()
    }


class TestCourses:
    def test_create_validates_and_stores(self, instructor):
        course = services.course_create(
            instructor=instructor, title="Rust", duration=timedelta(days=42)
        )
        assert Course.objects.get(pk=course.pk).duration == timedelta(days=42)
        assert course.status == CourseStatus.DRAFT

    @pytest.mark.parametrize(
        ("fields", "field"),
        [
            ({"title": ""}, "title"),
            ({"title": "x" * 256}, "title"),
            ({"title": "ok", "status": "LIVE"}, "status"),
            ({"title": "ok", "duration": timedelta(days=-1)}, "duration"),
        ],
    )
    def test_bad_fields_write_nothing(self, instructor, fields, field):
        with pytest.raises(ValidationError) as error:
            services.course_create(instructor=instructor, **fields)
        assert field in error.value.error_dict
        assert not Course.objects.exists()

    def test_update_keeps_other_fields(self, course):
        before = course.description
        services.course_update(course=course, title="Renamed")
        course.refresh_from_db()
        assert (course.title, course.description) == ("Renamed", before)

    def test_delete_removes_tasks_and_submissions(self, task):
        SubmissionFactory(task=task)
        services.course_delete(course=task.course)
        assert not Task.objects.exists() and not Submission.objects.exists()


class TestTasks:
    def test_passing_score_above_maximum_names_both(self, course):
        with pytest.raises(ValidationError) as error:
            services.task_create(
                course=course, created_by=course.instructor, title="Quiz", task_type=TaskType.QUIZ,
                max_score=Decimal("20"), passing_score=Decimal("25"),
            )  # fmt: skip
        assert messages(error.value)["passing_score"] == [
            ("passing_score_above_max_score", "Passing score 25 is above the maximum score 20.")
        ]
        assert not Task.objects.exists()

    @pytest.mark.parametrize(
        ("field", "value"),
        [("time_limit", 0), ("max_submissions", -1), ("max_score", Decimal("-1")), ("title", "")],
    )
    def test_out_of_range_values_are_refused_on_their_field(self, task, field, value):
        before = Task.objects.values().get(pk=task.pk)
        with pytest.raises(ValidationError) as error:
            services.task_update(task=task, **{field: value})
        assert field in error.value.error_dict
        assert Task.objects.values().get(pk=task.pk) == before

    def test_max_submissions_zero_is_allowed(self, task):
        assert services.task_update(task=task, max_submissions=0).max_submissions == 0


class TestEachServiceSetsOnlyItsFields:
    """A field a service does not change cannot be set through it: the call is refused (a
    TypeError, a programming error) and nothing is written."""

    @pytest.fixture
    def calls(self, course, task, instructor):
        return {
            services.course_create: (Course, {"instructor": instructor, "title": "New"}),
            services.course_update: (Course, {"course": course}),
            services.task_create: (
                Task, {"course": course, "created_by": instructor, "title": "New"},
            ),
            services.task_update: (Task, {"task": task}),
        }  # fmt: skip

    def test_every_other_field_of_the_model_is_refused(self, calls):
        samples = {Course: CourseFactory(), Task: TaskFactory()}  # values another row holds
        refused = set()
        for service, (model, given) in calls.items():
            parameters = set(inspect.signature(service).parameters)
            for field in model._meta.concrete_fields:
                for name in {field.name, field.attname} - parameters - given.keys():
                    before = list(model.objects.order_by("pk").values())
                    with pytest.raises(TypeError, match=name):
                        service(**given, **{name: getattr(samples[model], name)})
                    assert list(model.objects.order_by("pk").values()) == before
                    refused.add((service.__name__, name))
        # the ones that matter most among them: who owns a course, where a task belongs
        assert {("course_update", "instructor"), ("course_update", "instructor_id"),
                ("task_update", "course"), ("task_update", "created_by"),
                ("course_create", "id"), ("task_create", "created_at")} <= refused  # fmt: skip

    def test_an_update_changes_only_what_it_is_given(self):
        course = CourseFactory(prerequisites="Algebra")
        before = Course.objects.values().get(pk=course.pk)
        services.course_update(course=course, prerequisites=None)
        after = Course.objects.values().get(pk=course.pk)
        assert {k for k in before if before[k] != after[k]} == {"prerequisites", "updated_at"}


class TestSubmissions:
    @pytest.fixture
    def open_task(self, course):
        return TaskFactory(course=course, max_submissions=2)

    def test_attempts_are_numbered_until_the_limit(self, open_task, student):
        attempts = [
            services.submission_create(task=open_task, user=student, content=str(n)).attempt
            for n in range(2)
        ]
        assert attempts == [1, 2]
        with pytest.raises(ValidationError) as error:
            services.submission_create(task=open_task, user=student, content="third")
        assert messages(error.value)["task"] == [
            ("max_submissions_reached", "You have used all 2 submissions allowed for this task.")
        ]
        assert Submission.objects.filter(user=student).count() == 2

    def test_limits_are_per_student(self, open_task, student):
        other = UserFactory()
        for user in (student, student, other, other):
            services.submission_create(task=open_task, user=user, content="x")
        assert Submission.objects.filter(task=open_task).count() == 4

    def test_no_limit_when_empty(self, course, student):
        task = TaskFactory(course=course, max_submissions=None)
        for _ in range(5):
            services.submission_create(task=task, user=student, content="x")
        assert Submission.objects.filter(task=task).count() == 5

    def test_a_task_that_takes_none(self, course, student):
        task = TaskFactory(course=course, max_submissions=0)
        with pytest.raises(ValidationError) as error:
            services.submission_create(task=task, user=student, content="x")
        assert messages(error.value)["task"] == [
            ("max_submissions_reached", "This task takes no submissions.")
        ]

    @pytest.mark.parametrize(
        ("change", "code"),
        [
            ({"course__status": CourseStatus.DRAFT}, "course_not_open"),
            ({"course__status": CourseStatus.ARCHIVED}, "course_not_open"),
            ({"course__status": CourseStatus.DEPRECATED}, "course_not_open"),
            ({"status": TaskStatus.DRAFT}, "task_not_open"),
            ({"status": TaskStatus.ARCHIVED}, "task_not_open"),
            ({"task_type": TaskType.LEARNING}, "task_not_submittable"),
        ],
    )
    def test_closed_tasks_take_nothing(self, student, change, code):
        task = TaskFactory(**change)
        with pytest.raises(ValidationError) as error:
            services.submission_create(task=task, user=student, content="x")
        assert [c for c, _ in messages(error.value)["task"]] == [code]
        assert not Submission.objects.exists()

    def test_deadline(self, open_task, student):
        deadline = open_task.deadline
        services.submission_create(task=open_task, user=student, content="on time", now=deadline)
        with pytest.raises(ValidationError) as error:
            services.submission_create(
                task=open_task, user=student, content="late", now=deadline + timedelta(seconds=1)
            )
        assert [c for c, _ in messages(error.value)["task"]] == ["deadline_passed"]

    def test_an_empty_answer_is_refused(self, open_task, student):
        with pytest.raises(ValidationError) as error:
            services.submission_create(task=open_task, user=student, content="")
        assert "content" in error.value.error_dict

    @pytest.mark.django_db(transaction=True)
    @pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks: PostgreSQL")
    def test_concurrent_attempts_never_pass_the_limit(self):
        task = TaskFactory(max_submissions=1)
        student = UserFactory()
        outcomes, barrier = [], threading.Barrier(4)

        def attempt() -> None:
            try:
                barrier.wait()
                services.submission_create(task=task, user=student, content="race")
                outcomes.append("ok")
            except ValidationError as error:
                outcomes.append(error.error_dict["task"][0].code)
            finally:
                connection.close()  # this thread's own connection

        threads = [threading.Thread(target=attempt) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(outcomes) == ["max_submissions_reached"] * 3 + ["ok"]
        assert Submission.objects.filter(task=task).count() == 1


class TestGrading:
    def test_grade_records_score_and_grader(self, task):
        submission = SubmissionFactory(task=task)
        graded = services.submission_grade(
            submission=submission, grader=task.course.instructor, score=Decimal("99.5")
        )
        assert (graded.score, graded.is_graded, graded.graded_by) == (
            Decimal("99.50"), True, task.course.instructor
        )  # fmt: skip

    @pytest.mark.parametrize(
        ("score", "field", "code"),
        [(Decimal("100.01"), "score", "max_value"), (Decimal("-0.01"), "score", "min_value")],
    )
    def test_scores_outside_zero_to_maximum_are_refused(self, task, score, field, code):
        submission = SubmissionFactory(task=task)
        with pytest.raises(ValidationError) as error:
            services.submission_grade(
                submission=submission, grader=task.course.instructor, score=score
            )
        assert [c for c, _ in messages(error.value)[field]] == [code]
        submission.refresh_from_db()
        assert (submission.score, submission.is_graded) == (None, False)


def test_making_an_instructor_grants_course_creation_at_once():
    user = UserFactory()
    assert not user.has_perm("learningplatform.add_course")
    services.user_make_instructor(user=user)
    assert user.has_perm("learningplatform.add_course")
    assert InstructorFactory().has_perm("learningplatform.add_course")


# One value each check constraint refuses, on an otherwise valid object: the model's rules in
# Python (what services validate with) must refuse it too, on a field, since services no longer
# ask the database (Django's validate_constraints). A new constraint without a row here fails.
# The field None: no input sets it, a service computes it (attempts are counted, from 1).
CONSTRAINT_VIOLATIONS = {
    "course_title_not_empty": (Course, {"title": ""}, "title"),
    "course_status_valid": (Course, {"status": "LIVE"}, "status"),
    "course_visibility_valid": (Course, {"visibility": "SECRET"}, "visibility"),
    "course_difficulty_level_valid": (Course, {"difficulty_level": "EXPERT"}, "difficulty_level"),
    "course_duration_not_negative": (Course, {"duration": timedelta(seconds=-1)}, "duration"),
    "task_title_not_empty": (Task, {"title": ""}, "title"),
    "task_type_valid": (Task, {"task_type": "ESSAY"}, "task_type"),
    "task_status_valid": (Task, {"status": "LIVE"}, "status"),
    "task_difficulty_level_valid": (Task, {"difficulty_level": "EXPERT"}, "difficulty_level"),
    "task_max_score_not_negative": (
        Task, {"max_score": Decimal("-1"), "passing_score": None}, "max_score"
    ),
    "task_passing_score_not_negative": (Task, {"passing_score": Decimal("-0.01")}, "passing_score"),
    "task_passing_score_at_most_max_score": (
        Task, {"max_score": Decimal("10"), "passing_score": Decimal("10.01")}, "passing_score"
    ),
    "task_time_limit_positive": (Task, {"time_limit": 0}, "time_limit"),
    "submission_attempt_positive": (Submission, {"attempt": 0}, None),
    "submission_score_not_negative": (Submission, {"score": Decimal("-1")}, "score"),
}  # fmt: skip


def test_every_check_constraint_has_a_row_above():
    names = {
        constraint.name
        for model in (Course, Task, Submission)
        for constraint in model._meta.constraints
        if constraint.__class__.__name__ == "CheckConstraint"
    }
    assert names == set(CONSTRAINT_VIOLATIONS)


@pytest.mark.parametrize("name", sorted(CONSTRAINT_VIOLATIONS))
def test_the_models_rules_refuse_what_each_check_constraint_refuses(name, task):
    model, values, field = CONSTRAINT_VIOLATIONS[name]
    valid = {
        Course: lambda: task.course,
        Task: lambda: task,
        Submission: lambda: SubmissionFactory(task=task),
    }[model]()
    for attribute, value in values.items():
        setattr(valid, attribute, value)
    (constraint,) = [c for c in model._meta.constraints if c.name == name]
    with pytest.raises(ValidationError):  # the database's own rule, asked the slow way
        constraint.validate(model, valid)
    if field is None:
        assert list(values) == ["attempt"]  # submission_create numbers attempts: tested above
        return
    with pytest.raises(ValidationError) as error:
        valid.full_clean(validate_unique=False, validate_constraints=False)
    assert field in error.value.error_dict


def test_the_database_refuses_what_slips_past_the_rules_and_nothing_is_written(task, monkeypatch):
    """The constraints are the last guard: a rule gone missing in Python is still refused, as a
    conflict, with nothing written."""
    monkeypatch.setattr(Task, "clean", lambda self: None)
    # A write takes no savepoint of its own: a caller that goes on after an error takes one.
    with pytest.raises(ValidationError) as error, transaction.atomic():
        services.task_update(task=task, passing_score=Decimal("100"), max_score=Decimal("10"))
    assert error.value.code == "conflict"
    task.refresh_from_db()
    assert (task.max_score, task.passing_score) == (Decimal("100"), Decimal("50"))
