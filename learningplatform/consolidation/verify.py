"""Compare every legacy row with its consolidated row, column by column, in SQL.

A legacy value counts as kept when the consolidated row holds it, or when ConsolidationConflict
records exactly this legacy value with exactly the value the row holds (a merge kept another
value, or a rule mapped it). A single missing or altered record is a difference.
"""

from dataclasses import dataclass

from django.db import connection as default_connection

from learningplatform.consolidation import rules
from learningplatform.consolidation.steps import (
    CONFLICTS,
    COURSE,
    MAP,
    MERGED_COURSE_COLUMNS,
    SUBMISSION,
    SUBMISSION_FROM,
    TASK,
    TASK_FROM,
    Sql,
    course_sources,
    submission_sources,
    task_sources,
)

SHOWN_PER_CHECK = 20

# Every SQL string here is built from table and column names that are constants of the steps
# module, never from input; values are passed as parameters. Each is marked `nosec B608`.


@dataclass(frozen=True)
class Difference:
    legacy_table: str
    legacy_id: int | None
    column: str
    legacy_value: str | None
    consolidated_value: str | None

    def __str__(self) -> str:
        return (
            f"{self.legacy_table} id={self.legacy_id} {self.column}: legacy "
            f"{self.legacy_value!r}, consolidated {self.consolidated_value!r}"
        )


@dataclass
class Verification:
    checked: dict[str, int]
    differences: list[Difference]
    total_differences: int

    @property
    def ok(self) -> bool:
        return self.total_differences == 0


def _column_checks(
    sql: Sql,
    table: str,
    pairs: dict[str, str],
    source: str,
    target: str,
    where: str = "",
    recorded: set[str] = frozenset(),
) -> list[str]:
    """One SELECT per column yielding (legacy id, column, legacy value, consolidated value).

    For the columns in `recorded`, a record of exactly both values explains a difference.
    """
    return [
        f"""SELECT src.id, '{column}', {sql.text(expression)}, {sql.text(f"t.{column}")}
            FROM {source} JOIN {target} t ON t.id = m.new_id
            WHERE NOT ({sql.same(expression, f"t.{column}")}) {where.format(column=column)}
            {_unrecorded(sql, table, column, expression) if column in recorded else ""}"""  # nosec B608  # constants
        for column, expression in pairs.items()
    ]


def _unrecorded(sql: Sql, table: str, column: str, legacy: str) -> str:
    return f"""AND NOT EXISTS (SELECT 1 FROM {CONFLICTS} c WHERE c.legacy_table = '{table}'
        AND c.legacy_id = src.id AND c.field = '{column}'
        AND {sql.same("c.legacy_value", sql.text(legacy))}
        AND {sql.same("c.kept_value", sql.text(f"t.{column}"))})"""  # nosec B608  # constants


def _with_legacy_values(
    sources: dict[str, str], table_rules: rules.TableRules
) -> tuple[dict[str, str], set[str]]:
    """The sources with each mapped column compared against its legacy value, and those columns."""
    legacy = {column.rule.field: column.legacy for column in table_rules.columns}
    return {c: legacy.get(c, e) for c, e in sources.items()}, set(legacy)


def verify(*, connection=default_connection, present: set[str] | None = None) -> Verification:
    sql = Sql(connection)
    present = present if present is not None else set(connection.introspection.table_names())
    checks: list[tuple[str, str]] = []
    checked: dict[str, int] = {}

    def missing(table: str, target: str) -> None:
        checks.append((table, f"""
            SELECT src.id, '(row)', 'present', 'missing'
            FROM {table} src LEFT JOIN {MAP} m ON m.legacy_table = '{table}' AND m.legacy_id = src.id
            LEFT JOIN {target} t ON t.id = m.new_id
            WHERE t.id IS NULL"""))  # fmt: skip  # nosec B608  # constant identifiers

    def add(table: str, pairs: dict[str, str], source: str, target: str, **options) -> None:
        checks.extend(
            (table, q) for q in _column_checks(sql, table, pairs, source, target, **options)
        )

    if "courses_course" in present:
        checked["courses_course"] = sql.scalar("SELECT COUNT(*) FROM courses_course")
        missing("courses_course", COURSE)
        copied = f"courses_course src JOIN {MAP} m ON m.legacy_table = 'courses_course' AND m.legacy_id = src.id AND NOT m.merged"
        pairs, recorded = _with_legacy_values(course_sources(sql), rules.COURSES_COURSE)
        add("courses_course", pairs, copied, COURSE, recorded=recorded)
        merged = f"courses_course src JOIN {MAP} m ON m.legacy_table = 'courses_course' AND m.legacy_id = src.id AND m.merged"
        key = {c: f"src.{c}" for c in ("title", "instructor_id", "created_at")}
        add("courses_course", key, merged, COURSE)
        add(
            "courses_course", {c: f"src.{c}" for c in MERGED_COURSE_COLUMNS}, merged, COURSE,
            where="AND src.{column} IS NOT NULL", recorded=set(MERGED_COURSE_COLUMNS),
        )  # fmt: skip
    if "tasks_learningtask" in present:
        checked["tasks_learningtask"] = sql.scalar("SELECT COUNT(*) FROM tasks_learningtask")
        missing("tasks_learningtask", TASK)
        source = f"{TASK_FROM} JOIN {MAP} m ON m.legacy_table = 'tasks_learningtask' AND m.legacy_id = src.id"
        pairs, recorded = _with_legacy_values(task_sources(sql), rules.TASKS_LEARNINGTASK)
        add("tasks_learningtask", pairs, source, TASK, recorded=recorded)
    if "tasks_quiztask" in present:
        checked["tasks_quiztask"] = sql.scalar("SELECT COUNT(*) FROM tasks_quiztask")
    if "assessment_submission" in present:
        checked["assessment_submission"] = sql.scalar("SELECT COUNT(*) FROM assessment_submission")
        missing("assessment_submission", SUBMISSION)
        source = f"{SUBMISSION_FROM} JOIN {MAP} m ON m.legacy_table = 'assessment_submission' AND m.legacy_id = src.id"
        pairs, recorded = _with_legacy_values(submission_sources(sql), rules.ASSESSMENT_SUBMISSION)
        add("assessment_submission", pairs, source, SUBMISSION, recorded=recorded)

    differences, total = [], 0
    with connection.cursor() as cursor:
        for table, query in checks:
            cursor.execute(f"SELECT COUNT(*) FROM ({query}) found")  # nosec B608  # built above
            count = cursor.fetchone()[0]
            total += count
            if count:
                cursor.execute(f"{query} LIMIT {SHOWN_PER_CHECK}")
                differences += [Difference(table, *row) for row in cursor.fetchall()]
    return Verification(checked=checked, differences=differences, total_differences=total)
