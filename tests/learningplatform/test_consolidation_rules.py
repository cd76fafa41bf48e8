"""Values the old schema admitted but the consolidated models cannot hold as they are: each is
mapped by its documented rule and recorded, so the consolidation never stops and loses nothing."""

import stat
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command

from learningplatform import consolidation
from learningplatform.consolidation import rules
from learningplatform.models import ConsolidationConflict, Course, LegacyIdMap, Submission, Task
from tests.helpers import database_checksum

pytestmark = pytest.mark.django_db(transaction=True)


def run(command: str, *args: str) -> str:
    out = StringIO()
    call_command(command, *args, stdout=out, stderr=out)
    return out.getvalue()


def new_id(table: str, legacy_id: int) -> int:
    return LegacyIdMap.objects.get(legacy_table=table, legacy_id=legacy_id).new_id


def recorded(table: str, legacy_id: int) -> dict[str, tuple]:
    return {
        r.field: (r.kind, r.legacy_value, r.kept_value, r.rule)
        for r in ConsolidationConflict.objects.filter(legacy_table=table, legacy_id=legacy_id)
    }


# (case, legacy table, consolidated model, {field: (value kept, rule or None for verbatim)}):
# every kind of value the old schema admitted that the new rules refuse, and the verbatim 0.
CASES = [
    ("odd_course", "courses_course", Course, {
        "title": ("Untitled course", rules.TITLE_BLANK),
        "status": ("DRAFT", rules.CHOICE_UNKNOWN),
        "visibility": ("PRIVATE", rules.CHOICE_UNKNOWN),
        "difficulty_level": ("BEGINNER", rules.DIFFICULTY_SYNONYM),
    }),
    ("lowercase_course", "courses_course", Course, {
        "status": ("PUBLISHED", rules.CHOICE_CASE),
        "visibility": ("PUBLIC", rules.CHOICE_CASE),
        "difficulty_level": (None, rules.DIFFICULTY_UNKNOWN),
        "duration": (None, rules.DURATION_NEGATIVE),
    }),
    ("no_submission_task", "tasks_learningtask", Task, {"max_submissions": (0, None)}),
    ("odd_task", "tasks_learningtask", Task, {
        "title": ("Untitled task", rules.TITLE_BLANK),
        "status": ("DRAFT", rules.CHOICE_UNKNOWN),
        "difficulty_level": (None, rules.DIFFICULTY_UNKNOWN),
    }),
    ("lowercase_task", "tasks_learningtask", Task, {
        "status": ("PUBLISHED", rules.CHOICE_CASE),
        "difficulty_level": (None, rules.DIFFICULTY_UNKNOWN),
        "max_submissions": (0, None),
    }),
    ("zero_time_quiz", "tasks_learningtask", Task, {
        "time_limit": (None, rules.TIME_LIMIT_NOT_POSITIVE),
        "max_score": (Decimal("50"), None),
        "passing_score": (Decimal("50"), rules.PASSING_ABOVE_MAX),
        "difficulty_level": ("INTERMEDIATE", rules.DIFFICULTY_SYNONYM),
    }),
    ("negative_quiz", "tasks_learningtask", Task, {
        "time_limit": (None, rules.TIME_LIMIT_NOT_POSITIVE),
        "max_score": (None, rules.MAX_SCORE_NEGATIVE),
        "passing_score": (Decimal("0"), rules.PASSING_NEGATIVE),
        "difficulty_level": ("ADVANCED", rules.DIFFICULTY_SYNONYM),
        "is_randomized": (True, None),
    }),
    ("negative_grade_submission", "assessment_submission", Submission, {
        "score": (Decimal("0"), rules.SCORE_NEGATIVE),
        "is_graded": (True, None),
    }),
]  # fmt: skip


@pytest.mark.parametrize(("case", "table", "model", "expected"), CASES, ids=[c[0] for c in CASES])
def test_each_value_is_kept_verbatim_or_mapped_and_recorded(legacy, case, table, model, expected):
    consolidation.consolidate(batch_size=9)
    legacy_id = getattr(legacy, case)
    row = model.objects.get(pk=new_id(table, legacy_id))
    records = recorded(table, legacy_id)
    for field, (kept, rule) in expected.items():
        assert getattr(row, field) == kept, field
        if rule is None:
            assert field not in records
        else:
            kind, legacy_value, kept_value, recorded_rule = records[field]
            assert (kind, recorded_rule) == ("mapped", rule)
            assert kept_value == (None if kept is None else str(kept).replace(".00", "")) or (
                Decimal(kept_value) == kept
            )
    row.full_clean()  # the mapped row satisfies every rule of the consolidated model
    assert consolidation.verify().ok


