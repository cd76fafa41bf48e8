"""Who sees what (learningplatform.selectors), over every role and every state, without GraphQL."""

import itertools

import pytest
from django.contrib.auth.models import AnonymousUser

from learningplatform import selectors
from learningplatform.choices import CourseStatus, TaskStatus, Visibility
from learningplatform.models import Course, Submission, Task
from tests.factories import (
    CourseFactory,
    InstructorFactory,
    StaffFactory,
    SubmissionFactory,
    TaskFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

ROLES = ["anonymous", "student", "owner", "other_instructor", "staff"]


@pytest.fixture
def people():
    return {
        "anonymous": AnonymousUser(),
        "student": UserFactory(),
        "owner": InstructorFactory(),
        "other_instructor": InstructorFactory(),
        "staff": StaffFactory(),
    }


def public(course_status: str, visibility: str) -> bool:
    return course_status == CourseStatus.PUBLISHED and visibility == Visibility.PUBLIC


@pytest.mark.parametrize("role", ROLES)
def test_courses_in_every_state(people, role):
    courses = {
        (status, visibility): CourseFactory(
            instructor=people["owner"], status=status, visibility=visibility
        )
        for status, visibility in itertools.product(CourseStatus.values, Visibility.values)
    }
    seen = set(selectors.courses_visible_to(people[role]))
    expected = {
        course
        for (status, visibility), course in courses.items()
        if role in ("owner", "staff") or public(status, visibility)
    }
    assert seen == expected


@pytest.mark.parametrize("role", ROLES)
def test_tasks_in_every_state_of_task_and_course(people, role):
    tasks = {}
    for course_status, visibility in itertools.product(CourseStatus.values, Visibility.values):
        course = CourseFactory(
            instructor=people["owner"], status=course_status, visibility=visibility
        )
        for task_status in TaskStatus.values:
            tasks[course_status, visibility, task_status] = TaskFactory(
                course=course, status=task_status
            )
    seen = set(selectors.tasks_visible_to(people[role]))
    expected = {
        task
        for (course_status, visibility, task_status), task in tasks.items()
        if role in ("owner", "staff")
        or (public(course_status, visibility) and task_status == TaskStatus.PUBLISHED)
    }
    assert seen == expected


def test_submissions_are_seen_by_their_student_the_course_instructor_and_staff(people):
    task = TaskFactory(course=CourseFactory(instructor=people["owner"]))
    mine = SubmissionFactory(task=task, user=people["student"])
    someone_elses = SubmissionFactory(task=task, user=UserFactory())
    elsewhere = SubmissionFactory(user=people["student"])  # another instructor's course
    seen = {role: set(selectors.submissions_visible_to(people[role])) for role in ROLES}
    assert seen == {
        "anonymous": set(),
        "student": {mine, elsewhere},
        "owner": {mine, someone_elses},
        "other_instructor": set(),
        "staff": {mine, someone_elses, elsewhere},
    }


def test_selectors_narrow_a_given_queryset_never_widen_it(people):
    visible = CourseFactory(status=CourseStatus.PUBLISHED)
    CourseFactory(status=CourseStatus.PUBLISHED)
    narrowed = selectors.courses_visible_to(people["student"], Course.objects.filter(pk=visible.pk))
    assert list(narrowed) == [visible]
    assert not selectors.tasks_visible_to(people["student"], Task.objects.none()).exists()
    assert not selectors.submissions_visible_to(people["staff"], Submission.objects.none()).exists()


@pytest.mark.parametrize("role", ROLES)
def test_who_may_create_and_manage_courses(people, role):
    course = CourseFactory(instructor=people["owner"])
    user = people[role]
    assert selectors.can_create_courses(user) == (role in ("owner", "other_instructor", "staff"))
    assert selectors.can_manage_course(user, course) == (role in ("owner", "staff"))


@pytest.mark.parametrize("role", ROLES)
def test_private_fields_are_for_the_user_and_staff(people, role):
    student = people["student"]
    assert selectors.can_see_private_fields_of(people[role], student) == (
        role in ("student", "staff")
    )


@pytest.mark.parametrize("role", ROLES)
def test_the_rules_read_the_same_from_another_object(people, role):
    """Counts and annotations reuse a rule through a prefix; they see what the querysets see."""
    from django.db.models import Count

    owner_course = CourseFactory(instructor=people["owner"])
    other_course = CourseFactory(status=CourseStatus.DRAFT)
    for course in (owner_course, other_course):
        for status in TaskStatus.values:
            task = TaskFactory(course=course, status=status)
            SubmissionFactory(task=task, user=people["student"])
            SubmissionFactory(task=task)
    user = people[role]
    counted = Course.objects.annotate(
        tasks_seen=Count("tasks", filter=selectors.task_visibility(user, "tasks__"), distinct=True),
        submissions_seen=Count(
            "tasks__submissions",
            filter=selectors.submission_visibility(user, "tasks__submissions__", course_prefix=""),
            distinct=True,
        ),
    )
    for course in counted:
        assert course.tasks_seen == selectors.tasks_visible_to(user).filter(course=course).count()
        assert course.submissions_seen == (
            selectors.submissions_visible_to(user).filter(task__course=course).count()
        )
    seen = set(selectors.courses_visible_to(user))
    assert seen == set(Course.objects.filter(selectors.course_visibility(user)))


@pytest.mark.parametrize("role", ROLES)
def test_who_sees_a_course_sees_its_instructor_and_who_sees_a_task_its_course(people, role):
    """Consequences the API's read path relies on to join instead of checking again."""
    for owner in (people["owner"], people["other_instructor"]):
        for course_status, visibility in itertools.product(CourseStatus.values, Visibility.values):
            course = CourseFactory(instructor=owner, status=course_status, visibility=visibility)
            for task_status in TaskStatus.values:
                TaskFactory(course=course, status=task_status)
    viewer = people[role]
    courses = selectors.courses_visible_to(viewer)
    users = set(selectors.users_visible_to(viewer))
    assert courses.exists()  # every role sees some: the claim is not vacuous
    assert {course.instructor for course in courses} <= users
    assert {task.course for task in selectors.tasks_visible_to(viewer)} <= set(courses)
