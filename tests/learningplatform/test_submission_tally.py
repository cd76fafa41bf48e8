"""The submission tallies (counts per course and submitter) follow every way submissions and
their tasks are written, and give every viewer the count of the submissions they may see."""

import importlib

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.db.models import Count

from learningplatform.choices import CourseStatus, Visibility
from learningplatform.models import Course, Submission, SubmissionTally, Task, User
from learningplatform.selectors import submission_tallies_visible_to, submissions_visible_to
from tests.factories import (
    CourseFactory,
    InstructorFactory,
    StaffFactory,
    SubmissionFactory,
    TaskFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

migration = importlib.import_module("learningplatform.migrations.0011_submission_tally")


def tallies() -> dict[tuple[int, int], int]:
    rows = SubmissionTally.objects.values_list("course_id", "user_id", "submissions")
    return {(course, user): submissions for course, user, submissions in rows}


def counted() -> dict[tuple[int, int], int]:
    rows = (
        Submission.objects.order_by()
        .values_list("task__course_id", "user_id")
        .annotate(n=Count("id"))
    )
    return {(course, user): n for course, user, n in rows}


def test_every_write_keeps_the_tallies_equal_to_the_submissions():
    first, second, third = CourseFactory(), CourseFactory(), CourseFactory()
    ann, bob, cy = UserFactory(), UserFactory(), UserFactory()
    a1, a2, b1, c1 = (
        TaskFactory(course=first),
        TaskFactory(course=first),
        TaskFactory(course=second),
        TaskFactory(course=third),
    )
    writes = [
        lambda: SubmissionFactory(task=a1, user=ann),
        lambda: SubmissionFactory(task=a1, user=ann, attempt=2),
        lambda: Submission.objects.bulk_create(
            [
                Submission(task=t, user=u, content="bulk")
                for t in (a1, a2, b1, c1)
                for u in (bob, cy)
            ]
        ),
        lambda: _raw_insert(b1, ann),
        lambda: Submission.objects.filter(user=cy, task=c1).update(user=ann),  # another user
        lambda: Submission.objects.filter(user=bob, task=a2).update(
            task=c1, attempt=3
        ),  # another course
        lambda: Submission.objects.filter(user=bob).update(score=5),  # neither column
        lambda: _save_moved(Submission.objects.filter(user=cy, task=a1).get(), b1, bob),
        lambda: Submission.objects.filter(task__course=first).update(task=a2),  # same course
        lambda: Task.objects.filter(pk=a2.pk).update(course=second),  # a task moves course
        lambda: Task.objects.filter(course=second).update(course=third),  # several at once
        lambda: _save_task_moved(Task.objects.get(pk=b1.pk), first),
        lambda: Task.objects.filter(course=first).update(title="Renamed"),  # not its course
        lambda: Submission.objects.filter(user=ann, task=b1).delete(),
        lambda: Task.objects.get(pk=a2.pk).delete(),  # the ORM: its submissions first
        lambda: _raw_delete_task_first(c1),  # plain SQL: the task before its submissions
        lambda: bob.delete(),  # a user's submissions and tallies go with them
        lambda: third.delete(),
        lambda: Course.objects.all().delete(),
    ]
    seen_nonempty = False
    for number, write in enumerate(writes):
        write()
        assert tallies() == counted(), f"after write {number}"
        seen_nonempty |= bool(counted())
    assert seen_nonempty
    assert not Submission.objects.exists()
    assert not SubmissionTally.objects.exists()  # none at zero kept
    assert User.objects.filter(pk=ann.pk).exists()


def _save_moved(submission: Submission, task: Task, user: User) -> None:
    submission.task, submission.user, submission.attempt = task, user, 5
    submission.save()


def _save_task_moved(task: Task, course: Course) -> None:
    task.course = course
    task.save()


def _raw_insert(task: Task, user: User) -> None:
    # What the consolidation's SQL and any other writer outside Django do.
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO learningplatform_submission (task_id, user_id, attempt, content,"
            " submitted_at, is_graded) VALUES (%s, %s, 7, 'raw', %s, FALSE)",
            [task.pk, user.pk, task.created_at],
        )


def _raw_delete_task_first(task: Task) -> None:
    # The foreign keys are checked at commit: a task may go before the submissions to it.
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM learningplatform_task WHERE id = %s", [task.pk])
        # in between, the submissions left point at no course and count nowhere
        assert Submission.objects.filter(task_id=task.pk).exists()
        assert tallies() == counted()
        cursor.execute("DELETE FROM learningplatform_submission WHERE task_id = %s", [task.pk])


def test_the_migration_fills_the_tallies_from_existing_submissions():
    for course in CourseFactory.create_batch(3):
        for task in TaskFactory.create_batch(2, course=course):
            for user in UserFactory.create_batch(2):
                for attempt in (1, 2):
                    SubmissionFactory(task=task, user=user, attempt=attempt)
    before = tallies()
    assert before == counted() and len(before) == 12
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM learningplatform_submissiontally")
        cursor.execute(migration.FILL)
    assert tallies() == before


@pytest.mark.parametrize("role", ["anonymous", "student", "instructor", "staff"])
def test_the_visible_tallies_sum_to_the_visible_submissions_for_every_viewer(role):
    teacher, student = InstructorFactory(), UserFactory()
    viewer = {
        "anonymous": AnonymousUser(), "student": student, "instructor": teacher,
        "staff": StaffFactory(),
    }[role]  # fmt: skip
    others = UserFactory.create_batch(2)
    for status in (CourseStatus.PUBLISHED, CourseStatus.DRAFT):
        for visibility in (Visibility.PUBLIC, Visibility.PRIVATE):
            for instructor in (teacher, InstructorFactory()):
                course = CourseFactory(instructor=instructor, status=status, visibility=visibility)
                for task in TaskFactory.create_batch(2, course=course):
                    # the instructor submits to others' courses too; others to theirs
                    for user in (student, teacher, *others):
                        if user != instructor:
                            SubmissionFactory(task=task, user=user)
    courses = list(Course.objects.all())
    per_course = {
        course.pk: (
            submission_tallies_visible_to(viewer, course.submission_tallies.all()).count(),
            submissions_visible_to(viewer, Submission.objects.filter(task__course=course)).count(),
        )
        for course in courses
    }
    assert all(tallied == plain for tallied, plain in per_course.values()), per_course
    total = sum(plain for _, plain in per_course.values())
    assert total == (0 if role == "anonymous" else submissions_visible_to(viewer).count())
    if role != "anonymous":
        assert total > 0
