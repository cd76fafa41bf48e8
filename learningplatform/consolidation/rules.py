"""How a legacy value the consolidated models cannot hold is mapped, as SQL, one rule each.

The old models' column types are the domain: anything they admitted must upgrade. A value the
new model holds with the same meaning is carried verbatim; any other is mapped by the first rule
of its column that matches, and the legacy value is recorded (legacy table, legacy id, field,
legacy value, kept value, rule) in ConsolidationConflict, so nothing is lost.

The same rules serve the copy of the legacy tables (steps.py), the in-place upgrade of the old
learningplatform rows (migration 0002), the strict check that refuses instead of mapping, the
verification and the operator's report. docs/operations.md lists them for people.

Each rule is written as SQL templates over placeholders: `{value}` is the legacy column's
expression in the statement at hand, `{kept_max_score}` the already mapped maximum score, and
`{zero_duration}` the vendor's zero interval. Only constants of this module and choices.py go
into the SQL text; the templates hold no input.
"""

from dataclasses import dataclass

from django.db import models

from learningplatform.choices import CourseStatus, DifficultyLevel, TaskStatus, TaskType, Visibility

# Rule names, as recorded in ConsolidationConflict.rule (tools outside the code read them).
TITLE_BLANK = "title_blank"
CHOICE_CASE = "choice_case_insensitive"
CHOICE_UNKNOWN = "choice_unknown_default"
DIFFICULTY_SYNONYM = "difficulty_synonym"
DIFFICULTY_UNKNOWN = "difficulty_unrecognised"
DURATION_NEGATIVE = "duration_negative"
MAX_SCORE_NEGATIVE = "max_score_negative"
PASSING_NEGATIVE = "passing_score_negative"
PASSING_ABOVE_MAX = "passing_score_above_max"
SCORE_NEGATIVE = "score_negative"
TIME_LIMIT_NOT_POSITIVE = "time_limit_not_positive"
# Merges (steps.merge_courses) record the values that did not win under these names.
MERGE_ORIGINAL_WINS = "merge_original_wins"
MERGE_FILLED = "merge_filled_empty"

RULE_DESCRIPTIONS = {
    TITLE_BLANK: "an empty or all-space title becomes 'Untitled course' / 'Untitled task'",
    CHOICE_CASE: "a choice written in another case or with surrounding spaces is matched to it",
    CHOICE_UNKNOWN: "an unknown choice becomes the safe default: course and task status DRAFT, "
    "visibility PRIVATE, task type SUBMISSION",
    DIFFICULTY_SYNONYM: "a free-text difficulty is matched case-insensitively, with synonyms "
    "(easy, basic ... -> BEGINNER; medium, moderate ... -> INTERMEDIATE; hard, expert ... -> "
    "ADVANCED)",
    DIFFICULTY_UNKNOWN: "a difficulty that matches no level (or is empty) is left empty",
    DURATION_NEGATIVE: "a negative course duration is left empty (unknown)",
    MAX_SCORE_NEGATIVE: "a negative maximum score is left empty (no maximum)",
    PASSING_NEGATIVE: "a negative passing score becomes 0 (every score passes, as before)",
    PASSING_ABOVE_MAX: "a passing score above the maximum becomes the maximum",
    SCORE_NEGATIVE: "a negative grade or score becomes 0, the lowest score",
    TIME_LIMIT_NOT_POSITIVE: "a time limit of 0 or below is left empty (no time limit)",
    MERGE_ORIGINAL_WINS: "a course in both course tables keeps the learningplatform_course value",
    MERGE_FILLED: "a column the learningplatform_course left empty is filled from courses_course",
}

DIFFICULTY_SYNONYMS = {
    DifficultyLevel.BEGINNER: (
        "BEGINNER", "BEGINNERS", "EASY", "BASIC", "BASICS", "INTRO", "INTRODUCTORY",
        "ELEMENTARY", "NOVICE", "ENTRY",
    ),
    DifficultyLevel.INTERMEDIATE: ("INTERMEDIATE", "MEDIUM", "MODERATE", "AVERAGE", "NORMAL"),
    DifficultyLevel.ADVANCED: ("ADVANCED", "HARD", "DIFFICULT", "EXPERT", "CHALLENGING"),
}  # fmt: skip


