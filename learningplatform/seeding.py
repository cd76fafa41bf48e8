"""A realistic, deterministic demo data set, written with bulk inserts.

The data set is a pure function of its size and seed: `plan_data_set` draws it from one
`random.Random(seed)` and anchors every timestamp to a fixed date, so two runs with the same
arguments describe the same rows. `seed_data_set` writes only the rows of the plan that are not
in the database yet, identified by natural keys (username; instructor and course title; course
and task title; task, student and attempt), so running it again with the same arguments adds
nothing. Other sizes give another plan, whose missing rows are added beside the existing ones.
"""

import gc
import random
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from itertools import islice
from typing import Any

from django.contrib.auth.hashers import make_password
from django.db import reset_queries, transaction
from django.db.models import F, Model, Q

from learningplatform.choices import CourseStatus, DifficultyLevel, TaskStatus, TaskType, Visibility
from learningplatform.models import Course, Submission, Task, User
from learningplatform.services import instructors_group
from learningplatform.statistics import refresh_statistics

SEED_USERNAME_PREFIX = "seed-"
INSTRUCTOR_PREFIX = f"{SEED_USERNAME_PREFIX}instructor-"
SEED_PASSWORD = "learn-and-teach"  # noqa: S105 - the documented password of the demo accounts
ANCHOR = datetime(2026, 9, 1, 9, 0, tzinfo=UTC)
BATCH_SIZE = 2000

SUBJECTS = [
    "Python Programming",
    "Data Structures",
    "Algorithms",
    "Linear Algebra",
    "Statistics",
    "Machine Learning",
    "Web Development",
    "Databases",
    "Operating Systems",
    "Networking",
    "Cryptography",
    "Compilers",
    "Distributed Systems",
    "Cloud Computing",
    "Data Visualisation",
    "Technical Writing",
    "Software Testing",
    "Functional Programming",
    "Computer Graphics",
    "Human-Computer Interaction",
    "Probability",
    "Calculus",
    "Organic Chemistry",
    "Microeconomics",
    "Art History",
    "Music Theory",
    "Français pour débutants",
    "Español intermedio",
    "Deutsch für Ingenieure",
    "日本語入門",
    "Ελληνική Φιλοσοφία",
    "Café Culture & Society",
]
ADJECTIVES = [
    "Introduction to",
    "Practical",
    "Applied",
    "Advanced",
    "Foundations of",
    "Modern",
    "Hands-on",
    "Essential",
    "A Gentle Tour of",
    "Deep Dive into",
    "Principles of",
]
TOPICS = [
    "recursion",
    "sorting",
    "hash tables",
    "graphs",
    "dynamic programming",
    "regression",
    "classification",
    "SQL joins",
    "indexes",
    "transactions",
    "caching",
    "concurrency",
    "unit tests",
    "refactoring",
    "type systems",
    "parsing",
    "vectors",
    "matrices",
    "eigenvalues",
    "hypothesis tests",
    "Bayes' rule",
    "HTTP",
    "REST",
    "GraphQL",
    "accessibility",
    "colour",
    "phonetics",
    "vocabulary",
    "grammar",
    "reading practice",
    "essay structure",
    "citations",
]
FIRST_NAMES = [
    "Ada",
    "Alan",
    "Grace",
    "Linus",
    "Margaret",
    "Dennis",
    "Barbara",
    "Ken",
    "Radia",
    "Tim",
    "Zoë",
    "José",
    "Björn",
    "Chloé",
    "Søren",
    "Aiko",
    "Mateo",
    "Priya",
    "Olusegun",
    "Mei",
]
LAST_NAMES = [
    "Lovelace",
    "Turing",
    "Hopper",
    "Torvalds",
    "Hamilton",
    "Ritchie",
    "Liskov",
    "Thompson",
    "Perlman",
    "Berners-Lee",
    "Núñez",
    "Müller",
    "Ødegaard",
    "Tanaka",
    "García",
    "Okafor",
]
SENTENCES = [
    "Work through the examples and note where your intuition was wrong.",
    "Explain your reasoning in a few sentences; a correct answer without it scores half.",
    "Read the chapter first, then attempt the exercises without looking at the solutions.",
    "Compare two approaches and say which you would choose in production, and why.",
    "The exercises build on last week's material: revisit it if anything feels unfamiliar.",
    "Submit a short write-up together with any code you used.",
    "This part is optional but strongly recommended before the assessment.",
    "Pay attention to edge cases: empty input, duplicates and very large values.",
]
TASK_KINDS = [
    (TaskType.LEARNING, "Reading"),
    (TaskType.QUIZ, "Quiz"),
    (TaskType.ASSESSMENT, "Assessment"),
    (TaskType.SUBMISSION, "Assignment"),
    (TaskType.TEXT_SUBMISSION, "Short answer"),
    (TaskType.FILE_UPLOAD, "Project upload"),
    (TaskType.MULTIPLE_CHOICE, "Multiple choice"),
]
GRADED_TYPES = {kind for kind, _ in TASK_KINDS} - {TaskType.LEARNING}


