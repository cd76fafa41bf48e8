"""Consolidating the legacy tables: every hard case, re-runs, verification, the way back."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from learningplatform import consolidation
from learningplatform.consolidation import rehearsal
from learningplatform.models import ConsolidationConflict, Course, LegacyIdMap, Submission, Task
from tests.helpers import database_checksum

pytestmark = pytest.mark.django_db(transaction=True)

SIZE = rehearsal.RehearsalSize(courses=12, tasks_per_course=3, students=6)  # as `legacy`


def new_id(table: str, legacy_id: int) -> int:
    return LegacyIdMap.objects.get(legacy_table=table, legacy_id=legacy_id).new_id


def task_from(legacy_id: int) -> Task:
    return Task.objects.get(pk=new_id("tasks_learningtask", legacy_id))


def course_from(legacy_id: int) -> Course:
    return Course.objects.get(pk=new_id("courses_course", legacy_id))


def run(command: str, *args: str) -> str:
    out = StringIO()
    call_command(command, *args, stdout=out, stderr=out)
    return out.getvalue()


def test_every_row_arrives_once_and_verifies(legacy):
    courses, tasks, submissions = (
        Course.objects.count(),
        Task.objects.count(),
        Submission.objects.count(),
    )
    report = consolidation.consolidate(batch_size=7)
    counts = legacy.counts
    assert report.merged["courses_course"] == 2
    assert Course.objects.count() == courses + counts["courses_course"] - 2
    assert Task.objects.count() == tasks + counts["tasks_learningtask"]
    assert Submission.objects.count() == submissions + counts["assessment_submission"]
    assert Task.objects.filter(task_type="QUIZ").count() == counts["tasks_quiztask"]
    assert consolidation.verify().ok


def test_running_again_changes_nothing(legacy):
    consolidation.consolidate(batch_size=5)
    before = database_checksum()
    report = consolidation.consolidate(batch_size=5)
    assert (report.copied, report.merged, report.conflicts) == (
        {"courses_course": 0, "tasks_learningtask": 0, "assessment_submission": 0}, {"courses_course": 0}, 0
    )  # fmt: skip
    assert database_checksum() == before


class TestHardCases:
    def test_course_in_both_tables_merges_and_keeps_every_value(self, legacy):
        original = Course.objects.get(pk=legacy.merged_into)
        consolidation.consolidate()
        merged = course_from(legacy.merged_course)
        assert merged.pk == original.pk
        # learningplatform_course wins where it has a value ...
        assert (merged.description, merged.status, merged.visibility, merged.prerequisites) == (
            original.description, original.status, original.visibility, original.prerequisites
        )  # fmt: skip
        # ... its empty columns are filled from courses_course ...
        assert merged.learning_objectives == "Filled from courses_course"
        assert (merged.duration, merged.difficulty_level) == (timedelta(days=30), "ADVANCED")
        # ... and every value that lost is recorded.
        recorded = {
            c.field: (c.kind, c.legacy_value, c.kept_value)
            for c in ConsolidationConflict.objects.filter(legacy_id=legacy.merged_course)
        }
        assert recorded["description"] == (
            "conflict",
            "The courses app's description",
            original.description,
        )
        assert recorded["status"] == ("conflict", "ARCHIVED", "PUBLISHED")
        assert recorded["visibility"] == ("conflict", "PRIVATE", "PUBLIC")
        assert recorded["prerequisites"] == ("conflict", "Differs", "None.")
        assert recorded["updated_at"][0] == "conflict"
        assert recorded["learning_objectives"] == ("filled", "Filled from courses_course", None)
        assert set(recorded) == {
            "description", "status", "visibility", "prerequisites", "updated_at",
            "learning_objectives", "duration", "difficulty_level",
        }  # fmt: skip

    def test_quiz_with_every_nullable_column_empty(self, legacy):
        consolidation.consolidate()
        task = task_from(legacy.empty_quiz)
        assert task.task_type == "QUIZ"
        assert [task.max_score, task.passing_score, task.time_limit, task.max_submissions] == [
            None
        ] * 4
        assert (task.deadline, task.created_by, task.is_randomized) == (None, None, False)

    def test_deleted_creator_stays_empty(self, legacy):
        consolidation.consolidate()
        task = task_from(legacy.deleted_creator_task)
        assert (task.created_by_id, task.task_type, task.status) == (None, "LEARNING", "PUBLISHED")

    def test_long_non_ascii_text_is_not_truncated(self, legacy):
        consolidation.consolidate()
        course = course_from(legacy.long_text_course)
        assert course.title == rehearsal.LONG_TITLE and len(course.title) == 255
        assert course.description == rehearsal.LONG_TEXT
        assert course.learning_objectives == rehearsal.LONG_TEXT

    def test_maximal_decimals_and_integers(self, legacy):
        consolidation.consolidate()
        task = task_from(legacy.max_decimal_quiz)
        assert (task.max_score, task.passing_score) == (Decimal("999.99"), Decimal("999.99"))
        assert (task.time_limit, task.max_submissions) == (2**31 - 1, 2**31 - 1)
        submission = Submission.objects.get(
            pk=new_id("assessment_submission", legacy.max_decimal_submission)
        )
        assert (submission.score, submission.is_graded) == (Decimal("999.99"), True)
        assert submission.content == rehearsal.LONG_TEXT

    def test_durations_of_days_and_of_a_microsecond(self, legacy):
        consolidation.consolidate()
        assert course_from(legacy.day_duration_course).duration == timedelta(days=3650)
        assert course_from(legacy.microsecond_duration_course).duration == timedelta(microseconds=1)

    def test_old_timestamps_are_kept_to_the_microsecond(self, legacy):
        consolidation.consolidate()
        course = course_from(legacy.ancient_course)
        assert course.created_at == datetime(2003, 2, 1, 8, 30, 0, 1, tzinfo=UTC)
        assert course.updated_at == datetime(2004, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)


class TestVerification:
    def test_a_single_changed_value_is_named(self, legacy):
        consolidation.consolidate()
        target = task_from(legacy.max_decimal_quiz)
        Task.objects.filter(pk=target.pk).update(passing_score=Decimal("999.98"))
        result = consolidation.verify()
        assert result.total_differences == 1
        (difference,) = result.differences
        assert (difference.legacy_table, difference.legacy_id, difference.column) == (
            "tasks_learningtask", legacy.max_decimal_quiz, "passing_score"
        )  # fmt: skip

    def test_a_lost_conflict_record_is_a_difference(self, legacy):
        consolidation.consolidate()
        ConsolidationConflict.objects.filter(
            legacy_id=legacy.merged_course, field="status"
        ).delete()
        result = consolidation.verify()
        assert [(d.column, d.legacy_value) for d in result.differences] == [("status", "ARCHIVED")]

    def test_a_missing_row_is_a_difference(self, legacy):
        consolidation.consolidate()
        Submission.objects.filter(
            pk=new_id("assessment_submission", legacy.max_decimal_submission)
        ).delete()
        assert [d.column for d in consolidation.verify().differences] == ["(row)"]

    def test_command_exits_non_zero_naming_the_difference(self, legacy):
        consolidation.consolidate()
        Course.objects.filter(pk=new_id("courses_course", legacy.ancient_course)).update(
            title="Since 2004"
        )
        err = StringIO()
        with pytest.raises(SystemExit) as exit_info:
            call_command("verify_consolidation", stdout=StringIO(), stderr=err)
        assert exit_info.value.code == 1
        assert (
            f"courses_course id={legacy.ancient_course} title: legacy 'Since 2003'"
            in err.getvalue()
        )


def test_dry_run_changes_nothing(legacy):
    before = database_checksum()
    output = run("consolidate", "--dry-run")
    assert (
        f"tasks_learningtask: {legacy.counts['tasks_learningtask']} rows, 0 consolidated" in output
    )
    assert database_checksum() == before


def test_consolidate_command_backs_up_first_then_verifies(legacy, tmp_path):
    output = run("consolidate", "--backup-dir", str(tmp_path), "--no-progress", "--batch-size", "4")
    (backup,) = tmp_path.iterdir()
    assert f"Backup written to {backup}" in output
    copied = legacy.counts["courses_course"] - 2
    assert f"courses_course: {copied} copied, 2 merged" in output
    assert "Verified: every legacy value is in the consolidated tables." in output


def test_strict_mode_stops_on_a_value_a_rule_would_map_and_changes_nothing(legacy):
    before = database_checksum()
    with pytest.raises(CommandError) as error:
        run("consolidate", "--strict", "--no-progress")
    message = str(error.value)
    assert "nothing was changed (--strict)" in message
    assert (
        f"tasks_learningtask id={legacy.zero_time_quiz}: time_limit='0' would become None "
        "(time_limit_not_positive)" in message
    )
    assert f"courses_course id={legacy.odd_course}: title='' would become 'Untitled course'" in (
        message
    )
    assert database_checksum() == before


def test_stale_content_types_and_permissions_are_removed(legacy):
    stale = ContentType.objects.create(app_label="courses", model="course")
    Permission.objects.create(content_type=stale, codename="add_course", name="Can add course")
    consolidation.consolidate()
    assert not ContentType.objects.filter(app_label__in=["courses", "tasks", "assessment"]).exists()
    assert not Permission.objects.filter(content_type_id=stale.pk).exists()


def test_unconsolidate_returns_the_database_to_its_previous_content(legacy):
    before = database_checksum()
    consolidation.consolidate(batch_size=6)
    assert database_checksum() != before
    consolidation.unconsolidate()
    assert database_checksum() == before


def test_drop_legacy_tables_only_after_a_passing_verification(legacy):
    with pytest.raises(CommandError, match="Refusing to drop"):
        run("drop_legacy_tables", "--yes")  # nothing consolidated yet
    consolidation.consolidate()
    output = run("drop_legacy_tables", "--yes")
    assert (
        "Dropped assessment_submission, courses_course, tasks_learningtask, tasks_quiztask"
        in output
    )
    assert not consolidation.legacy_tables_present()
    assert (
        LegacyIdMap.objects.filter(legacy_table="tasks_learningtask").count()
        == legacy.counts["tasks_learningtask"]
    )


def test_plain_migrate_consolidates_and_its_reverse_undoes_it():
    executor = MigrationExecutor(connection)
    before_data = [("learningplatform", "0003_legacy_id_map_and_conflicts")]
    head = executor.loader.graph.leaf_nodes()
    executor.migrate(before_data)
    rehearsal.create_tables()
    try:
        cases = rehearsal.seed_legacy_data(size=SIZE, seed=9)
        before = database_checksum()
        MigrationExecutor(connection).migrate(head)
        assert LegacyIdMap.objects.count() == sum(
            cases.counts[t]
            for t in ("courses_course", "tasks_learningtask", "assessment_submission")
        )
        assert consolidation.verify().ok
        MigrationExecutor(connection).migrate(before_data)
        assert database_checksum() == before
        MigrationExecutor(connection).migrate(head)
    finally:
        consolidation.drop_legacy_tables()


def test_without_legacy_tables_migrate_and_consolidate_do_nothing():
    before = database_checksum()
    assert run("consolidate") == "No legacy tables in this database: nothing to consolidate.\n"
    assert database_checksum() == before
