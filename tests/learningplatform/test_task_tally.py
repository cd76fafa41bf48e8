"""The task tallies (counts per course and status) follow every way tasks are written."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.db.models import Count

from learningplatform.choices import TaskStatus
from learningplatform.models import Course, Task, TaskTally
from learningplatform.selectors import tallies_visible_to, tasks_visible_to
from tests.factories import CourseFactory, InstructorFactory, StaffFactory, TaskFactory, UserFactory

pytestmark = pytest.mark.django_db


def tallies() -> dict[tuple[int, str], int]:
    return {
        (course, status): tasks
        for course, status, tasks in TaskTally.objects.values_list("course_id", "status", "tasks")
    }


def counted() -> dict[tuple[int, str], int]:
    rows = Task.objects.order_by().values_list("course_id", "status").annotate(n=Count("id"))
    return {(course, status): n for course, status, n in rows}


def test_every_write_keeps_the_tallies_equal_to_the_tasks():
    first, second = CourseFactory(), CourseFactory()
    writes = [
        lambda: TaskFactory(course=first, status=TaskStatus.PUBLISHED),
        lambda: TaskFactory.create_batch(3, course=second, status=TaskStatus.DRAFT),
        lambda: Task.objects.bulk_create(
            [Task(course=first, title=f"Bulk {n}", status=TaskStatus.ARCHIVED) for n in range(5)]
        ),
        lambda: Task.objects.filter(course=second).update(status=TaskStatus.PUBLISHED),
        lambda: Task.objects.filter(status=TaskStatus.ARCHIVED).update(course=second),
        lambda: Task.objects.filter(course=first).update(title="Renamed"),  # neither column
        lambda: _save_moved(Task.objects.filter(course=second).first(), first),
        lambda: Task.objects.filter(status=TaskStatus.PUBLISHED).first().delete(),
        lambda: _raw_insert(first),
        lambda: Task.objects.filter(course=first, status=TaskStatus.DRAFT).delete(),
        lambda: second.delete(),  # its tasks and tallies go with it
        lambda: _raw_delete_course(first),  # no tally left behind to refuse it
    ]
    for number, write in enumerate(writes):
        write()
        assert tallies() == counted(), f"after write {number}"
    assert not Course.objects.exists()
    assert not TaskTally.objects.exists()  # none at zero kept


def _save_moved(task: Task, course: Course) -> None:
    task.course, task.status = course, TaskStatus.DRAFT
    task.save()


def _raw_delete_course(course: Course) -> None:
    # As the consolidation's reverse does: the tasks, then the course, in plain SQL.
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM learningplatform_task WHERE course_id = %s", [course.pk])
        cursor.execute("DELETE FROM learningplatform_course WHERE id = %s", [course.pk])


def _raw_insert(course: Course) -> None:
    # What the consolidation's SQL and any other writer outside Django do.
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO learningplatform_task (title, description, course_id, task_type, status,"
            " is_randomized, created_at, updated_at) VALUES"
            " ('Raw', '', %s, 'QUIZ', 'DRAFT', FALSE, %s, %s)",
            [course.pk, course.created_at, course.created_at],
        )


@pytest.mark.parametrize("role", ["anonymous", "student", "instructor", "staff"])
def test_the_visible_tallies_sum_to_the_visible_tasks_for_every_viewer(role):
    teacher = InstructorFactory()
    for status in ("PUBLISHED", "DRAFT", "ARCHIVED", "DEPRECATED"):
        for visibility in ("PUBLIC", "PRIVATE"):
            for instructor in (teacher, InstructorFactory()):
                course = CourseFactory(instructor=instructor, status=status, visibility=visibility)
                for task_status in TaskStatus.values:
                    TaskFactory(course=course, status=task_status)
    viewer = {
        "anonymous": AnonymousUser(), "student": UserFactory(), "instructor": teacher,
        "staff": StaffFactory(),
    }[role]  # fmt: skip
    assert tallies_visible_to(viewer).count() == tasks_visible_to(viewer).count() > 0
