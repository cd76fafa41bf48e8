"""A database created by the old code upgrades with a plain `migrate`, keeping every value:
as it was, or mapped by a rule and recorded."""

from datetime import UTC, datetime
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from learningplatform.choices import TaskStatus
from learningplatform.consolidation import rules
from learningplatform.models import ConsolidationConflict, Course, Submission, Task
from tests.helpers import database_checksum

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


def write_rows_the_new_constraints_refuse(apps) -> dict:
    """Values the old learningplatform columns admitted that the upgraded constraints refuse."""
    user_model = apps.get_model("learningplatform", "User")
    course_model = apps.get_model("learningplatform", "Course")
    task_model = apps.get_model("learningplatform", "Task")
    submission_model = apps.get_model("learningplatform", "Submission")
    teacher = user_model.objects.create(username="odd-teacher")
    course = course_model.objects.create(
        title="", description="", instructor=teacher, status="live", visibility=" public"
    )
    untitled, essay, above, negative = (
        task_model.objects.create(course=course, description="", **values)
        for values in (
            {"title": "  ", "task_type": "quiz"},
            {"title": "Essay", "task_type": "ESSAY"},
            {"title": "Above", "task_type": "QUIZ", "max_score": 50, "passing_score": 80},
            {"title": "Below", "task_type": "QUIZ", "max_score": -10, "passing_score": -1},
        )
    )
    submission = submission_model.objects.create(
        task=above, user=teacher, content="x", score=Decimal("-3.5"), is_graded=True
    )
    return {
        "course": course.pk, "untitled": untitled.pk, "essay": essay.pk, "above": above.pk,
        "negative": negative.pk, "submission": submission.pk,
    }  # fmt: skip


# (row, table, {field: (value kept, rule)})
IN_PLACE_CASES = [
    ("course", "learningplatform_course", {
        "title": ("Untitled course", rules.TITLE_BLANK),
        "status": ("DRAFT", rules.CHOICE_UNKNOWN),
        "visibility": ("PUBLIC", rules.CHOICE_CASE),
    }),
    ("untitled", "learningplatform_task", {
        "title": ("Untitled task", rules.TITLE_BLANK), "task_type": ("QUIZ", rules.CHOICE_CASE),
    }),
    ("essay", "learningplatform_task", {"task_type": ("SUBMISSION", rules.CHOICE_UNKNOWN)}),
    ("above", "learningplatform_task", {
        "passing_score": (Decimal("50"), rules.PASSING_ABOVE_MAX),
    }),
    ("negative", "learningplatform_task", {
        "max_score": (None, rules.MAX_SCORE_NEGATIVE),
        "passing_score": (Decimal("0"), rules.PASSING_NEGATIVE),
    }),
    ("submission", "learningplatform_submission", {"score": (Decimal("0"), rules.SCORE_NEGATIVE)}),
]  # fmt: skip
MODELS = {
    "learningplatform_course": Course,
    "learningplatform_task": Task,
    "learningplatform_submission": Submission,
}


def test_values_the_new_constraints_refuse_are_mapped_in_place_and_recorded():
    apps = old_models(migrate_to(LEGACY))
    write_legacy_rows(apps)
    ids = write_rows_the_new_constraints_refuse(apps)
    legacy_values = {
        (row, field): _raw(table, field, ids[row])
        for row, table, fields in IN_PLACE_CASES
        for field in fields
    }
    migrate_to(head())

    for row, table, fields in IN_PLACE_CASES:
        instance = MODELS[table].objects.get(pk=ids[row])
        instance.full_clean()
        for field, (kept, rule) in fields.items():
            assert getattr(instance, field) == kept, (row, field)
            record = ConsolidationConflict.objects.get(
                legacy_table=table, legacy_id=ids[row], field=field
            )
            assert (record.new_id, record.kind, record.rule) == (ids[row], "mapped", rule)
            assert record.legacy_value == legacy_values[row, field]
    assert ConsolidationConflict.objects.count() == sum(len(f) for _, _, f in IN_PLACE_CASES)
    output = StringIO()
    call_command("consolidation_report", stdout=output)
    assert f"learningplatform_task id={ids['essay']} -> id {ids['essay']}: task_type 'ESSAY'" in (
        output.getvalue()
    )


