"""Who may see what: the querysets every read path (GraphQL, admin actions, services) starts from.

- Anonymous users and students see published public courses, and their published tasks.
- An instructor also sees their own courses and every task in them.
- A student sees their own submissions; an instructor sees the submissions to their courses.
- A user sees themselves; others see a user only as the instructor of a course they can see, or
  (an instructor) as a student who submitted to their course, and then only the username.
- Staff see everything.

Two consequences are relied on elsewhere (the API's read path joins instead of checking again):
whoever sees a course sees its instructor, and whoever sees a task sees its course. The API's
types claim them (`seen_with_it` in graphql_api/nodes.py's `node_type`), and a test checks each
claim against these rules for every kind of viewer; a rule that breaks one must drop the claim.
"""

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import EmptyResultSet
from django.db.models import Q, QuerySet

from learningplatform.choices import CourseStatus, TaskStatus, Visibility
from learningplatform.models import (
    Course,
    PersonalAccessToken,
    Submission,
    SubmissionTally,
    Task,
    TaskTally,
    User,
)

AnyUser = User | AnonymousUser


def viewer_key(user: AnyUser) -> tuple | None:
    """Everything the rules below read of `user`: two users with the same key see the same.

    Whoever keeps something per viewer (the read path's plans) keys it on this; a rule that
    reads more of the user must add it here.
    """
    return (user.pk, user.is_staff) if user.is_authenticated else None


def viewer_kind(user: AnyUser) -> str:
    """What the rules below tell apart of `user` other than its id: two viewers of one kind see
    through the same conditions, which compare columns with the user's id and nothing else.

    Whoever keeps something per kind of viewer (the read path's plans by shape) passes the id
    as a value; a rule that reads more of the user than its id must add it here.
    """
    if not user.is_authenticated:
        return "anonymous"
    return "staff" if user.is_staff else "signed-in"


# Each rule is written once, as a condition; `prefix` reaches the object from another one (a
# course's tasks are "tasks__"), so counts and annotations reuse the rule instead of restating it.


def course_visibility(user: AnyUser, prefix: str = "") -> Q:
    """The condition on a course (reached through `prefix`) for `user` to see it."""
    if user.is_staff:
        return Q()
    visible = Q(
        **{f"{prefix}status": CourseStatus.PUBLISHED, f"{prefix}visibility": Visibility.PUBLIC}
    )
    if user.is_authenticated:
        visible |= Q(**{f"{prefix}instructor": user})
    return visible


def courses_visible_to(user: AnyUser, queryset: QuerySet[Course] | None = None) -> QuerySet[Course]:
    queryset = Course.objects.all() if queryset is None else queryset
    if user.is_staff:
        return queryset
    return queryset.filter(course_visibility(user))


def task_visibility(user: AnyUser, prefix: str = "") -> Q:
    """The condition on a task (reached through `prefix`, say "tasks__") for `user` to see it."""
    if user.is_staff:
        return Q()
    visible = Q(
        **{
            f"{prefix}course__status": CourseStatus.PUBLISHED,
            f"{prefix}course__visibility": Visibility.PUBLIC,
            f"{prefix}status": TaskStatus.PUBLISHED,
        }
    )
    if user.is_authenticated:
        visible |= Q(**{f"{prefix}course__instructor": user})
    return visible


def tasks_visible_to(user: AnyUser, queryset: QuerySet[Task] | None = None) -> QuerySet[Task]:
    queryset = Task.objects.all() if queryset is None else queryset
    if user.is_staff:
        return queryset
    return queryset.filter(task_visibility(user))


def tallies_visible_to(
    user: AnyUser, queryset: QuerySet[TaskTally] | None = None
) -> QuerySet[TaskTally]:
    """The task tallies (per course and status) of the tasks `user` may see: the task rule
    itself, as a tally holds a task's course and status, all the rule reads."""
    queryset = TaskTally.objects.all() if queryset is None else queryset
    if user.is_staff:
        return queryset
    return queryset.filter(task_visibility(user))


def tasks_to_count(user: AnyUser, queryset: QuerySet) -> QuerySet:
    """What counting `queryset` reads: if it is exactly the tasks `user` may see (no filter of
    its own), their tallies, whose `count()` sums a few rows per course; else `queryset`."""
    if queryset.model is not Task:
        return queryset
    try:
        exact = _sql(queryset) == _sql(tasks_visible_to(user))
    except EmptyResultSet:
        exact = False
    return tallies_visible_to(user) if exact else queryset


def _sql(queryset: QuerySet) -> tuple:
    return queryset.order_by().query.sql_with_params()


def users_visible_to(user: AnyUser, queryset: QuerySet[User] | None = None) -> QuerySet[User]:
    queryset = User.objects.all() if queryset is None else queryset
    if user.is_staff:
        return queryset
    visible = Q(pk__in=courses_visible_to(user).values("instructor_id"))
    if user.is_authenticated:
        visible |= Q(pk=user.pk) | Q(
            pk__in=Submission.objects.filter(task__course__instructor=user).values("user_id")
        )
    return queryset.filter(visible)


def submission_visibility(user: AnyUser, prefix: str = "", course_prefix: str | None = None) -> Q:
    """The condition on a submission (reached through `prefix`; its course through
    `course_prefix`, by default through the submission's task) for `user` to see it."""
    if user.is_staff:
        return Q()
    if not user.is_authenticated:
        return Q(pk__in=[])  # nothing
    course_prefix = f"{prefix}task__course__" if course_prefix is None else course_prefix
    return Q(**{f"{prefix}user": user}) | Q(**{f"{course_prefix}instructor": user})


def submissions_visible_to(
    user: AnyUser, queryset: QuerySet[Submission] | None = None
) -> QuerySet[Submission]:
    queryset = Submission.objects.all() if queryset is None else queryset
    if user.is_staff:
        return queryset
    if not user.is_authenticated:
        return queryset.none()
    return queryset.filter(submission_visibility(user))


def submission_tallies_visible_to(
    user: AnyUser, queryset: QuerySet[SubmissionTally] | None = None
) -> QuerySet[SubmissionTally]:
    """The submission tallies (per course and submitter) of the submissions `user` may see: the
    submission rule itself, as a tally holds a submission's course and user, all the rule reads."""
    queryset = SubmissionTally.objects.all() if queryset is None else queryset
    if user.is_staff:
        return queryset
    if not user.is_authenticated:
        return queryset.none()
    return queryset.filter(submission_visibility(user, course_prefix="course__"))


def access_tokens_visible_to(user: AnyUser) -> QuerySet[PersonalAccessToken]:
    """A user's own personal access tokens, staff included (the admin shows everyone's)."""
    if not user.is_authenticated:
        return PersonalAccessToken.objects.none()
    return PersonalAccessToken.objects.filter(user=user)


def can_create_courses(user: AnyUser) -> bool:
    return user.is_authenticated and (user.is_staff or user.has_perm("learningplatform.add_course"))


def can_manage_course(user: AnyUser, course: Course) -> bool:
    """Change the course, its tasks, and grade submissions to them."""
    return user.is_authenticated and (user.is_staff or course.instructor_id == user.pk)


def can_see_private_fields_of(viewer: AnyUser, user: User) -> bool:
    return viewer.is_authenticated and (viewer.is_staff or viewer.pk == user.pk)