@dataclass(frozen=True)
class SeedSize:
    instructors: int = 10
    students: int = 50
    courses: int = 20
    tasks_per_course: int = 10
    submissions_per_task: int = 2


@dataclass
class SeedReport:
    """Rows written per model by one run (rows already present are not counted)."""

    created: dict[str, int] = field(default_factory=dict)

    def __str__(self) -> str:
        return ", ".join(f"{count} {name}" for name, count in self.created.items())


@dataclass(frozen=True)
class DataSet:
    users: list[dict]
    courses: list[dict]
    tasks: list[dict]
    submissions: list[dict]


@dataclass(frozen=True)
class CoursePlan:
    """One planned course with its tasks and their submissions."""

    course: dict
    tasks: list[dict]
    submissions: list[dict]


def plan_stream(*, size: SeedSize, seed: int) -> tuple[list[dict], Iterator[CoursePlan]]:
    """The planned users, and the planned courses one at a time (a million tasks never in
    memory at once); the same draws from the same `random.Random(seed)` as `plan_data_set`."""
    rng = random.Random(seed)
    users = [
        _plan_user(rng, f"{SEED_USERNAME_PREFIX}admin", is_staff=True),
        *(
            _plan_user(rng, f"{SEED_USERNAME_PREFIX}instructor-{i:04d}")
            for i in range(size.instructors)
        ),
        *(_plan_user(rng, f"{SEED_USERNAME_PREFIX}student-{i:05d}") for i in range(size.students)),
    ]
    instructors = [user["username"] for user in users[1 : 1 + size.instructors]]
    students = [user["username"] for user in users[1 + size.instructors :]]

    def courses() -> Iterator[CoursePlan]:
        for course_number in range(1, size.courses + 1):
            course = _plan_course(rng, course_number, rng.choice(instructors))
            tasks, submissions = [], []
            for task_number in range(1, size.tasks_per_course + 1):
                task = _plan_task(rng, course, task_number)
                tasks.append(task)
                if task["task_type"] in GRADED_TYPES and students:
                    picked = rng.sample(students, min(size.submissions_per_task, len(students)))
                    submissions.extend(_plan_submission(rng, task, student) for student in picked)
            yield CoursePlan(course, tasks, submissions)

    return users, courses()


def plan_data_set(*, size: SeedSize, seed: int) -> DataSet:
    """Describe the whole data set for a size and seed, without touching the database."""
    users, courses = plan_stream(size=size, seed=seed)
    plan = DataSet(users=users, courses=[], tasks=[], submissions=[])
    for planned in courses:
        plan.courses.append(planned.course)
        plan.tasks.extend(planned.tasks)
        plan.submissions.extend(planned.submissions)
    return plan


def planned_rows(*, size: SeedSize, seed: int) -> int:
    """How many rows the plan holds (users, courses, tasks, submissions), counted as it streams."""
    users, courses = plan_stream(size=size, seed=seed)
    return len(users) + sum(1 + len(p.tasks) + len(p.submissions) for p in courses)


