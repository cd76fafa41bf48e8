"""The consolidated models' invariants: field-level validation, and the same rules in the DB."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from learningplatform.choices import TaskType
from learningplatform.models import Course, Submission, Task
from tests.factories import CourseFactory, SubmissionFactory, TaskFactory, UserFactory

pytestmark = pytest.mark.django_db


def validation_errors(instance) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as excinfo:
        instance.full_clean()
    return excinfo.value.message_dict


class TestValidation:
    """What `full_clean` (the admin, the services, the API) tells a user, field by field."""

    def test_valid_objects_pass(self):
        SubmissionFactory().full_clean()
        TaskFactory(task_type=TaskType.QUIZ, time_limit=30).full_clean()

    def test_passing_score_above_max_score_names_both_values(self):
        task = TaskFactory.build(
            course=CourseFactory(), max_score=Decimal("50"), passing_score=Decimal("80")
        )
        errors = validation_errors(task)
        assert errors["passing_score"] == ["Passing score 80 is above the maximum score 50."]

    @pytest.mark.parametrize(
        ("model_factory", "field", "value", "message"),
        [
            (TaskFactory, "max_score", Decimal("-1"), "greater than or equal to 0"),
            (TaskFactory, "passing_score", Decimal("-0.01"), "greater than or equal to 0"),
            (TaskFactory, "max_score", Decimal("1000.00"), "no more than 5 digits"),
            (TaskFactory, "max_submissions", -1, "greater than or equal to 0"),
            (TaskFactory, "time_limit", 0, "at least 1 minute"),
            (TaskFactory, "task_type", "ESSAY", "not a valid choice"),
            (TaskFactory, "status", "LIVE", "not a valid choice"),
            (TaskFactory, "difficulty_level", "EXPERT", "not a valid choice"),
            (TaskFactory, "title", "", "cannot be blank"),
            (CourseFactory, "status", "HIDDEN", "not a valid choice"),
            (CourseFactory, "visibility", "SECRET", "not a valid choice"),
            (CourseFactory, "difficulty_level", "EXPERT", "not a valid choice"),
            (CourseFactory, "duration", timedelta(days=-1), "cannot be negative"),
            (CourseFactory, "title", "", "cannot be blank"),
            (SubmissionFactory, "score", Decimal("-5"), "greater than or equal to 0"),
        ],
    )
    def test_bad_value_is_reported_on_its_field(self, model_factory, field, value, message):
        instance = model_factory()
        setattr(instance, field, value)
        errors = validation_errors(instance)
        assert field in errors, errors
        assert message in " ".join(errors[field])

    def test_second_submission_of_the_same_attempt_is_refused(self):
        first = SubmissionFactory()
        again = Submission(task=first.task, user=first.user, attempt=1, content="again")
        errors = validation_errors(again)
        assert "This attempt has already been submitted." in errors["__all__"]

    def test_later_attempts_are_separate_submissions(self):
        first = SubmissionFactory()
        SubmissionFactory(task=first.task, user=first.user, attempt=2)
        assert first.task.submissions.filter(user=first.user).count() == 2


# Each row: the model, the column values that break the rule, and the constraint's name, which
# both databases put in the error message.
CONSTRAINT_VIOLATIONS = [
    (Course, {"title": ""}, "course_title_not_empty"),
    (Course, {"status": "HIDDEN"}, "course_status_valid"),
    (Course, {"visibility": "SECRET"}, "course_visibility_valid"),
    (Course, {"difficulty_level": "EXPERT"}, "course_difficulty_level_valid"),
    (Course, {"duration": timedelta(microseconds=-1)}, "course_duration_not_negative"),
    (Task, {"title": ""}, "task_title_not_empty"),
    (Task, {"task_type": "ESSAY"}, "task_type_valid"),
    (Task, {"status": "LIVE"}, "task_status_valid"),
    (Task, {"difficulty_level": "EXPERT"}, "task_difficulty_level_valid"),
    (Task, {"max_score": Decimal("-1"), "passing_score": None}, "task_max_score_not_negative"),
    (Task, {"passing_score": Decimal("-1")}, "task_passing_score_not_negative"),
    (
        Task,
        {"max_score": Decimal("50"), "passing_score": Decimal("50.01")},
        "task_passing_score_at_most_max_score",
    ),
    (Task, {"time_limit": 0}, "task_time_limit_positive"),
    (Submission, {"attempt": 0}, "submission_attempt_positive"),
    (Submission, {"score": Decimal("-0.01")}, "submission_score_not_negative"),
]


class TestDatabaseConstraints:
    """Rows written around validation (raw updates, other programs) are refused by the database."""

    @pytest.mark.parametrize(
        ("model", "values", "constraint"),
        CONSTRAINT_VIOLATIONS,
        ids=[constraint for _, _, constraint in CONSTRAINT_VIOLATIONS],
    )
    def test_update_breaking_the_rule_is_refused(self, model, values, constraint):
        row = SubmissionFactory()
        instance = {Course: row.task.course, Task: row.task, Submission: row}[model]
        with pytest.raises(IntegrityError) as excinfo, transaction.atomic():
            model.objects.filter(pk=instance.pk).update(**values)
        assert constraint in str(excinfo.value)
        instance.refresh_from_db()
        assert all(getattr(instance, field) != value for field, value in values.items())

    def test_max_submissions_zero_is_a_task_that_takes_none(self):
        # The legacy column was a PositiveIntegerField: 0 was legitimate, and is kept as such.
        task = SubmissionFactory().task
        Task.objects.filter(pk=task.pk).update(max_submissions=0)
        task.refresh_from_db()
        task.full_clean()
        assert task.max_submissions == 0

    def test_duplicate_attempt_is_refused(self):
        first = SubmissionFactory()
        with pytest.raises(IntegrityError) as excinfo, transaction.atomic():
            Submission.objects.create(task=first.task, user=first.user, attempt=1, content="x")
        message = str(excinfo.value)
        assert "submission_one_per_attempt" in message or "UNIQUE constraint failed" in message
        assert Submission.objects.count() == 1

    def test_every_declared_constraint_is_exercised(self):
        declared = {
            constraint.name
            for model in (Course, Task, Submission)
            for constraint in model._meta.constraints
        }
        exercised = {name for _, _, name in CONSTRAINT_VIOLATIONS} | {"submission_one_per_attempt"}
        assert declared == exercised


class TestRelations:
    def test_deleting_a_creator_keeps_the_task(self):
        task = TaskFactory(created_by=UserFactory())
        task.created_by.delete()
        task.refresh_from_db()
        assert task.created_by is None
        assert Task.objects.filter(pk=task.pk).exists()

    def test_deleting_a_grader_keeps_the_grade(self):
        submission = SubmissionFactory(score=Decimal("7.50"), is_graded=True)
        grader = CourseFactory().instructor
        Submission.objects.filter(pk=submission.pk).update(graded_by=grader)
        grader.delete()
        submission.refresh_from_db()
        assert (submission.graded_by, submission.score) == (None, Decimal("7.50"))

    def test_deleting_a_course_removes_its_tasks_and_submissions(self):
        submission = SubmissionFactory()
        submission.task.course.delete()
        assert not Task.objects.exists()
        assert not Submission.objects.exists()

    def test_timestamps_given_on_create_are_kept(self):
        created = CourseFactory().created_at - timedelta(days=900)
        course = CourseFactory(created_at=created)
        course.refresh_from_db()
        assert course.created_at == created