def test_each_recorded_legacy_value_is_the_one_the_old_table_held(legacy):
    consolidation.consolidate()
    # Read the legacy rows back and compare with the records, value by value.
    odd = recorded("courses_course", legacy.odd_course)
    assert {f: v[1] for f, v in odd.items()} == {
        "title": "", "status": "live", "visibility": "Hidden", "difficulty_level": "easy",
    }  # fmt: skip
    assert {f: v[1] for f, v in recorded("tasks_learningtask", legacy.negative_quiz).items()} == {
        "time_limit": "-5", "max_score": "-10" if _sqlite() else "-10.00",
        "passing_score": "-1" if _sqlite() else "-1.00", "difficulty_level": "EXPERT",
    }  # fmt: skip
    assert recorded("tasks_learningtask", legacy.odd_task)["title"][1] == "   "
    assert recorded("tasks_learningtask", legacy.lowercase_task)["difficulty_level"][1] == ""


def _sqlite() -> bool:
    from django.db import connection

    return connection.vendor == "sqlite"


def test_a_merge_fills_an_empty_column_with_the_mapped_value_and_records_the_legacy_one(legacy):
    consolidation.consolidate()
    course = Course.objects.get(pk=legacy.mapped_merge_into)
    assert new_id("courses_course", legacy.mapped_merge_course) == course.pk
    assert course.difficulty_level == "ADVANCED"  # "Hard", by synonym
    assert course.duration is None  # a negative duration fills nothing
    records = recorded("courses_course", legacy.mapped_merge_course)
    assert records["difficulty_level"] == ("filled", "Hard", "ADVANCED", rules.DIFFICULTY_SYNONYM)
    assert records["duration"][0:1] == ("conflict",) and records["duration"][2] is None
    assert consolidation.verify().ok
    consolidation.unconsolidate()  # the way back empties the filled column again
    assert Course.objects.get(pk=course.pk).difficulty_level is None


@pytest.mark.parametrize(
    ("case", "table", "field"),
    [
        ("odd_course", "courses_course", "status"),
        ("zero_time_quiz", "tasks_learningtask", "passing_score"),
        ("negative_grade_submission", "assessment_submission", "score"),
        ("mapped_merge_course", "courses_course", "difficulty_level"),
    ],
)
def test_verification_fails_on_a_single_missing_or_altered_record(legacy, case, table, field):
    consolidation.consolidate()
    records = ConsolidationConflict.objects.filter(
        legacy_table=table, legacy_id=getattr(legacy, case), field=field
    )
    records.update(legacy_value="something else")
    assert [d.column for d in consolidation.verify().differences] == [field]
    records.delete()
    assert [d.column for d in consolidation.verify().differences] == [field]


def test_report_lists_every_recorded_value_grouped_by_rule(legacy):
    consolidation.consolidate()
    output = run("consolidation_report", "--kind", "mapped")
    total = ConsolidationConflict.objects.filter(kind="mapped").count()
    assert f"{total} recorded values in all." in output
    for rule in (rules.TITLE_BLANK, rules.TIME_LIMIT_NOT_POSITIVE, rules.SCORE_NEGATIVE):
        count = ConsolidationConflict.objects.filter(rule=rule).count()
        assert f"mapped / {rule}: {count}" in output
        assert rules.RULE_DESCRIPTIONS[rule] in output
    assert (
        f"tasks_learningtask id={legacy.negative_quiz} -> id "
        f"{new_id('tasks_learningtask', legacy.negative_quiz)}: time_limit '-5' kept as None"
    ) in output
    counts_only = run("consolidation_report", "--rule", rules.TITLE_BLANK, "--limit", "0")
    assert counts_only.splitlines()[0] == f"mapped / {rules.TITLE_BLANK}: 2"
    assert " id=" not in counts_only


def test_dry_run_reports_what_the_real_run_does_and_changes_nothing(legacy, tmp_path):
    before = database_checksum()
    dry = run("consolidate", "--dry-run", "--backup-dir", str(tmp_path))
    assert database_checksum() == before
    assert not list(tmp_path.iterdir())
    assert f"A backup would be written to {tmp_path} first." in dry
    assert f"tasks_quiztask: {legacy.counts['tasks_quiztask']} rows" in dry
    real = run("consolidate", "--no-progress", "--backup-dir", str(tmp_path))
    # Every figure of the real run's report was announced by the dry run.
    report = real[real.index("courses_course: ") : real.index("Verified")]
    report_lines = [
        line
        for line in report.splitlines()
        if any(word in line for word in ("copied", "conflicts recorded", "mapped by a rule"))
        or line.startswith("  ")
    ]
    assert len(report_lines) > 5 and all(line in dry.splitlines() for line in report_lines)
    assert "values mapped by a rule: 0" not in dry


def test_backup_only_when_there_is_something_to_change_and_owner_only(legacy, tmp_path):
    run("consolidate", "--no-progress", "--backup-dir", str(tmp_path))
    (backup,) = tmp_path.iterdir()
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600
    assert stat.S_IMODE(tmp_path.stat().st_mode) == 0o700
    again = run("consolidate", "--no-progress", "--backup-dir", str(tmp_path))
    assert "no backup needed" in again
    assert list(tmp_path.iterdir()) == [backup]
