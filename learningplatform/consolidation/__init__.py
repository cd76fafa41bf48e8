"""Moving the legacy tables' rows into the consolidated models, with nothing lost.

`consolidate()` runs the whole job (the data migration and the `consolidate` command both call
it); `verify()` compares every legacy row with its consolidated row; `unconsolidate()` removes
exactly what the consolidation added. See steps.py for the merge rule.
"""

from django.db import connection as default_connection
from django.db import transaction

from learningplatform.consolidation import rules
from learningplatform.consolidation.legacy_schema import LEGACY_MODELS, LEGACY_TABLES
from learningplatform.consolidation.steps import (
    CONFLICTS,
    COURSE,
    FILLABLE_COURSE_COLUMNS,
    MAP,
    SUBMISSION,
    TASK,
    TASK_RULES_FROM,
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
    "drop_legacy_tables",
    "dry_run",
    "has_work",
    "legacy_tables_present",
    "pending",
    "preflight",
    "unconsolidate",
    "verify",
]

REMOVED_APPS = ("courses", "tasks", "assessment")
# The legacy tables whose rows become rows of their own (quiz rows join their learning task).
COPIED_TABLES = ("courses_course", "tasks_learningtask", "assessment_submission")


def legacy_tables_present(connection=default_connection) -> set[str]:
    """The legacy tables this database holds."""
    return set(LEGACY_TABLES) & set(connection.introspection.table_names())


def drop_legacy_tables(connection=default_connection) -> set[str]:
    """Drop the legacy tables this database holds (children first); return their names.

    Irreversible: `drop_legacy_tables` (the command) calls it only after a passing verification.
    """
    present = legacy_tables_present(connection)
    with connection.schema_editor() as editor:
        for model in reversed(LEGACY_MODELS):
            if model._meta.db_table in present:
                editor.delete_model(model)
    return present


# Where the strict check reads each legacy table, with the aliases its rules use.
RULE_SOURCES = {
    "courses_course": ("courses_course src", rules.COURSES_COURSE),
    "tasks_learningtask": (TASK_RULES_FROM, rules.TASKS_LEARNINGTASK),
    "assessment_submission": ("assessment_submission src", rules.ASSESSMENT_SUBMISSION),
}


def preflight(connection=default_connection, limit: int = 50) -> list[str]:
    """Legacy rows a rule would map, one line each: what `--strict` refuses to start with."""
    sql = Sql(connection)
    present = legacy_tables_present(connection)
    problems = []
    for table, (source, table_rules) in RULE_SOURCES.items():
        if table in present and (table != "tasks_learningtask" or "tasks_quiztask" in present):
            problems += rules.rows_to_map(sql, table, source, table_rules, limit)
    return problems


def pending(connection=default_connection) -> dict[str, tuple[int, int]]:
    """Per legacy table with rows to move: (rows, rows consolidated already)."""
    sql = Sql(connection)
    present = legacy_tables_present(connection)
    counts = {}
    for table in COPIED_TABLES:
        if table in present:
            counts[table] = (
                sql.scalar(f"SELECT COUNT(*) FROM {table}"),  # nosec B608  # constant identifiers
                sql.scalar(f"SELECT COUNT(*) FROM {MAP} WHERE legacy_table = %s", [table]),  # nosec B608
            )
    return counts


def has_work(connection=default_connection, counts: dict | None = None) -> bool:
    """Whether a consolidation would change anything (so whether it needs a backup first);
    `counts` is what `pending()` returned, if the caller has it already."""
    counts = pending(connection) if counts is None else counts
    return any(total > done for total, done in counts.values())


def consolidate(
    *,
    connection=default_connection,
    batch_size: int = 10_000,
    progress=None,
    strict: bool = False,
) -> Report:
    """Copy and merge every legacy row not consolidated yet, then drop stale content types.

    Values the consolidated models cannot hold are mapped and recorded; with `strict`, their
    presence stops the consolidation before anything changes instead.
    """
    if strict and (problems := preflight(connection)):
        raise ValueError(
            "Legacy rows hold values the consolidated models cannot keep as they are; nothing "
            "was changed (strict mode). Correct them, or run without strict mode to map and "
            "record them:\n  " + "\n  ".join(problems)
        )
    report = run_steps(connection=connection, batch_size=batch_size, progress=progress)
    remove_stale_content_types(connection)
    return report


def dry_run(*, connection=default_connection, batch_size: int = 10_000) -> Report:
    """What `consolidate` would do, from a real run inside a transaction that is rolled back.

    On PostgreSQL the id sequences still advance (sequences ignore rollbacks): the ids a later
    real run hands out may skip some numbers, which is harmless.
    """
    with transaction.atomic(using=connection.alias):
        report = run_steps(connection=connection, batch_size=batch_size)
        transaction.set_rollback(True, using=connection.alias)
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
                f"{CONFLICTS} WHERE kind = 'filled' AND legacy_table = 'courses_course' "
                "AND field = %s)",  # nosec B608  # constants
                [column],
            )
        # The records of rows upgraded in place (migration 0002) stay: those rows stay too.
        tables = ", ".join(f"'{table}'" for table in COPIED_TABLES)
        sql.execute(f"DELETE FROM {CONFLICTS} WHERE legacy_table IN ({tables})")  # nosec B608
        sql.execute(f"DELETE FROM {MAP}")  # nosec B608  # constant identifiers
