"""A rehearsal database: the legacy tables, created as the old code did, full of realistic rows.

Besides ordinary rows it writes the hard cases a real installation holds, and says where they
are (`HardCases`), so tests can follow each one through the consolidation.
"""

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.db.migrations.executor import MigrationExecutor

from learningplatform.consolidation.legacy_schema import (
    LEGACY_TABLES,
    AssessmentSubmissionTable,
    CoursesCourseTable,
    LearningTaskTable,
    create_legacy_tables,
)
from learningplatform.models import Course, Submission, Task, User
from learningplatform.seeding import SENTENCES, SUBJECTS, TOPICS
from learningplatform.statistics import refresh_statistics

NOW = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)
LONG_TITLE = ("Ωmega-Kurs über Ökologie · 数学と音楽 · café ☕ " * 8)[:255]
LONG_TEXT = "Ünïcödé paragraph with emoji 🎓 and quotes \"'`; " * 2000
MAX_DECIMAL = Decimal("999.99")


@dataclass
class RehearsalSize:
    courses: int = 40
    tasks_per_course: int = 5
    students: int = 20
    submissions_per_task: int = 2


@dataclass
class HardCases:
    """Legacy ids of the rows that exercise each hard case."""

    merged_course: int = 0  # courses_course row also in learningplatform_course, values differ
    merged_into: int = 0  # the learningplatform_course id it merges into
    empty_quiz: int = 0  # quiz with every nullable column empty
    deleted_creator_task: int = 0  # created_by NULL: its creator's account was deleted
    long_text_course: int = 0  # 255-character non-ASCII title, 100 KB description
    max_decimal_quiz: int = 0  # scores of 999.99
    max_decimal_submission: int = 0  # grade 999.99
    day_duration_course: int = 0  # a duration of ten years
    microsecond_duration_course: int = 0  # a duration of one microsecond
    ancient_course: int = 0  # timestamps from 2003
    # Values the old schema admitted that the consolidated models hold only through a rule
    # (consolidation/rules.py), or verbatim with a meaning of their own (max_submissions 0).
    mapped_merge_course: int = 0  # merges, filling an empty difficulty from the free text "Hard"
    mapped_merge_into: int = 0
    odd_course: int = 0  # title "", status "live", visibility "Hidden", difficulty "easy"
    lowercase_course: int = 0  # status "published", visibility " public", negative duration
    no_submission_task: int = 0  # max_submissions 0: takes no submission (kept verbatim)
    odd_task: int = 0  # title "   ", status "retired", difficulty "Level 2"
    lowercase_task: int = 0  # status "Published", difficulty "", max_submissions 0
    zero_time_quiz: int = 0  # time limit 0, passing score above the maximum
    negative_quiz: int = 0  # time limit -5, negative maximum and passing scores
    negative_grade_submission: int = 0  # grade -2.50
    # In an old database (build_old_database), old learningplatform rows that migration 0002
    # upgrades in place under the same rules.
    odd_old_course: int = 0  # title "", status "Live", visibility "secret"
    odd_old_task: int = 0  # title " ", task type "essay", passing score 80 above maximum 50
    negative_old_task: int = 0  # maximum score -5, passing score -1
    negative_old_submission: int = 0  # score -0.01
    counts: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class OldModels:
    """The learningplatform models to write the old rows with: today's, or those of 0001."""

    user: type
    course: type
    task: type
    submission: type
    in_place_cases: bool = False  # write values only the old constraints admitted


CURRENT_MODELS = OldModels(User, Course, Task, Submission)
OLD_SCHEMA = [("learningplatform", "0001_initial")]


def is_new_database() -> bool:
    """Whether no learningplatform migration has been applied here yet."""
    executor = MigrationExecutor(connection)
    return not any(app == "learningplatform" for app, _ in executor.loader.applied_migrations)


def build_old_database(*, size: RehearsalSize, seed: int) -> HardCases:
    """A database as the old code left it: the learningplatform tables of migration 0001 and
    the legacy app tables, full of rows, hard cases included. `migrate` upgrades it."""
    executor = MigrationExecutor(connection)
    executor.migrate(OLD_SCHEMA)
    apps = MigrationExecutor(connection).loader.project_state(OLD_SCHEMA).apps
    create_tables()
    models = OldModels(
        user=apps.get_model("learningplatform", "User"),
        course=apps.get_model("learningplatform", "Course"),
        task=apps.get_model("learningplatform", "Task"),
        submission=apps.get_model("learningplatform", "Submission"),
        in_place_cases=True,
    )
    return seed_legacy_data(size=size, seed=seed, old_models=models)


