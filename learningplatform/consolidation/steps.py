"""The consolidation, as set-based SQL: the database moves the rows, Python only orders the steps.

Every step works on one range of legacy ids inside one transaction, and does only what is not
done yet (rows already in the id map are skipped), so a run killed at any point is finished by
running it again, with no duplicates and nothing missing.

The merge rule for a course present in both course tables (same instructor, title and
created_at): the learningplatform_course row wins every column it has a value for; a column it
leaves empty is filled from the courses_course row with the lowest id ("filled", undone by the
reverse); every other courses_course value that differs is recorded in ConsolidationConflict.
Two rows of courses_course alike in those three columns stay two courses: only the two tables
are merged, never a table with itself.

A legacy value the consolidated model cannot hold is mapped by the rules of rules.py as it is
copied, and recorded ("mapped") in the same transaction.

SQL is assembled with f-strings from table and column names that are constants of this module
(never from input; values always go as parameters); bandit's B608 is silenced, line by line,
on those strings only.
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from django.db import connection as default_connection
from django.db import transaction

from learningplatform.consolidation import rules
from learningplatform.consolidation.faults import fault_point
from learningplatform.statistics import refresh_statistics

MAP = "learningplatform_legacyidmap"
CONFLICTS = "learningplatform_consolidationconflict"
COURSE = "learningplatform_course"
TASK = "learningplatform_task"
SUBMISSION = "learningplatform_submission"

# Columns a merged course compares; the three of the merge key are equal by definition.
MERGED_COURSE_COLUMNS = [
    "description", "status", "visibility", "learning_objectives", "prerequisites",
    "duration", "difficulty_level", "updated_at",
]  # fmt: skip
COURSE_COLUMNS = ["title", "instructor_id", "created_at", *MERGED_COURSE_COLUMNS]
FILLABLE_COURSE_COLUMNS = ["learning_objectives", "prerequisites", "duration", "difficulty_level"]


@dataclass
class Report:
    """Rows per legacy table: copied into a new row, merged into an existing one, conflicts."""

    copied: dict[str, int] = field(default_factory=dict)
    merged: dict[str, int] = field(default_factory=dict)
    conflicts: int = 0
    filled: int = 0
    mapped: dict[str, int] = field(default_factory=dict)  # values mapped, per rule

    def lines(self) -> list[str]:
        lines = [
            f"{table}: {self.copied.get(table, 0)} copied, {self.merged.get(table, 0)} merged"
            for table in ("courses_course", "tasks_learningtask", "assessment_submission")
        ]
        lines.append(
            f"conflicts recorded: {self.conflicts}; empty columns filled by merges: {self.filled}"
        )
        lines.append(f"values mapped by a rule: {sum(self.mapped.values())}")
        lines += [f"  {rule}: {count}" for rule, count in sorted(self.mapped.items())]
        return lines


class Sql:
    """The few places where SQLite and PostgreSQL spell things differently."""

    def __init__(self, connection) -> None:
        self.connection = connection
        self.postgres = connection.vendor == "postgresql"

    def same(self, left: str, right: str) -> str:
        return f"{left} IS NOT DISTINCT FROM {right}" if self.postgres else f"{left} IS {right}"

    def text(self, expression: str) -> str:
        return f"CAST({expression} AS TEXT)"

    def mapped(self, table_rules: rules.TableRules) -> dict[str, rules.Mapped]:
        return table_rules.expressions(rules.zero_duration(self.connection))

    def next_ids(self, table: str, order: str) -> str:
        """New primary keys for the selected rows, in `order`, never handed out twice."""
        if self.postgres:
            sequence = self.scalar("SELECT pg_get_serial_sequence(%s, 'id')", [table])
            return f"nextval('{sequence}'::regclass)"
        # One statement reads the highest id ever given (AUTOINCREMENT's record, which deleted
        # rows do not lower) and writes: SQLite lets no other writer in between.
        highest = (
            f"MAX(COALESCE((SELECT seq FROM sqlite_sequence WHERE name = '{table}'), 0), "
            f"(SELECT COALESCE(MAX(id), 0) FROM {table}))"  # nosec B608  # constant identifiers
        )
        return f"{highest} + ROW_NUMBER() OVER (ORDER BY {order})"

    def execute(self, sql: str, params: list | tuple = ()) -> int:
        with self.connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.rowcount

    def scalar(self, sql: str, params: list | tuple = ()):
        with self.connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchone()[0]


def id_ranges(sql: Sql, table: str, batch_size: int) -> Iterator[tuple[int, int]]:
    low, high = (
        sql.scalar(f"SELECT MIN(id) FROM {table}"),  # nosec B608  # constant identifiers
        sql.scalar(f"SELECT MAX(id) FROM {table}"),  # nosec B608  # constant identifiers
    )
    if low is None:
        return
    start = low
    while start <= high:
        yield start, start + batch_size - 1
        start += batch_size


def _unmapped(table: str, alias: str) -> str:
    return (
        f"NOT EXISTS (SELECT 1 FROM {MAP} m WHERE m.legacy_table = '{table}' "
        f"AND m.legacy_id = {alias}.id)"  # nosec B608  # constant identifiers
    )


def _map_new_rows(sql: Sql, legacy_table: str, target: str, low: int, high: int) -> int:
    """Give every unmapped legacy row of the range a new id in `target`."""
    return sql.execute(
        f"""
        INSERT INTO {MAP} (legacy_table, legacy_id, new_id, merged)
        SELECT '{legacy_table}', src.id, {sql.next_ids(target, "src.id")}, FALSE
        FROM (SELECT l.id FROM {legacy_table} l
              WHERE l.id BETWEEN %s AND %s AND {_unmapped(legacy_table, "l")}
              ORDER BY l.id) src
        """,  # nosec B608  # identifiers are module constants; values are parameters
        [low, high],
    )


def merge_courses(sql: Sql, low: int, high: int) -> tuple[int, int, int]:
    """Map courses_course rows that match an original learningplatform course onto it."""
    merged = sql.execute(
        f"""
        INSERT INTO {MAP} (legacy_table, legacy_id, new_id, merged)
        SELECT 'courses_course', cc.id, MIN(lc.id), TRUE
        FROM courses_course cc
        JOIN {COURSE} lc ON lc.instructor_id = cc.instructor_id AND lc.title = cc.title
                        AND lc.created_at = cc.created_at
        WHERE cc.id BETWEEN %s AND %s AND {_unmapped("courses_course", "cc")}
          AND NOT EXISTS (SELECT 1 FROM {MAP} own WHERE own.legacy_table = 'courses_course'
                          AND own.new_id = lc.id AND NOT own.merged)
        GROUP BY cc.id
        """,  # nosec B608  # identifiers are module constants; values are parameters
        [low, high],
    )
    targets = f"""(SELECT m.new_id FROM {MAP} m WHERE m.legacy_table = 'courses_course'
                   AND m.merged AND m.legacy_id BETWEEN %s AND %s)"""  # nosec B608  # constants
    mapped = {
        column: expressions
        for column, expressions in sql.mapped(rules.COURSES_COURSE).items()
        if column in FILLABLE_COURSE_COLUMNS
    }
    filled = 0
    for column in FILLABLE_COURSE_COLUMNS:
        legacy = f"cc.{column}"
        kept, rule = f"cc.{column}", f"'{rules.MERGE_FILLED}'"
        if column in mapped:
            kept = mapped[column].kept.replace("src.", "cc.")
            rule = f"COALESCE({mapped[column].rule.replace('src.', 'cc.')}, {rule})"
        # The lowest-id legacy row with a value fills an empty column, and is recorded first;
        # a value mapped by a rule is recorded with the value it became.
        donor = f"""
            SELECT MIN(cc.id) FROM courses_course cc JOIN {MAP} m
              ON m.legacy_table = 'courses_course' AND m.legacy_id = cc.id AND m.merged
            WHERE m.new_id = lc.id AND {kept} IS NOT NULL AND cc.id BETWEEN %s AND %s
        """  # nosec B608  # identifiers are module constants; values are parameters
        filled += sql.execute(
            f"""
            INSERT INTO {CONFLICTS}
                (legacy_table, legacy_id, new_id, field, kind, legacy_value, kept_value, rule)
            SELECT 'courses_course', cc.id, lc.id, '{column}', 'filled', {sql.text(legacy)},
                   CASE WHEN {sql.same(legacy, kept)} THEN NULL ELSE {sql.text(kept)} END, {rule}
            FROM {COURSE} lc JOIN courses_course cc ON cc.id = ({donor})
            WHERE lc.{column} IS NULL AND lc.id IN {targets}
            """,  # nosec B608  # identifiers are module constants; values are parameters
            [low, high, low, high],
        )
        sql.execute(
            f"""
            UPDATE {COURSE} SET {column} = (SELECT {kept} FROM courses_course cc
                                            WHERE cc.id = ({donor.replace("lc.id", f"{COURSE}.id")}))
            WHERE {column} IS NULL AND id IN {targets}
              AND ({donor.replace("lc.id", f"{COURSE}.id")}) IS NOT NULL
            """,  # nosec B608  # identifiers are module constants; values are parameters
            [low, high, low, high, low, high],
        )
    conflicts = 0
    for column in MERGED_COURSE_COLUMNS:
        conflicts += sql.execute(
            f"""
            INSERT INTO {CONFLICTS}
                (legacy_table, legacy_id, new_id, field, kind, legacy_value, kept_value, rule)
            SELECT 'courses_course', cc.id, lc.id, '{column}', 'conflict',
                   {sql.text(f"cc.{column}")}, {sql.text(f"lc.{column}")},
                   '{rules.MERGE_ORIGINAL_WINS}'
            FROM courses_course cc
            JOIN {MAP} m ON m.legacy_table = 'courses_course' AND m.legacy_id = cc.id AND m.merged
            JOIN {COURSE} lc ON lc.id = m.new_id
            WHERE cc.id BETWEEN %s AND %s AND cc.{column} IS NOT NULL
              AND NOT ({sql.same(f"cc.{column}", f"lc.{column}")})
              AND NOT EXISTS (SELECT 1 FROM {CONFLICTS} c WHERE c.legacy_table = 'courses_course'
                              AND c.legacy_id = cc.id AND c.field = '{column}')
            """,  # nosec B608  # identifiers are module constants; values are parameters
            [low, high],
        )
    return merged, conflicts, filled


def _copy(
    sql: Sql,
    legacy_table: str,
    target: str,
    sources: dict[str, str],
    source: str,
    low: int,
    high: int,
) -> int:
    """Copy the unmapped legacy rows of the range into `target` under new ids, and map them.

    `source` is the FROM clause, its first table aliased `src`; `sources` maps each target column
    to the expression that fills it.
    """
    columns, expressions = ", ".join(sources), ", ".join(sources.values())
    if sql.postgres:
        # One statement: new ids, the map rows and the copies, with no second look at the map.
        return sql.execute(
            f"""
            WITH fresh AS (
                SELECT l.id AS legacy_id, {sql.next_ids(target, "l.id")} AS new_id
                FROM (SELECT l.id FROM {legacy_table} l
                      WHERE l.id BETWEEN %s AND %s AND {_unmapped(legacy_table, "l")}
                      ORDER BY l.id) l
            ), recorded AS (
                INSERT INTO {MAP} (legacy_table, legacy_id, new_id, merged)
                SELECT '{legacy_table}', legacy_id, new_id, FALSE FROM fresh
            )
            INSERT INTO {target} (id, {columns})
            SELECT fresh.new_id, {expressions} FROM {source} JOIN fresh ON fresh.legacy_id = src.id
            WHERE src.id BETWEEN %s AND %s
            """,  # nosec B608  # identifiers are module constants; values are parameters
            [low, high, low, high],
        )
    _map_new_rows(sql, legacy_table, target, low, high)
    return sql.execute(
        f"""
        INSERT INTO {target} (id, {columns})
        SELECT m.new_id, {expressions}
        FROM {source}
        JOIN {MAP} m ON m.legacy_table = '{legacy_table}' AND m.legacy_id = src.id AND NOT m.merged
        WHERE src.id BETWEEN %s AND %s
          AND NOT EXISTS (SELECT 1 FROM {target} done WHERE done.id = m.new_id)
        """,  # nosec B608  # identifiers are module constants; values are parameters
        [low, high],
    )


def record_mapped(
    sql: Sql, legacy_table: str, table_rules: rules.TableRules, source: str, low: int, high: int
) -> int:
    """Record every value of the range's copied rows that a rule mapped, in one statement.

    The legacy rows are read once: only those a rule applies to are crossed with the list of
    mapped columns, so a clean batch costs one filtered range scan.
    """
    mapped = sql.mapped(table_rules)
    names = list(mapped)
    picked = {
        part: "CASE f.field "
        + " ".join(f"WHEN '{name}' THEN d.{part}_{number}" for number, name in enumerate(names))
        + " END"
        for part in ("legacy", "kept", "rule")
    }
    columns = ", ".join(
        f"{sql.text(m.legacy)} AS legacy_{number}, {sql.text(m.kept)} AS kept_{number}, "
        f"{m.rule} AS rule_{number}"
        for number, m in enumerate(mapped.values())
    )
    fields = " UNION ALL ".join(f"SELECT '{name}' AS field" for name in names)
    return sql.execute(
        f"""
        INSERT INTO {CONFLICTS}
            (legacy_table, legacy_id, new_id, field, kind, legacy_value, kept_value, rule)
        SELECT '{legacy_table}', d.legacy_id, d.new_id, f.field, 'mapped',
               {picked["legacy"]}, {picked["kept"]}, {picked["rule"]}
        FROM (SELECT src.id AS legacy_id, rm.new_id AS new_id, {columns}
              FROM {source}
              JOIN {MAP} rm ON rm.legacy_table = '{legacy_table}' AND rm.legacy_id = src.id
                           AND NOT rm.merged
              WHERE src.id BETWEEN %s AND %s
                AND ({" OR ".join(m.applies for m in mapped.values())})) d
        CROSS JOIN ({fields}) f
        WHERE {picked["rule"]} IS NOT NULL
          AND NOT EXISTS (SELECT 1 FROM {CONFLICTS} c WHERE c.legacy_table = '{legacy_table}'
                          AND c.legacy_id = d.legacy_id AND c.field = f.field)
        """,  # nosec B608  # identifiers are module constants; values are parameters
        [low, high],
    )


def course_sources(sql: Sql) -> dict[str, str]:
    """Consolidated course column -> the legacy expression it is copied from."""
    mapped = sql.mapped(rules.COURSES_COURSE)
    return {
        column: mapped[column].kept if column in mapped else f"src.{column}"
        for column in COURSE_COLUMNS
    }


def copy_courses(sql: Sql, low: int, high: int) -> int:
    copied = _copy(
        sql, "courses_course", COURSE, course_sources(sql), "courses_course src", low, high
    )
    record_mapped(sql, "courses_course", rules.COURSES_COURSE, "courses_course src", low, high)
    return copied


def task_sources(sql: Sql) -> dict[str, str]:
    """Consolidated task column -> the legacy expression it is copied from (src: the learning
    task, q: its quiz row if it is a quiz, cm: the course's id map row)."""
    mapped = sql.mapped(rules.TASKS_LEARNINGTASK)
    return {
        "title": mapped["title"].kept,
        "description": "src.description",
        "course_id": "cm.new_id",
        "task_type": "CASE WHEN q.learningtask_ptr_id IS NULL THEN 'LEARNING' ELSE 'QUIZ' END",
        "status": mapped["status"].kept,
        "difficulty_level": mapped["difficulty_level"].kept,
        "created_by_id": "src.created_by_id",
        "deadline": "src.deadline",
        "max_score": mapped["max_score"].kept,
        "passing_score": mapped["passing_score"].kept,
        "max_submissions": "src.max_submissions",
        "time_limit": mapped["time_limit"].kept,
        "is_randomized": "COALESCE(q.is_randomized, FALSE)",
        "created_at": "src.created_at",
        "updated_at": "src.updated_at",
    }


# Where the task rules read a legacy learning task and its quiz row.
TASK_RULES_FROM = (
    "tasks_learningtask src LEFT JOIN tasks_quiztask q ON q.learningtask_ptr_id = src.id"
)
TASK_FROM = f"""
    tasks_learningtask src
    JOIN {MAP} cm ON cm.legacy_table = 'courses_course' AND cm.legacy_id = src.course_id
    LEFT JOIN tasks_quiztask q ON q.learningtask_ptr_id = src.id
"""


def copy_tasks(sql: Sql, low: int, high: int) -> int:
    copied = _copy(sql, "tasks_learningtask", TASK, task_sources(sql), TASK_FROM, low, high)
    record_mapped(sql, "tasks_learningtask", rules.TASKS_LEARNINGTASK, TASK_RULES_FROM, low, high)
    return copied


def submission_sources(sql: Sql) -> dict[str, str]:
    """Consolidated submission column -> the legacy expression it is copied from."""
    return {
        "task_id": "tm.new_id",
        "user_id": "src.user_id",
        "attempt": "1",
        "content": "src.content",
        "submitted_at": "src.submitted_at",
        "score": sql.mapped(rules.ASSESSMENT_SUBMISSION)["score"].kept,
        "is_graded": "src.grade IS NOT NULL",
        "graded_by_id": "src.graded_by_id",
    }


SUBMISSION_FROM = f"""
    assessment_submission src
    JOIN {MAP} tm ON tm.legacy_table = 'tasks_learningtask' AND tm.legacy_id = src.task_id
"""


def copy_submissions(sql: Sql, low: int, high: int) -> int:
    copied = _copy(
        sql,
        "assessment_submission",
        SUBMISSION,
        submission_sources(sql),
        SUBMISSION_FROM,
        low,
        high,
    )
    record_mapped(
        sql, "assessment_submission", rules.ASSESSMENT_SUBMISSION, "assessment_submission src",
        low, high,
    )  # fmt: skip
    return copied


def recorded_per_rule(sql: Sql, kind: str = "mapped") -> dict[str, int]:
    """How many values of the legacy app tables are recorded under each rule."""
    with sql.connection.cursor() as cursor:
        cursor.execute(
            f"SELECT rule, COUNT(*) FROM {CONFLICTS} WHERE kind = %s AND legacy_table IN "  # nosec B608  # constants
            "('courses_course', 'tasks_learningtask', 'assessment_submission') GROUP BY rule",
            [kind],
        )
        return dict(cursor.fetchall())


def run_steps(
    *,
    connection=default_connection,
    batch_size: int = 10_000,
    progress: Callable[[str, int], None] | None = None,
) -> Report:
    """Consolidate every legacy row not consolidated yet; one transaction per batch."""
    sql = Sql(connection)
    report = Report()
    progress = progress or (lambda table, rows: None)
    mapped_before = recorded_per_rule(sql)
    for table, step in (
        ("courses_course", "courses"),
        ("tasks_learningtask", "tasks"),
        ("assessment_submission", "submissions"),
    ):
        for number, (low, high) in enumerate(id_ranges(sql, table, batch_size)):
            with transaction.atomic(using=connection.alias):
                if step == "courses":
                    merged, conflicts, filled = merge_courses(sql, low, high)
                    report.merged[table] = report.merged.get(table, 0) + merged
                    report.conflicts += conflicts
                    report.filled += filled
                    copied = copy_courses(sql, low, high)
                elif step == "tasks":
                    copied = copy_tasks(sql, low, high)
                else:
                    copied = copy_submissions(sql, low, high)
                report.copied[table] = report.copied.get(table, 0) + copied
                if sql.postgres:
                    # The map grows from empty by a batch at a time; without fresh statistics
                    # the planner keeps choosing plans made for a much smaller table.
                    sql.execute(f"ANALYZE {MAP}")
                fault_point(f"{step}:{number}:before-commit")
            fault_point(f"{step}:{number}:after-commit")
            rows = sql.scalar(
                f"SELECT COUNT(*) FROM {table} WHERE id BETWEEN %s AND %s",  # nosec B608  # constant
                [low, high],
            )
            progress(table, rows)
    mapped_after = recorded_per_rule(sql)
    report.mapped = {
        rule: count - mapped_before.get(rule, 0)
        for rule, count in mapped_after.items()
        if count != mapped_before.get(rule, 0)
    }
    if any(report.copied.values()) or any(report.merged.values()):
        refresh_statistics((COURSE, TASK, SUBMISSION, MAP, CONFLICTS), connection)
    return report
