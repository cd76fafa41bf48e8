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

from learningplatform.consolidation.legacy_schema import (
    LEGACY_MODELS,
    LegacyAssessmentSubmission,
    LegacyCourse,
    LegacyLearningTask,
    create_legacy_tables,
)
from learningplatform.models import Course, Submission, Task, User
from learningplatform.seeding import SENTENCES, SUBJECTS, TOPICS

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
    counts: dict[str, int] = field(default_factory=dict)


def legacy_tables_exist() -> bool:
    names = set(connection.introspection.table_names())
    return any(model._meta.db_table in names for model in LEGACY_MODELS)


def create_tables() -> None:
    with connection.schema_editor() as editor:
        create_legacy_tables(editor)


def drop_tables() -> None:
    names = set(connection.introspection.table_names())
    with connection.schema_editor() as editor:
        for model in reversed(LEGACY_MODELS):
            if model._meta.db_table in names:
                editor.delete_model(model)


@transaction.atomic
def seed_legacy_data(*, size: RehearsalSize, seed: int) -> HardCases:
    """Fill the (empty) legacy tables and some old learningplatform rows; say where the hard cases are."""
    rng = random.Random(seed)
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
             status="PUBLISHED", max_score=Decimal("10"), created_at=course.created_at)
        for course in old_courses for n in range(2)
    )  # fmt: skip
    Submission.objects.bulk_create(
        Submission(
            task=task, user=students[0], content="old answer", score=Decimal("7.5"), is_graded=True
        )
        for task in old_tasks
    )

    # courses_course: ordinary rows, then the hard cases.
    legacy_courses = []
    for number in range(size.courses):
        created = stamp()
        legacy_courses.append(
            LegacyCourse(
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
        "merged_course": LegacyCourse(
            title=twin.title, description="The courses app's description", instructor_id=twin.instructor_id,
            created_at=twin.created_at, updated_at=twin.created_at + timedelta(days=400), status="ARCHIVED",
            visibility="PRIVATE", learning_objectives="Filled from courses_course", prerequisites="Differs",
            duration=timedelta(days=30), difficulty_level="ADVANCED",
        ),
        "long_text_course": LegacyCourse(
            title=LONG_TITLE, description=LONG_TEXT, instructor_id=instructors[1].pk, created_at=stamp(),
            updated_at=NOW, learning_objectives=LONG_TEXT, difficulty_level="INTERMEDIATE",
        ),
        "day_duration_course": LegacyCourse(
            title="Ten-year programme", description="", instructor_id=instructors[2].pk, created_at=stamp(),
            updated_at=NOW, duration=timedelta(days=3650), difficulty_level="ADVANCED",
        ),
        "microsecond_duration_course": LegacyCourse(
            title="Blink", description="", instructor_id=instructors[2].pk, created_at=stamp(),
            updated_at=NOW, duration=timedelta(microseconds=1),
        ),
        "ancient_course": LegacyCourse(
            title="Since 2003", description="", instructor_id=instructors[3].pk,
            created_at=datetime(2003, 2, 1, 8, 30, 0, 1, tzinfo=UTC),
            updated_at=datetime(2004, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
        ),
    }  # fmt: skip
    created_courses = LegacyCourse.objects.bulk_create([*legacy_courses, *hard_courses.values()])
    for name, course in zip(hard_courses, created_courses[len(legacy_courses) :], strict=True):
        setattr(cases, name, course.pk)
    cases.merged_into = twin.pk

    # tasks_learningtask and tasks_quiztask.
    tasks, quizzes = [], {}
    for course in created_courses:
        for number in range(size.tasks_per_course):
            created = max(course.created_at, stamp())
            tasks.append(
                LegacyLearningTask(
                    title=f"{rng.choice(TOPICS).capitalize()} {number}", description=rng.choice(SENTENCES),
                    course_id=course.pk, status=rng.choice(["DRAFT", "PUBLISHED", "ARCHIVED"]),
                    difficulty_level=rng.choice(["BEGINNER", "INTERMEDIATE", "ADVANCED"]),
                    created_at=created, updated_at=created + timedelta(hours=rng.randint(0, 500)),
                    created_by_id=course.instructor_id, max_submissions=rng.choice([None, 1, 3]),
                    deadline=rng.choice([None, created + timedelta(days=rng.randint(7, 60))]),
                )
            )  # fmt: skip
    empty = LegacyLearningTask(
        title="Empty quiz", description="", course_id=created_courses[0].pk, created_at=stamp(),
        updated_at=NOW, created_by_id=None, max_submissions=None, deadline=None,
    )  # fmt: skip
    orphan = LegacyLearningTask(
        title="Creator left", description="", course_id=created_courses[1].pk, created_at=stamp(),
        updated_at=NOW, created_by_id=None, status="PUBLISHED",
    )  # fmt: skip
    maximal = LegacyLearningTask(
        title="Hardest quiz", description="", course_id=created_courses[2].pk, created_at=stamp(),
        updated_at=NOW, created_by_id=instructors[0].pk, max_submissions=2**31 - 1,
    )  # fmt: skip
    tasks = LegacyLearningTask.objects.bulk_create([*tasks, empty, orphan, maximal])
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
                LegacyAssessmentSubmission(
                    user_id=student.pk, task_id=task.pk, submitted_at=task.created_at + timedelta(days=1),
                    content=rng.choice(SENTENCES), grade=grade,
                    graded_by_id=task.created_by_id if grade is not None else None,
                )
            )  # fmt: skip
    top = LegacyAssessmentSubmission(
        user_id=students[0].pk, task_id=maximal.pk, submitted_at=NOW, content=LONG_TEXT,
        grade=MAX_DECIMAL, graded_by_id=instructors[0].pk,
    )  # fmt: skip
    submissions = LegacyAssessmentSubmission.objects.bulk_create([*submissions, top])
    cases.max_decimal_submission = submissions[-1].pk
    cases.counts = {
        "courses_course": len(created_courses),
        "tasks_learningtask": len(tasks),
        "tasks_quiztask": len(quizzes),
        "assessment_submission": len(submissions),
    }
    return cases