def seed_data_set(
    *, size: SeedSize, seed: int, progress: Callable[[int, str], None] | None = None
) -> SeedReport:
    """Write the planned data set's missing rows; `progress(n, label)` is told of each batch.

    Course by course in chunks of about CHUNK_ROWS rows, each chunk its own transaction: memory
    stays bounded by a chunk, an interrupted run keeps the chunks it finished, and the next run
    adds what is missing. Existing rows are looked up by id ranges and joins, never by a list
    of ids (PostgreSQL takes at most 65,535 parameters in a statement).
    """
    users, courses = plan_stream(size=size, seed=seed)
    report = SeedReport({"users": 0, "courses": 0, "tasks": 0, "submissions": 0})
    progress = progress or (lambda count, label: None)
    with transaction.atomic():
        report.created["users"] = insert_accounts(users, progress)
    user_ids = dict(_seeded(User.objects, "username").values_list("username", "id"))
    course_ids = {
        (instructor_id, title): pk
        for pk, instructor_id, title in _seeded(Course.objects, "instructor__username").values_list(
            "id", "instructor_id", "title"
        )
    }
    for chunk in _chunks(courses):
        with transaction.atomic():
            for label, created in _seed_chunk(chunk, user_ids, course_ids, progress).items():
                report.created[label] += created
        # With DEBUG (which seed requires) Django keeps the text of the last 9,000 statements,
        # a bulk insert's values included: a million tasks' worth, unless dropped per chunk.
        reset_queries()
        # What a chunk's bulk inserts leave behind (mostly their compiler's tuples, which CPython
        # keeps for reuse) is given back only by a full collection, which Python runs only now
        # and then: memory grew with each chunk until it did. One per chunk, a fraction of a
        # second beside the chunk's seconds, keeps it that of one chunk.
        gc.collect()
    if any(report.created.values()):
        refresh_statistics((User, Course, Task, Submission))
    return report


# Rows (courses, tasks, submissions) written per transaction by `seed_data_set`.
CHUNK_ROWS = 20_000


def _chunks(courses: Iterable[CoursePlan]) -> Iterator[list[CoursePlan]]:
    chunk, rows = [], 0
    for planned in courses:
        chunk.append(planned)
        rows += 1 + len(planned.tasks) + len(planned.submissions)
        if rows >= CHUNK_ROWS:
            yield chunk
            chunk, rows = [], 0
    if chunk:
        yield chunk


def _seeded(manager, username_lookup: str):
    return manager.filter(**{f"{username_lookup}__startswith": SEED_USERNAME_PREFIX})


def _seed_chunk(
    chunk: list[CoursePlan],
    user_ids: dict[str, int],
    course_ids: dict[tuple[int, str], int],
    progress: Callable[[int, str], None],
) -> dict[str, int]:
    """Write one chunk's missing courses, tasks and submissions; how many of each."""
    created = {}

    def course_key(row: dict) -> tuple[int, str]:
        return user_ids[row["instructor"]], row["title"]

    new_courses = _insert_missing(
        Course,
        [planned.course for planned in chunk],
        key=course_key,
        existing=course_ids,
        build=lambda row: Course(
            **{k: v for k, v in row.items() if k != "instructor"},
            instructor_id=user_ids[row["instructor"]],
        ),
        progress=progress,
    )
    course_ids.update((key, course.pk) for key, course in new_courses)
    created["courses"] = len(new_courses)
    _stamp_updated_at(Course, [course.pk for _key, course in new_courses])
    ids = sorted(course_ids[course_key(planned.course)] for planned in chunk)
    task_ids = {
        (course_pk, title): pk
        for pk, course_pk, title in _in_runs(Task.objects, "course_id", ids).values_list(
            "id", "course_id", "title"
        )
    }

    def course_id(row: dict) -> int:
        return course_ids[(user_ids[row["instructor"]], row["course_title"])]

    new_tasks = _insert_missing(
        Task,
        [task for planned in chunk for task in planned.tasks],
        key=lambda row: (course_id(row), row["title"]),
        existing=task_ids,
        build=lambda row: Task(
            **{k: v for k, v in row.items() if k not in {"instructor", "course_title"}},
            course_id=course_id(row),
            created_by_id=user_ids[row["instructor"]],
        ),
        progress=progress,
    )
    task_ids.update((key, task.pk) for key, task in new_tasks)
    created["tasks"] = len(new_tasks)
    _stamp_updated_at(Task, [task.pk for _key, task in new_tasks])

    def task_id(row: dict) -> int:
        return task_ids[(course_id(row), row["task_title"])]

    existing = _in_runs(Submission.objects, "task_id", sorted(task_ids.values())).values_list(
        "task_id", "user_id", "attempt"
    )
    new_submissions = _insert_missing(
        Submission,
        [submission for planned in chunk for submission in planned.submissions],
        key=lambda row: (task_id(row), user_ids[row["student"]], 1),
        existing=existing,
        build=lambda row: Submission(
            task_id=task_id(row),
            user_id=user_ids[row["student"]],
            attempt=1,
            content=row["content"],
            submitted_at=row["submitted_at"],
            score=row["score"],
            is_graded=row["score"] is not None,
            graded_by_id=user_ids[row["instructor"]] if row["score"] is not None else None,
        ),
        progress=progress,
    )
    created["submissions"] = len(new_submissions)
    return created