def _sql_list(values) -> str:
    return "(" + ", ".join(f"'{value}'" for value in values) + ")"


@dataclass(frozen=True)
class Case:
    """One way a legacy value cannot be held: when it applies, what is kept, under which rule."""

    rule: str
    condition: str
    kept: str


@dataclass(frozen=True)
class ColumnRule:
    """The cases of one consolidated column, tried in order; no case matching means verbatim."""

    field: str
    cases: tuple[Case, ...]

    def kept(self, placeholders: dict[str, str]) -> str:
        """The SQL expression of the value the consolidated row holds."""
        whens = " ".join(f"WHEN {case.condition} THEN {case.kept}" for case in self.cases).format(
            **placeholders
        )
        return f"(CASE {whens} ELSE {placeholders['value']} END)"

    def rule(self, placeholders: dict[str, str]) -> str:
        """The SQL expression naming the rule applied, NULL where the value is kept verbatim."""
        whens = " ".join(f"WHEN {case.condition} THEN '{case.rule}'" for case in self.cases).format(
            **placeholders
        )
        return f"(CASE {whens} END)"

    def applies(self, placeholders: dict[str, str]) -> str:
        return (
            "(" + " OR ".join(f"({c.condition})" for c in self.cases).format(**placeholders) + ")"
        )


def blank_title(field: str, placeholder: str) -> ColumnRule:
    return ColumnRule(field, (Case(TITLE_BLANK, "TRIM({value}) = ''", f"'{placeholder}'"),))


def choice(field: str, choices: type[models.TextChoices], default: str) -> ColumnRule:
    allowed = _sql_list(choices.values)
    return ColumnRule(
        field,
        (
            Case(
                CHOICE_CASE,
                f"{{value}} NOT IN {allowed} AND UPPER(TRIM({{value}})) IN {allowed}",
                "UPPER(TRIM({value}))",
            ),
            Case(CHOICE_UNKNOWN, f"{{value}} NOT IN {allowed}", f"'{default}'"),
        ),
    )


def _difficulty() -> ColumnRule:
    exact = _sql_list(DifficultyLevel.values)
    synonyms = tuple(
        Case(
            DIFFICULTY_SYNONYM,
            f"{{value}} NOT IN {exact} AND UPPER(TRIM({{value}})) IN {_sql_list(words)}",
            f"'{level}'",
        )
        for level, words in DIFFICULTY_SYNONYMS.items()
    )
    return ColumnRule(
        "difficulty_level",
        (*synonyms, Case(DIFFICULTY_UNKNOWN, f"{{value}} NOT IN {exact}", "NULL")),
    )


DIFFICULTY = _difficulty()
# Typed as the score columns are, so a recorded 0 reads as the stored value does ("0.00").
ZERO_SCORE = "CAST(0 AS NUMERIC(5, 2))"
DURATION = ColumnRule("duration", (Case(DURATION_NEGATIVE, "{value} < {zero_duration}", "NULL"),))
MAX_SCORE = ColumnRule("max_score", (Case(MAX_SCORE_NEGATIVE, "{value} < 0", "NULL"),))
PASSING_SCORE = ColumnRule(
    "passing_score",
    (
        Case(PASSING_NEGATIVE, "{value} < 0", ZERO_SCORE),
        Case(PASSING_ABOVE_MAX, "{value} > {kept_max_score}", "{kept_max_score}"),
    ),
)
TIME_LIMIT = ColumnRule("time_limit", (Case(TIME_LIMIT_NOT_POSITIVE, "{value} < 1", "NULL"),))
SCORE = ColumnRule("score", (Case(SCORE_NEGATIVE, "{value} < 0", ZERO_SCORE),))

COURSE_TITLE = blank_title("title", "Untitled course")
TASK_TITLE = blank_title("title", "Untitled task")
COURSE_STATUS = choice("status", CourseStatus, CourseStatus.DRAFT)
VISIBILITY = choice("visibility", Visibility, Visibility.PRIVATE)
TASK_STATUS = choice("status", TaskStatus, TaskStatus.DRAFT)
TASK_TYPE = choice("task_type", TaskType, TaskType.SUBMISSION)


