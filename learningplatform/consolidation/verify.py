"""Compare every legacy row with its consolidated row, column by column, in SQL.

A legacy value counts as kept when the consolidated row holds it, or when a merge kept another
value and ConsolidationConflict records this one (and the kept one) exactly.
"""

from dataclasses import dataclass

from django.db import connection as default_connection

from learningplatform.consolidation.steps import (
    CONFLICTS,
    COURSE,
    COURSE_SOURCES,
    MAP,
    MERGED_COURSE_COLUMNS,
    SUBMISSION,
    SUBMISSION_FROM,
    SUBMISSION_SOURCES,
    TASK,
    TASK_FROM,
    TASK_SOURCES,
    Sql,
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
    sql: Sql, table: str, pairs: dict[str, str], source: str, target: str, where: str = ""
) -> list[str]:
    """One SELECT per column yielding (legacy id, column, legacy value, consolidated value)."""
    return [
        f"""SELECT src.id, '{column}', {sql.text(expression)}, {sql.text(f"t.{column}")}
            FROM {source} JOIN {target} t ON t.id = m.new_id
            WHERE NOT ({sql.same(expression, f"t.{column}")}) {where}"""  # nosec B608  # constants
        for column, expression in pairs.items()
    ]


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

    if "courses_course" in present:
        checked["courses_course"] = sql.scalar("SELECT COUNT(*) FROM courses_course")
        missing("courses_course", COURSE)
        copied = f"courses_course src JOIN {MAP} m ON m.legacy_table = 'courses_course' AND m.legacy_id = src.id AND NOT m.merged"
        for query in _column_checks(sql, "courses_course", COURSE_SOURCES, copied, COURSE):
            checks.append(("courses_course", query))
        merged = f"courses_course src JOIN {MAP} m ON m.legacy_table = 'courses_course' AND m.legacy_id = src.id AND m.merged"
        key = {c: f"src.{c}" for c in ("title", "instructor_id", "created_at")}
        for query in _column_checks(sql, "courses_course", key, merged, COURSE):
            checks.append(("courses_course", query))
        for column in MERGED_COURSE_COLUMNS:
            recorded = f"""NOT EXISTS (SELECT 1 FROM {CONFLICTS} c WHERE c.legacy_table = 'courses_course'
                AND c.legacy_id = src.id AND c.field = '{column}' AND c.kind = 'conflict'
                AND {sql.same("c.legacy_value", sql.text(f"src.{column}"))}
                AND {sql.same("c.kept_value", sql.text(f"t.{column}"))})"""  # nosec B608
            (query,) = _column_checks(
                sql, "courses_course", {column: f"src.{column}"}, merged, COURSE,
                where=f"AND src.{column} IS NOT NULL AND {recorded}",
            )  # fmt: skip
            checks.append(("courses_course", query))
    if "tasks_learningtask" in present:
        checked["tasks_learningtask"] = sql.scalar("SELECT COUNT(*) FROM tasks_learningtask")
        missing("tasks_learningtask", TASK)
        source = TASK_FROM.replace("tasks_learningtask lt", "tasks_learningtask src").replace(
            "lt.", "src."
        )
        source += f" JOIN {MAP} m ON m.legacy_table = 'tasks_learningtask' AND m.legacy_id = src.id"
        pairs = {c: e.replace("lt.", "src.") for c, e in TASK_SOURCES.items()}
        checks += [
            ("tasks_learningtask", q)
            for q in _column_checks(sql, "tasks_learningtask", pairs, source, TASK)
        ]
    if "tasks_quiztask" in present:
        checked["tasks_quiztask"] = sql.scalar("SELECT COUNT(*) FROM tasks_quiztask")
    if "assessment_submission" in present:
        checked["assessment_submission"] = sql.scalar("SELECT COUNT(*) FROM assessment_submission")
        missing("assessment_submission", SUBMISSION)
        source = SUBMISSION_FROM.replace(
            "assessment_submission a", "assessment_submission src"
        ).replace("a.", "src.")
        source += (
            f" JOIN {MAP} m ON m.legacy_table = 'assessment_submission' AND m.legacy_id = src.id"
        )
        pairs = {c: e.replace("a.", "src.") for c, e in SUBMISSION_SOURCES.items()}
        checks += [
            ("assessment_submission", q)
            for q in _column_checks(sql, "assessment_submission", pairs, source, SUBMISSION)
        ]

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