# Ids further apart than this start another range of `_in_runs`: a few rows of other courses
# read and dropped cost less than a statement more.
RUN_GAP = 64


def _in_runs(manager, column: str, ids: list[int]):
    """The rows whose `column` is one of the sorted `ids`: a few id ranges, three parameters
    each, whatever the number of ids; rows inside a range but not among `ids` are left out."""
    wanted, runs = set(ids), []
    for pk in ids:
        if runs and pk - runs[-1][1] <= RUN_GAP:
            runs[-1][1] = pk
        else:
            runs.append([pk, pk])
    if not runs:
        return manager.none()
    condition = Q()
    for low, high in runs:
        condition |= Q(**{f"{column}__gte": low, f"{column}__lte": high})
    return _Kept(manager.filter(condition), column, wanted)


@dataclass(frozen=True)
class _Kept:
    """A queryset whose `values_list` rows are kept only if their `column` is in `wanted`."""

    queryset: Any
    column: str
    wanted: set

    def values_list(self, *names: str) -> Iterator[tuple]:
        at = names.index(self.column)
        for row in self.queryset.values_list(*names).iterator(chunk_size=BATCH_SIZE):
            if row[at] in self.wanted:
                yield row


def _stamp_updated_at(model: type[Model], pks: list[int]) -> None:
    """auto_now stamps bulk inserts with the wall clock; seeded rows were never edited, so their
    last update is their creation, which also keeps the data set deterministic."""
    for batch in _batches(sorted(pks), BATCH_SIZE):
        rows = model.objects.filter(pk__gte=batch[0], pk__lte=batch[-1]).exclude(
            updated_at=F("created_at")
        )
        rows.filter(**{f"{_owner(model)}__startswith": SEED_USERNAME_PREFIX}).update(
            updated_at=F("created_at")
        )


def _owner(model: type[Model]) -> str:
    return {Course: "instructor__username", Task: "course__instructor__username"}[model]


def reset_data_set() -> int:
    """Delete every seeded user and what they own; return the number of users removed."""
    seeded_users = User.objects.filter(username__startswith=SEED_USERNAME_PREFIX)
    with transaction.atomic():
        seeded_courses = Course.objects.filter(instructor__in=seeded_users)
        Submission.objects.filter(task__course__in=seeded_courses).delete()
        Submission.objects.filter(user__in=seeded_users).delete()
        Task.objects.filter(course__in=seeded_courses).delete()
        seeded_courses.delete()
        removed, _ = seeded_users.delete()
    return removed


def _plan_user(rng: random.Random, username: str, *, is_staff: bool = False) -> dict:
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    return {
        "username": username,
        "first_name": first,
        "last_name": last,
        "email": f"{username}@example.com",
        "bio": f"{first} {last}. {rng.choice(SENTENCES)}",
        "is_staff": is_staff,
        "is_superuser": is_staff,
        "date_joined": ANCHOR - timedelta(days=rng.randint(30, 900)),
    }


def _plan_course(rng: random.Random, number: int, instructor: str) -> dict:
    subject = rng.choice(SUBJECTS)
    created_at = ANCHOR - timedelta(days=rng.randint(1, 730), seconds=rng.randint(0, 86399))
    return {
        "instructor": instructor,
        "title": f"C{number:05d} · {rng.choice(ADJECTIVES)} {subject}",
        "description": " ".join(rng.sample(SENTENCES, 3)),
        "status": rng.choices(
            [
                CourseStatus.PUBLISHED,
                CourseStatus.DRAFT,
                CourseStatus.ARCHIVED,
                CourseStatus.DEPRECATED,
            ],
            weights=[70, 15, 10, 5],
        )[0],
        "visibility": rng.choices([Visibility.PUBLIC, Visibility.PRIVATE], weights=[85, 15])[0],
        "learning_objectives": f"Understand {', '.join(rng.sample(TOPICS, 3))}.",
        "prerequisites": rng.choice([None, "None.", f"{rng.choice(SUBJECTS)} or equivalent."]),
        "duration": timedelta(weeks=rng.randint(2, 16)),
        "difficulty_level": rng.choice(DifficultyLevel.values),
        "created_at": created_at,
    }


