"""Moving the legacy tables' rows into the consolidated models, with nothing lost.

`consolidate()` runs the whole job (the data migration and the `consolidate` command both call
it); `verify()` compares every legacy row with its consolidated row; `unconsolidate()` removes
exactly what the consolidation added. See steps.py for the merge rule.
"""

from django.db import connection as default_connection
from django.db import transaction

from learningplatform.consolidation.legacy_schema import LEGACY_TABLES
from learningplatform.consolidation.steps import (
    CONFLICTS,
    COURSE,
    FILLABLE_COURSE_COLUMNS,
    MAP,
    SUBMISSION,
    TASK,
    Report,
    Sql,
    run_steps,
)
from learningplatform.consolidation.verify import Verification, verify

__all__ = [
    "LEGACY_TABLES",
    "Report",
    "Verification",
    "consolidate",
    "legacy_tables_present",
    "preflight",
    "unconsolidate",
    "verify",
]

REMOVED_APPS = ("courses", "tasks", "assessment")


def legacy_tables_present(connection=default_connection) -> set[str]:
    return set(LEGACY_TABLES) & set(connection.introspection.table_names())


def preflight(connection=default_connection) -> list[str]:
    """Legacy rows that break a rule of the consolidated models, one line each.

    The consolidation refuses to start while there are any: rewriting them silently would
    lose the old value, and which new value is right is the operator's call.
    """
    sql = Sql(connection)
    present = legacy_tables_present(connection)
    negative_duration = "duration < INTERVAL '0'" if sql.postgres else "duration < 0"
    rules = {
        "courses_course": [
            ("title", "title = ''", "is empty"),
            ("status", "status NOT IN ('DRAFT', 'PUBLISHED', 'ARCHIVED', 'DEPRECATED')", "is not a course status"),
            ("visibility", "visibility NOT IN ('PUBLIC', 'PRIVATE')", "is not a visibility"),
            ("difficulty_level", "difficulty_level NOT IN ('BEGINNER', 'INTERMEDIATE', 'ADVANCED')", "is not a difficulty level"),
            ("duration", negative_duration, "is negative"),
        ],
        "tasks_learningtask": [
            ("title", "title = ''", "is empty"),
            ("status", "status NOT IN ('DRAFT', 'PUBLISHED', 'ARCHIVED')", "is not a task status"),
            ("difficulty_level", "difficulty_level NOT IN ('BEGINNER', 'INTERMEDIATE', 'ADVANCED')", "is not a difficulty level"),
            ("max_submissions", "max_submissions < 1", "is below 1 (set it empty for no limit, or 1)"),
        ],
        "tasks_quiztask": [
            ("max_score", "max_score < 0", "is negative"),
            ("passing_score", "passing_score < 0", "is negative"),
            ("passing_score", "passing_score > max_score", "is above max_score"),
            ("time_limit", "time_limit < 1", "is below 1 minute (set it empty for no limit)"),
        ],
        "assessment_submission": [("grade", "grade < 0", "is negative")],
    }  # fmt: skip
    problems = []
    with connection.cursor() as cursor:
        for table, checks in rules.items():
            if table not in present:
                continue
            key = "learningtask_ptr_id" if table == "tasks_quiztask" else "id"
            for column, condition, what in checks:
                cursor.execute(
                    f"SELECT {key}, {column} FROM {table} "  # nosec B608  # constant identifiers
                    f"WHERE {condition} ORDER BY {key} LIMIT 50"
                )
                problems += [
                    f"{table} id={pk}: {column}={value!r} {what}" for pk, value in cursor.fetchall()
                ]
    return problems


def consolidate(
    *, connection=default_connection, batch_size: int = 10_000, progress=None
) -> Report:
    """Copy and merge every legacy row not consolidated yet, then drop stale content types."""
    if problems := preflight(connection):
        raise ValueError(
            "Legacy rows break rules of the consolidated models; nothing was changed. Correct "
            "them and run again:\n  " + "\n  ".join(problems)
        )
    report = run_steps(connection=connection, batch_size=batch_size, progress=progress)
    remove_stale_content_types(connection)
    return report


def remove_stale_content_types(connection=default_connection) -> int:
    """Content types and permissions of the removed apps point at models that no longer exist."""
    from django.contrib.contenttypes.models import ContentType

    deleted, _ = (
        ContentType.objects.using(connection.alias).filter(app_label__in=REMOVED_APPS).delete()
    )
    return deleted


def unconsolidate(*, connection=default_connection) -> None:
    """Remove exactly what consolidation added: copied rows, filled columns, the map itself."""
    sql = Sql(connection)
    with transaction.atomic(using=connection.alias):
        for legacy_table, target in (
            ("assessment_submission", SUBMISSION),
            ("tasks_learningtask", TASK),
            ("courses_course", COURSE),
        ):
            sql.execute(
                f"DELETE FROM {target} WHERE id IN (SELECT new_id FROM {MAP} "
                f"WHERE legacy_table = '{legacy_table}' AND NOT merged)"  # nosec B608  # constants
            )
        # The columns come from the constant list, never from the recorded rows.
        for column in FILLABLE_COURSE_COLUMNS:
            sql.execute(
                f"UPDATE {COURSE} SET {column} = NULL WHERE id IN (SELECT new_id FROM "
                f"{CONFLICTS} WHERE kind = 'filled' AND field = %s)",  # nosec B608  # constants
                [column],
            )
        sql.execute(f"DELETE FROM {CONFLICTS}")  # nosec B608  # constant identifiers
        sql.execute(f"DELETE FROM {MAP}")  # nosec B608  # constant identifiers
