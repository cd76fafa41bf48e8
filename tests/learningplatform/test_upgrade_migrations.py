"""A database created by the old code upgrades with a plain `migrate`, keeping every value."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from learningplatform.choices import TaskStatus
from learningplatform.models import Course, Submission, Task

LEGACY = [("learningplatform", "0001_initial")]
OLD_TIME = datetime(2019, 3, 14, 15, 9, 26, 535897, tzinfo=UTC)

pytestmark = pytest.mark.django_db(transaction=True)


def migrate_to(targets) -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return executor


def head() -> list[tuple[str, str]]:
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


def old_models(executor: MigrationExecutor):
    """The models as the old code defined them (the migration state at 0001)."""
    return executor.loader.project_state(LEGACY).apps


def write_legacy_rows(apps) -> dict:
    """Rows as the old code wrote them; the auto_now fields are backdated with update()."""
    user_model = apps.get_model("learningplatform", "User")
    course_model = apps.get_model("learningplatform", "Course")
    task_model = apps.get_model("learningplatform", "Task")
    submission_model = apps.get_model("learningplatform", "Submission")
    teacher = user_model.objects.create(username="teacher", bio="Teaches. Ça va?")
    student = user_model.objects.create(username="student", profile_picture="p/me.png")
    course = course_model.objects.create(
        title="Ancient course", description="Before the consolidation", instructor=teacher,
        status="DEPRECATED", visibility="PRIVATE", learning_objectives=None, prerequisites="",
    )  # fmt: skip
    tasks = [
        task_model.objects.create(
            title=f"{kind} task",
            description="",
            course=course,
            task_type=kind,
            max_score=Decimal("999.99"),
            passing_score=Decimal("999.99"),
            deadline=OLD_TIME,
        )  # fmt: skip
        for kind in ("LEARNING", "QUIZ", "ASSESSMENT", "SUBMISSION")
    ]
    submission = submission_model.objects.create(
        task=tasks[2], user=student, content="answer", score=Decimal("0.01"), is_graded=True
    )
    course_model.objects.update(created_at=OLD_TIME, updated_at=OLD_TIME)
    task_model.objects.update(created_at=OLD_TIME, updated_at=OLD_TIME)
    submission_model.objects.update(submitted_at=OLD_TIME)
    return {"course": course.pk, "tasks": [t.pk for t in tasks], "submission": submission.pk}


def test_legacy_rows_survive_the_upgrade_unchanged():
    ids = write_legacy_rows(old_models(migrate_to(LEGACY)))
    migrate_to(head())

    course = Course.objects.get(pk=ids["course"])
    assert (course.title, course.status, course.visibility) == (
        "Ancient course", "DEPRECATED", "PRIVATE"
    )  # fmt: skip
    assert (course.learning_objectives, course.prerequisites) == (None, "")
    assert (course.created_at, course.updated_at) == (OLD_TIME, OLD_TIME)
    assert (course.duration, course.difficulty_level) == (None, None)
    assert course.instructor.bio == "Teaches. Ça va?"

    tasks = list(Task.objects.filter(pk__in=ids["tasks"]).order_by("pk"))
    assert [t.task_type for t in tasks] == ["LEARNING", "QUIZ", "ASSESSMENT", "SUBMISSION"]
    for task in tasks:
        assert task.course_id == ids["course"]
        assert (task.max_score, task.passing_score) == (Decimal("999.99"), Decimal("999.99"))
        assert (task.deadline, task.created_at, task.updated_at) == (OLD_TIME,) * 3
        # The old tasks had no status and were shown with their course: nothing is hidden.
        assert task.status == TaskStatus.PUBLISHED
        assert (task.max_submissions, task.time_limit, task.is_randomized) == (None, None, False)
        assert task.created_by is None

    submission = Submission.objects.get(pk=ids["submission"])
    assert (submission.attempt, submission.score, submission.is_graded) == (
        1, Decimal("0.01"), True
    )  # fmt: skip
    assert (submission.submitted_at, submission.user.username) == (OLD_TIME, "student")
    assert submission.user.profile_picture.name == "p/me.png"


def test_rows_breaking_the_new_constraints_stop_the_upgrade_before_any_change():
    apps = old_models(migrate_to(LEGACY))
    ids = write_legacy_rows(apps)
    task_model = apps.get_model("learningplatform", "Task")
    task_model.objects.filter(pk=ids["tasks"][1]).update(
        max_score=Decimal("50"), passing_score=Decimal("80")
    )

    with pytest.raises(RuntimeError) as excinfo:
        migrate_to(head())
    message = str(excinfo.value)
    assert f"learningplatform_task id={ids['tasks'][1]}: passing_score=Decimal('80.00')" in message
    assert "above max_score" in message
    assert "nothing has been changed" in message
    applied = MigrationExecutor(connection).loader.applied_migrations
    assert ("learningplatform", "0002_consolidated_models") not in applied

    task_model.objects.filter(pk=ids["tasks"][1]).update(passing_score=Decimal("40"))
    migrate_to(head())
    assert Task.objects.get(pk=ids["tasks"][1]).passing_score == Decimal("40")