def _plan_task(rng: random.Random, course: dict, number: int) -> dict:
    task_type, kind = rng.choice(TASK_KINDS)
    graded = task_type in GRADED_TYPES
    max_score = Decimal(rng.choice([10, 20, 50, 100])) if graded else None
    quiz_like = task_type in {TaskType.QUIZ, TaskType.MULTIPLE_CHOICE}
    return {
        "instructor": course["instructor"],
        "course_title": course["title"],
        "title": f"{number:03d} · {kind}: {rng.choice(TOPICS)}",
        "description": " ".join(rng.sample(SENTENCES, 2)),
        "task_type": task_type,
        "status": rng.choices(
            [TaskStatus.PUBLISHED, TaskStatus.DRAFT, TaskStatus.ARCHIVED], weights=[80, 15, 5]
        )[0],
        "difficulty_level": rng.choice(DifficultyLevel.values),
        "deadline": ANCHOR + timedelta(days=rng.randint(-60, 400)) if graded else None,
        "max_score": max_score,
        "passing_score": (max_score * Decimal(rng.choice([50, 60, 70, 80])) / 100)
        if max_score
        else None,
        "max_submissions": rng.choice([None, 1, 2, 3, 5]) if graded else None,
        "time_limit": rng.choice([10, 15, 30, 45, 60, 90]) if quiz_like else None,
        "is_randomized": quiz_like and rng.random() < 0.5,
        "created_at": course["created_at"] + timedelta(days=rng.randint(0, 60)),
    }


def _plan_submission(rng: random.Random, task: dict, student: str) -> dict:
    graded = rng.random() < 0.6 and task["max_score"] is not None
    return {
        "instructor": task["instructor"],
        "course_title": task["course_title"],
        "task_title": task["title"],
        "student": student,
        "content": rng.choice(SENTENCES),
        "submitted_at": task["created_at"] + timedelta(days=rng.randint(1, 30)),
        "score": Decimal(rng.randint(0, int(task["max_score"]) * 100)) / 100 if graded else None,
    }


def insert_accounts(rows: list[dict], progress: Callable[[int, str], None] | None = None) -> int:
    """Create the planned accounts that do not exist yet; instructors join the Instructors group."""
    password = make_password(SEED_PASSWORD)  # hashed once: hashing per user would take minutes
    created = _insert_missing(
        User,
        rows,
        key=lambda row: row["username"],
        existing=_seeded(User.objects, "username").values_list("username", flat=True),
        build=lambda row: User(**row, password=password),
        progress=progress or (lambda count, label: None),
    )
    group = instructors_group()
    membership = User.groups.through
    joining = (
        User.objects.filter(username__startswith=INSTRUCTOR_PREFIX)
        .exclude(groups=group)
        .values_list("pk", flat=True)
    )
    for batch in _batches(joining.iterator(chunk_size=BATCH_SIZE), BATCH_SIZE):
        membership.objects.bulk_create([membership(user_id=pk, group_id=group.pk) for pk in batch])
    return len(created)


def _insert_missing(
    model: type[Model],
    rows: list[dict],
    *,
    key: Callable[[dict], object],
    existing: Iterable,
    build: Callable[[dict], Model],
    progress: Callable[[int, str], None],
) -> list[tuple[object, Model]]:
    """Insert the rows whose key is not among `existing`; the (key, object) of each, with its
    primary key (bulk_create returns it on PostgreSQL and SQLite)."""
    label = str(model._meta.verbose_name_plural)
    present = existing if isinstance(existing, dict | set) else set(existing)
    missing = [row for row in rows if key(row) not in present]
    progress(len(rows) - len(missing), label)  # already there: done as far as the bar goes
    created = []
    for batch in _batches(missing, BATCH_SIZE):
        objects = model.objects.bulk_create([build(row) for row in batch])
        created += zip(map(key, batch), objects, strict=True)
        progress(len(batch), label)
    return created


def _batches(items: Iterable, size: int) -> Iterator[list]:
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch
