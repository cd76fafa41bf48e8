"""The `seed` command: sizes, determinism, re-runs and --reset."""

import gc
import tracemalloc
from collections import Counter

import pytest
from django.core.management import CommandError
from django.db import connection, reset_queries

from learningplatform import seeding
from learningplatform.models import Course, Submission, Task, User
from learningplatform.seeding import (
    SeedSize,
    plan_data_set,
    plan_stream,
    planned_rows,
    reset_data_set,
    seed_data_set,
)
from tests.factories import CourseFactory
from tests.helpers import SMALL, seed, snapshot

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("development")]


def test_writes_the_requested_sizes():
    output = seed(*SMALL, "--submissions-per-task", "3")
    assert User.objects.filter(is_staff=False).count() == 3 + 8
    assert User.objects.filter(is_staff=True).count() == 1
    assert Course.objects.count() == 5
    assert Counter(Task.objects.values_list("course_id", flat=True)) == {
        course.pk: 4 for course in Course.objects.all()
    }
    per_task = Counter(Submission.objects.values_list("task_id", flat=True))
    assert per_task and max(per_task.values()) == 3
    assert not Submission.objects.filter(task__task_type="LEARNING").exists()
    assert f"{Task.objects.count()} tasks" in output


def test_same_seed_gives_the_same_data_and_another_seed_does_not():
    seed(*SMALL, "--seed", "7")
    first = snapshot()
    seed(*SMALL, "--seed", "7", "--reset")
    assert snapshot() == first
    seed(*SMALL, "--seed", "8", "--reset")
    assert snapshot() != first


def test_running_again_adds_nothing():
    seed(*SMALL)
    before = snapshot()
    output = seed(*SMALL)
    assert "0 users, 0 courses, 0 tasks, 0 submissions" in output
    assert snapshot() == before


def test_reset_removes_only_seeded_data():
    own_course = CourseFactory()
    seed(*SMALL)
    seed("--reset", "--instructors", "0", "--students", "0", "--courses", "0")
    assert list(Course.objects.all()) == [own_course]
    assert set(User.objects.values_list("username", flat=True)) == {
        own_course.instructor.username,
        "seed-admin",
    }


def test_seeded_instructors_may_create_courses_and_students_may_not():
    seed(*SMALL)
    assert User.objects.get(username="seed-instructor-0002").has_perm("learningplatform.add_course")
    assert not User.objects.get(username="seed-student-00000").has_perm(
        "learningplatform.add_course"
    )


def test_seeded_rows_pass_model_validation():
    seed(*SMALL)
    for model in (User, Course, Task, Submission):
        for instance in model.objects.all():
            instance.full_clean()


def test_progress_reports_every_planned_row_once():
    size = SeedSize(instructors=2, students=5, courses=3, tasks_per_course=6)
    plan = plan_data_set(size=size, seed=1)
    reported = Counter()
    seed_data_set(size=size, seed=1, progress=lambda n, label: reported.update({label: n}))
    assert reported == {
        "users": len(plan.users),
        "courses": len(plan.courses),
        "tasks": len(plan.tasks),
        "submissions": len(plan.submissions),
    }


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--courses", "-1"], "invalid non_negative value"),
        (["--courses", "2", "--instructors", "0"], "needs at least one instructor"),
    ],
)
def test_bad_sizes_are_refused_with_a_clear_message(args, message):
    with pytest.raises(CommandError, match=message):
        seed(*args)
    assert not Course.objects.exists()


@pytest.mark.parametrize("command", ["seed", "seed_via_graphql"])
def test_refuses_to_run_outside_development(settings, command):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="runs only in development: set DEBUG=1"):
        seed(*SMALL, command=command)
    assert not User.objects.exists()


def _largest_statements(size: SeedSize) -> dict[str, int]:
    """The most parameters one statement of each kind (its first word) took while seeding."""
    largest = Counter()

    def record(execute, sql, params, many, context):
        kind = sql.split(None, 1)[0].upper()
        largest[kind] = max(largest[kind], len(params or ()))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        seed_data_set(size=size, seed=3)
    return largest


def test_no_statement_takes_a_parameter_per_row(monkeypatch):
    # Small chunks and batches, so that a few hundred rows cross several of each.
    monkeypatch.setattr(seeding, "CHUNK_ROWS", 40)
    monkeypatch.setattr(seeding, "BATCH_SIZE", 16)
    small = _largest_statements(SeedSize(instructors=2, students=6, courses=2, tasks_per_course=5))
    reset_data_set()
    large = _largest_statements(
        SeedSize(
            instructors=9, students=30, courses=12, tasks_per_course=40, submissions_per_task=4
        )
    )
    for kind in ("SELECT", "UPDATE", "DELETE"):
        assert large[kind] == small[kind], (kind, small, large)
        assert large[kind] <= 16
    if connection.vendor == "postgresql":  # bulk inserts send one array per column (UNNEST)
        assert large["INSERT"] == small["INSERT"] <= len(Task._meta.concrete_fields)


def test_an_interrupted_seed_keeps_its_chunks_and_the_next_run_finishes(monkeypatch):
    size = SeedSize(instructors=3, students=8, courses=6, tasks_per_course=7)
    seed_data_set(size=size, seed=5)
    complete = snapshot()
    reset_data_set()
    monkeypatch.setattr(seeding, "CHUNK_ROWS", 20)
    written = Counter()

    def stop_midway(count: int, label: str) -> None:
        written[label] += count
        if written["tasks"] > 20:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        seed_data_set(size=size, seed=5, progress=stop_midway)
    assert 0 < Task.objects.count() < 6 * 7  # the finished chunks are kept
    report = seed_data_set(size=size, seed=5)
    assert 0 < report.created["tasks"] < 6 * 7
    assert snapshot() == complete


def test_the_streamed_plan_is_the_whole_plan():
    size = SeedSize(instructors=2, students=5, courses=4, tasks_per_course=6)
    plan = plan_data_set(size=size, seed=9)
    users, courses = plan_stream(size=size, seed=9)
    streamed = list(courses)
    assert users == plan.users
    assert [p.course for p in streamed] == plan.courses
    assert [t for p in streamed for t in p.tasks] == plan.tasks
    assert [s for p in streamed for s in p.submissions] == plan.submissions
    expected = len(plan.users) + len(plan.courses) + len(plan.tasks) + len(plan.submissions)
    assert planned_rows(size=size, seed=9) == expected


def _seeding_peak(courses: int) -> int:
    """The most memory (tracemalloc) a seed of `courses` courses of 40 tasks held at once, from
    an empty data set, an empty statement log and a full collection: only the run's own."""
    reset_data_set()
    reset_queries()
    gc.collect()
    tracemalloc.start()
    try:
        seed_data_set(
            size=SeedSize(instructors=3, students=12, courses=courses, tasks_per_course=40), seed=2
        )
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_memory_stays_that_of_a_chunk_whatever_the_size(monkeypatch, settings):
    settings.DEBUG = True  # as `seed` runs: Django then logs every statement's text
    monkeypatch.setattr(seeding, "CHUNK_ROWS", 200)  # two courses (about 220 rows) a chunk
    # What is made once, not per row: imports, the drivers' statement caches (bounded).
    _seeding_peak(24)
    small, large = _seeding_peak(4), _seeding_peak(24)
    assert Task.objects.count() == 24 * 40
    # Six times the rows, not six times the memory (docs/performance.md has the figures).
    assert large < small * 1.25, (small, large)