def create_tables() -> None:
    with connection.schema_editor() as editor:
        create_legacy_tables(editor)


@transaction.atomic
def seed_legacy_data(
    *, size: RehearsalSize, seed: int, old_models: OldModels = CURRENT_MODELS
) -> HardCases:
    """Fill the (empty) legacy tables and some old learningplatform rows; say where the hard cases are."""
    rng = random.Random(seed)
    User, Course, Task, Submission = (  # noqa: N806
        old_models.user,
        old_models.course,
        old_models.task,
        old_models.submission,
    )
    task_status = (
        {"status": "PUBLISHED"} if any(f.name == "status" for f in Task._meta.fields) else {}
    )
    password = make_password(None)  # unusable: rehearsal accounts cannot log in
    instructors = User.objects.bulk_create(
        User(username=f"legacy-instructor-{i:03d}", password=password) for i in range(5)
    )
    students = User.objects.bulk_create(
        User(username=f"legacy-student-{i:04d}", password=password) for i in range(size.students)
    )
    cases = HardCases()

    def stamp(years_back: int = 3) -> datetime:
        return NOW - timedelta(
            days=rng.randint(0, 365 * years_back), microseconds=rng.randint(0, 999_999)
        )

    # Old learningplatform rows: a course, its tasks and a submission, as the old code wrote them.
    old_courses = []
    for number in range(max(2, size.courses // 10)):
        created = stamp()
        old_courses.append(
            Course(
                title=f"Old {rng.choice(SUBJECTS)} {number}", description=rng.choice(SENTENCES),
                instructor=rng.choice(instructors), status="PUBLISHED", visibility="PUBLIC",
                learning_objectives=None, prerequisites="None.", created_at=created,
            )
        )  # fmt: skip
    old_courses = Course.objects.bulk_create(old_courses)
    old_tasks = Task.objects.bulk_create(
        Task(title=f"Old task {n}", description="", course=course, task_type="ASSESSMENT",
             max_score=Decimal("10"), created_at=course.created_at, **task_status)
        for course in old_courses for n in range(2)
    )  # fmt: skip
    Submission.objects.bulk_create(
        Submission(
            task=task, user=students[0], content="old answer", score=Decimal("7.5"), is_graded=True
        )
        for task in old_tasks
    )
    if old_models.in_place_cases:
        odd_course = Course.objects.create(
            title="", description="", instructor=instructors[0], status="Live", visibility="secret"
        )
        odd_task, negative_task = (
            Task.objects.create(course=odd_course, description="", **values)
            for values in (
                {"title": " ", "task_type": "essay", "max_score": 50, "passing_score": 80},
                {"title": "Below", "task_type": "QUIZ", "max_score": -5, "passing_score": -1},
            )
        )
        negative = Submission.objects.create(
            task=odd_task, user=students[0], content="x", score=Decimal("-0.01"), is_graded=True
        )
        cases.odd_old_course, cases.odd_old_task = odd_course.pk, odd_task.pk
        cases.negative_old_task, cases.negative_old_submission = negative_task.pk, negative.pk

    # courses_course: ordinary rows, then the hard cases.
    legacy_courses = []
    for number in range(size.courses):
        created = stamp()
        legacy_courses.append(
            CoursesCourseTable(
                title=f"{rng.choice(SUBJECTS)} ({number})", description=" ".join(rng.sample(SENTENCES, 2)),
                instructor_id=rng.choice(instructors).pk, created_at=created,
                updated_at=created + timedelta(days=rng.randint(0, 90)),
                status=rng.choice(["DRAFT", "PUBLISHED", "ARCHIVED", "DEPRECATED"]),
                visibility=rng.choice(["PUBLIC", "PRIVATE"]),
                learning_objectives=rng.choice([None, f"Learn {rng.choice(TOPICS)}."]),
                prerequisites=rng.choice([None, "", "Algebra."]),
                duration=rng.choice([None, timedelta(weeks=rng.randint(1, 20))]),
                difficulty_level=rng.choice(["BEGINNER", "INTERMEDIATE", "ADVANCED"]),
            )
        )  # fmt: skip
    twin = old_courses[0]
    hard_courses = {
        "merged_course": CoursesCourseTable(
            title=twin.title, description="The courses app's description", instructor_id=twin.instructor_id,
            created_at=twin.created_at, updated_at=twin.created_at + timedelta(days=400), status="ARCHIVED",
            visibility="PRIVATE", learning_objectives="Filled from courses_course", prerequisites="Differs",
            duration=timedelta(days=30), difficulty_level="ADVANCED",
        ),
        "long_text_course": CoursesCourseTable(
            title=LONG_TITLE, description=LONG_TEXT, instructor_id=instructors[1].pk, created_at=stamp(),
            updated_at=NOW, learning_objectives=LONG_TEXT, difficulty_level="INTERMEDIATE",
        ),
        "day_duration_course": CoursesCourseTable(
            title="Ten-year programme", description="", instructor_id=instructors[2].pk, created_at=stamp(),
            updated_at=NOW, duration=timedelta(days=3650), difficulty_level="ADVANCED",
        ),
        "microsecond_duration_course": CoursesCourseTable(
            title="Blink", description="", instructor_id=instructors[2].pk, created_at=stamp(),
            updated_at=NOW, duration=timedelta(microseconds=1),
        ),
        "ancient_course": CoursesCourseTable(
            title="Since 2003", description="", instructor_id=instructors[3].pk,
            created_at=datetime(2003, 2, 1, 8, 30, 0, 1, tzinfo=UTC),
            updated_at=datetime(2004, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
        ),
    }  # fmt: skip
    second_twin = old_courses[1]
    hard_courses |= {
        "mapped_merge_course": CoursesCourseTable(
            title=second_twin.title, description=second_twin.description,
            instructor_id=second_twin.instructor_id, created_at=second_twin.created_at,
            updated_at=second_twin.updated_at, status=second_twin.status,
            visibility=second_twin.visibility, prerequisites=second_twin.prerequisites,
            difficulty_level="Hard", duration=timedelta(days=-3),
        ),
        "odd_course": CoursesCourseTable(
            title="", description="", instructor_id=instructors[4].pk, created_at=stamp(),
            updated_at=NOW, status="live", visibility="Hidden", difficulty_level="easy",
        ),
        "lowercase_course": CoursesCourseTable(
            title="Lower case", description="", instructor_id=instructors[4].pk, created_at=stamp(),
            updated_at=NOW, status="published", visibility=" public", difficulty_level="",
            duration=timedelta(hours=-1),
        ),
    }  # fmt: skip
    created_courses = CoursesCourseTable.objects.bulk_create(
        [*legacy_courses, *hard_courses.values()]
    )
    for name, course in zip(hard_courses, created_courses[len(legacy_courses) :], strict=True):
        setattr(cases, name, course.pk)
    cases.merged_into = twin.pk
    cases.mapped_merge_into = second_twin.pk

    # tasks_learningtask and tasks_quiztask.
    tasks, quizzes = [], {}
    for course in created_courses:
        for number in range(size.tasks_per_course):
            created = max(course.created_at, stamp())
            tasks.append(
                LearningTaskTable(
                    title=f"{rng.choice(TOPICS).capitalize()} {number}", description=rng.choice(SENTENCES),
                    course_id=course.pk, status=rng.choice(["DRAFT", "PUBLISHED", "ARCHIVED"]),
                    difficulty_level=rng.choice(["BEGINNER", "INTERMEDIATE", "ADVANCED"]),
                    created_at=created, updated_at=created + timedelta(hours=rng.randint(0, 500)),
                    created_by_id=course.instructor_id, max_submissions=rng.choice([None, 1, 3]),
                    deadline=rng.choice([None, created + timedelta(days=rng.randint(7, 60))]),
                )
            )  # fmt: skip
    empty = LearningTaskTable(
        title="Empty quiz", description="", course_id=created_courses[0].pk, created_at=stamp(),
        updated_at=NOW, created_by_id=None, max_submissions=None, deadline=None,
    )  # fmt: skip
    orphan = LearningTaskTable(
        title="Creator left", description="", course_id=created_courses[1].pk, created_at=stamp(),
        updated_at=NOW, created_by_id=None, status="PUBLISHED",
    )  # fmt: skip
    maximal = LearningTaskTable(
        title="Hardest quiz", description="", course_id=created_courses[2].pk, created_at=stamp(),
        updated_at=NOW, created_by_id=instructors[0].pk, max_submissions=2**31 - 1,
    )  # fmt: skip
    odd = {
        "no_submission_task": LearningTaskTable(
            title="Read only", description="", course_id=created_courses[3].pk, created_at=stamp(),
            updated_at=NOW, status="PUBLISHED", max_submissions=0,
        ),
        "odd_task": LearningTaskTable(
            title="   ", description="", course_id=created_courses[3].pk, created_at=stamp(),
            updated_at=NOW, status="retired", difficulty_level="Level 2",
        ),
        "lowercase_task": LearningTaskTable(
            title="Lower case", description="", course_id=created_courses[3].pk, created_at=stamp(),
            updated_at=NOW, status="Published", difficulty_level="", max_submissions=0,
        ),
        "zero_time_quiz": LearningTaskTable(
            title="No time", description="", course_id=created_courses[4].pk, created_at=stamp(),
            updated_at=NOW, status="PUBLISHED", difficulty_level=" intermediate ",
        ),
        "negative_quiz": LearningTaskTable(
            title="Below zero", description="", course_id=created_courses[4].pk, created_at=stamp(),
            updated_at=NOW, status="PUBLISHED", difficulty_level="EXPERT",
        ),
    }  # fmt: skip
    odd_tasks = LearningTaskTable.objects.bulk_create(odd.values())
    for name, task in zip(odd, odd_tasks, strict=True):
        setattr(cases, name, task.pk)
    tasks = LearningTaskTable.objects.bulk_create([*tasks, empty, orphan, maximal])
    empty, orphan, maximal = tasks[-3:]
    cases.empty_quiz, cases.deleted_creator_task, cases.max_decimal_quiz = (
        empty.pk,
        orphan.pk,
        maximal.pk,
    )
    for task in tasks[:-3]:
        if rng.random() < 0.4:
            max_score = Decimal(rng.choice([10, 20, 100]))
            quizzes[task.pk] = (
                max_score,
                max_score / 2,
                rng.choice([None, 15, 45]),
                rng.random() < 0.5,
            )
    quizzes[empty.pk] = (None, None, None, False)
    quizzes[maximal.pk] = (MAX_DECIMAL, MAX_DECIMAL, 2**31 - 1, True)
    quizzes[cases.zero_time_quiz] = (Decimal("50"), Decimal("80"), 0, False)
    quizzes[cases.negative_quiz] = (Decimal("-10"), Decimal("-1"), -5, True)
    with connection.cursor() as cursor:
        cursor.executemany(
            "INSERT INTO tasks_quiztask (learningtask_ptr_id, max_score, passing_score, time_limit, is_randomized) "
            "VALUES (%s, %s, %s, %s, %s)",
            [(pk, *values) for pk, values in sorted(quizzes.items())],
        )

    # assessment_submission: at most one per (user, task), as the old unique constraint said.
    submissions = []
    for task in tasks[:-3]:
        for student in rng.sample(students, min(size.submissions_per_task, len(students))):
            grade = rng.choice([None, Decimal(rng.randint(0, 1000)) / 100])
            submissions.append(
                AssessmentSubmissionTable(
                    user_id=student.pk, task_id=task.pk, submitted_at=task.created_at + timedelta(days=1),
                    content=rng.choice(SENTENCES), grade=grade,
                    graded_by_id=task.created_by_id if grade is not None else None,
                )
            )  # fmt: skip
    top = AssessmentSubmissionTable(
        user_id=students[0].pk, task_id=maximal.pk, submitted_at=NOW, content=LONG_TEXT,
        grade=MAX_DECIMAL, graded_by_id=instructors[0].pk,
    )  # fmt: skip
    negative = AssessmentSubmissionTable(
        user_id=students[1].pk, task_id=cases.negative_quiz, submitted_at=NOW, content="late",
        grade=Decimal("-2.50"), graded_by_id=instructors[0].pk,
    )  # fmt: skip
    submissions = AssessmentSubmissionTable.objects.bulk_create([*submissions, top, negative])
    cases.max_decimal_submission = submissions[-2].pk
    cases.negative_grade_submission = submissions[-1].pk
    cases.counts = {
        "courses_course": len(created_courses),
        "tasks_learningtask": len(tasks) + len(odd_tasks),
        "tasks_quiztask": len(quizzes),
        "assessment_submission": len(submissions),
    }
    refresh_statistics(
        (*LEGACY_TABLES, old_models.user, old_models.course, old_models.task, old_models.submission)
    )
    return cases