def _raw(table: str, field: str, pk: int) -> str | None:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT CAST({field} AS TEXT) FROM {table} WHERE id = %s", [pk])  # noqa: S608
        return cursor.fetchone()[0]


def test_migrating_back_restores_the_old_values_exactly():
    apps = old_models(migrate_to(LEGACY))
    write_legacy_rows(apps)
    write_rows_the_new_constraints_refuse(apps)
    before = database_checksum()
    migrate_to(head())
    migrate_to(LEGACY)
    try:
        assert database_checksum() == before
    finally:
        migrate_to(head())  # the next test on this worker expects the current schema


def test_strict_mode_stops_the_upgrade_before_any_change(settings):
    settings.CONSOLIDATION_STRICT = True
    apps = old_models(migrate_to(LEGACY))
    ids = write_rows_the_new_constraints_refuse(apps)
    before = database_checksum()

    with pytest.raises(RuntimeError) as excinfo:
        migrate_to(head())
    message = str(excinfo.value)
    assert (
        f"learningplatform_task id={ids['above']}: passing_score='80' would become '50' "
        f"({rules.PASSING_ABOVE_MAX})" in message.replace(".00", "")
    )
    assert "nothing has been changed" in message
    applied = MigrationExecutor(connection).loader.applied_migrations
    assert ("learningplatform", "0002_consolidated_models") not in applied
    assert database_checksum() == before

    settings.CONSOLIDATION_STRICT = False
    migrate_to(head())
    assert Task.objects.get(pk=ids["above"]).passing_score == Decimal("50")


def test_an_old_database_with_every_case_upgrades_with_plain_migrate_and_back():
    """seed_legacy's old database: old learningplatform rows and the legacy app tables, with
    every value the old schema admitted, upgraded by `migrate` alone; then migrated back."""
    from learningplatform import consolidation
    from learningplatform.consolidation import rehearsal
    from learningplatform.models import LegacyIdMap

    migrate_to([("learningplatform", None)])
    try:
        cases = rehearsal.build_old_database(
            size=rehearsal.RehearsalSize(courses=10, tasks_per_course=2, students=4), seed=8
        )
        before = database_checksum()
        migrate_to(head())

        assert consolidation.verify().ok
        copied = ("courses_course", "tasks_learningtask", "assessment_submission")
        assert LegacyIdMap.objects.count() == sum(cases.counts[t] for t in copied)
        rules_seen = set(
            ConsolidationConflict.objects.filter(kind="mapped").values_list("rule", flat=True)
        )
        assert rules_seen == {
            rules.TITLE_BLANK, rules.CHOICE_CASE, rules.CHOICE_UNKNOWN, rules.DIFFICULTY_SYNONYM,
            rules.DIFFICULTY_UNKNOWN, rules.DURATION_NEGATIVE, rules.MAX_SCORE_NEGATIVE,
            rules.PASSING_NEGATIVE, rules.PASSING_ABOVE_MAX, rules.SCORE_NEGATIVE,
            rules.TIME_LIMIT_NOT_POSITIVE,
        }  # fmt: skip
        odd = Task.objects.get(pk=cases.odd_old_task)
        assert (odd.title, odd.task_type, odd.passing_score) == (
            "Untitled task", "SUBMISSION", Decimal("50")
        )  # fmt: skip
        in_place = ConsolidationConflict.objects.filter(legacy_table__startswith="learningplatform")
        assert set(in_place.values_list("legacy_id", "field")) == {
            (cases.odd_old_course, "title"), (cases.odd_old_course, "status"),
            (cases.odd_old_course, "visibility"), (cases.odd_old_task, "title"),
            (cases.odd_old_task, "task_type"), (cases.odd_old_task, "passing_score"),
            (cases.negative_old_task, "max_score"), (cases.negative_old_task, "passing_score"),
            (cases.negative_old_submission, "score"),
        }  # fmt: skip
        for model in (Course, Task, Submission):
            for row in model.objects.all():
                row.full_clean()

        migrate_to(LEGACY)
        after = database_checksum()
        assert set(after) - set(before) == {"django_admin_log"}  # the admin app stays installed
        assert {table: after[table] for table in before} == before
    finally:
        consolidation.drop_legacy_tables()
        migrate_to(head())