@dataclass(frozen=True)
class MappedColumn:
    """A consolidated column filled from a legacy expression through a rule."""

    rule: ColumnRule
    legacy: str  # the legacy value's SQL expression in the statement


@dataclass(frozen=True)
class TableRules:
    """The mapped columns of one legacy table, in an order where each may use those before."""

    columns: tuple[MappedColumn, ...]

    def placeholders(self, zero_duration: str) -> dict[str, dict[str, str]]:
        """Per field, the placeholders its templates are filled with."""
        shared = {"zero_duration": zero_duration}
        result = {}
        for column in self.columns:
            result[column.rule.field] = shared | {"value": column.legacy}
            if column.rule.field == "max_score":
                shared = shared | {"kept_max_score": column.rule.kept(result["max_score"])}
        return result

    def expressions(self, zero_duration: str) -> dict[str, "Mapped"]:
        filled = self.placeholders(zero_duration)
        return {
            column.rule.field: Mapped(
                legacy=column.legacy,
                kept=column.rule.kept(filled[column.rule.field]),
                rule=column.rule.rule(filled[column.rule.field]),
                applies=column.rule.applies(filled[column.rule.field]),
            )
            for column in self.columns
        }


@dataclass(frozen=True)
class Mapped:
    """The SQL of one mapped column: legacy value, kept value, rule name, whether a rule applies."""

    legacy: str
    kept: str
    rule: str
    applies: str


# Legacy app tables, with the aliases of steps.py (src: the row, q: its quiz row).
COURSES_COURSE = TableRules(
    (
        MappedColumn(COURSE_TITLE, "src.title"),
        MappedColumn(COURSE_STATUS, "src.status"),
        MappedColumn(VISIBILITY, "src.visibility"),
        MappedColumn(DURATION, "src.duration"),
        MappedColumn(DIFFICULTY, "src.difficulty_level"),
    )
)
TASKS_LEARNINGTASK = TableRules(
    (
        MappedColumn(TASK_TITLE, "src.title"),
        MappedColumn(TASK_STATUS, "src.status"),
        MappedColumn(DIFFICULTY, "src.difficulty_level"),
        MappedColumn(MAX_SCORE, "q.max_score"),
        MappedColumn(PASSING_SCORE, "q.passing_score"),
        MappedColumn(TIME_LIMIT, "q.time_limit"),
    )
)
ASSESSMENT_SUBMISSION = TableRules((MappedColumn(SCORE, "src.grade"),))

# The old learningplatform tables, upgraded in place by migration 0002 (no alias).
IN_PLACE = {
    "learningplatform_course": TableRules(
        (
            MappedColumn(COURSE_TITLE, "title"),
            MappedColumn(COURSE_STATUS, "status"),
            MappedColumn(VISIBILITY, "visibility"),
        )
    ),
    "learningplatform_task": TableRules(
        (
            MappedColumn(TASK_TITLE, "title"),
            MappedColumn(TASK_TYPE, "task_type"),
            MappedColumn(MAX_SCORE, "max_score"),
            MappedColumn(PASSING_SCORE, "passing_score"),
        )
    ),
    "learningplatform_submission": TableRules((MappedColumn(SCORE, "score"),)),
}


def zero_duration(connection) -> str:
    """A zero interval: PostgreSQL stores durations as intervals, SQLite as microseconds."""
    return "INTERVAL '0'" if connection.vendor == "postgresql" else "0"


def rows_to_map(sql, table: str, source: str, table_rules: TableRules, limit: int) -> list[str]:
    """The rows of `source` (aliased `src`) a rule would map, one line each, for strict modes.

    `sql` is the steps' Sql helper (the vendor's spelling of casts and intervals).
    """
    lines = []
    with sql.connection.cursor() as cursor:
        for field, mapped in sql.mapped(table_rules).items():
            cursor.execute(
                f"SELECT src.id, {sql.text(mapped.legacy)}, {sql.text(mapped.kept)}, "  # nosec B608  # constants
                f"{mapped.rule} FROM {source} WHERE {mapped.applies} "
                f"ORDER BY src.id LIMIT {int(limit)}"
            )
            lines += [
                f"{table} id={pk}: {field}={legacy!r} would become {kept!r} ({rule})"
                for pk, legacy, kept, rule in cursor.fetchall()
            ]
    return lines
