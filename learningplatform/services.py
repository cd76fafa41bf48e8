"""Business rules: every change to courses, tasks and submissions goes through these functions.

The GraphQL mutations, the admin and scripts call them; each validates with the model's own
rules in Python (field-level messages) before writing, and writes nothing when it raises
`ValidationError`. Permissions are the caller's job (see `learningplatform.selectors`).
Each names the fields it may set as keyword-only parameters, so nothing else can be set through
it (an update cannot move a course to another instructor); an update's parameter left out is
UNCHANGED.

A write sends the statement that writes and nothing else (docs/adr/0015): the model's rules
(field validators and `clean`) already refuse every value its check constraints refuse (a test
holds them to it), so Django's `validate_constraints`, one SELECT per constraint, is not run,
and the database's constraints stay the last guard. Related objects are the ones the caller read
(through the selectors), so they are not looked up again either.
"""

from contextlib import AbstractContextManager, nullcontext
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, TypeVar

from django.contrib.auth.models import Group, Permission
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import DecimalField, ForeignKey, Model
from django.utils import timezone
from django.utils.text import capfirst

from learningplatform.choices import CourseStatus, TaskStatus, TaskType, Visibility
from learningplatform.models import Course, Submission, Task, User

INSTRUCTORS_GROUP = "Instructors"

M = TypeVar("M", bound=Model)


class _Unchanged:
    """An update's parameter left out: the field keeps its value."""

    def __repr__(self) -> str:
        return "UNCHANGED"


UNCHANGED: Any = _Unchanged()


def _given(**values: Any) -> dict[str, Any]:
    return {name: value for name, value in values.items() if value is not UNCHANGED}


def course_create(
    *,
    instructor: User,
    title: str,
    description: str = "",
    status: str = CourseStatus.DRAFT,
    visibility: str = Visibility.PUBLIC,
    learning_objectives: str | None = None,
    prerequisites: str | None = None,
    duration: timedelta | None = None,
    difficulty_level: str | None = None,
) -> Course:
    """A course taught by `instructor`."""
    fields = dict(
        title=title, description=description, status=status, visibility=visibility,
        learning_objectives=learning_objectives, prerequisites=prerequisites, duration=duration,
        difficulty_level=difficulty_level,
    )  # fmt: skip
    _refuse_nulls(Course, fields)
    return _save_validated(Course(instructor=instructor, **fields))


def course_update(
    *,
    course: Course,
    title: str = UNCHANGED,
    description: str = UNCHANGED,
    status: str = UNCHANGED,
    visibility: str = UNCHANGED,
    learning_objectives: str | None = UNCHANGED,
    prerequisites: str | None = UNCHANGED,
    duration: timedelta | None = UNCHANGED,
    difficulty_level: str | None = UNCHANGED,
) -> Course:
    """Change the fields given; the others, and the instructor, stay."""
    fields = _given(
        title=title, description=description, status=status, visibility=visibility,
        learning_objectives=learning_objectives, prerequisites=prerequisites, duration=duration,
        difficulty_level=difficulty_level,
    )  # fmt: skip
    return _save_validated(_assign(course, fields))


def course_delete(*, course: Course) -> None:
    course.delete()


def task_create(
    *,
    course: Course,
    created_by: User | None,
    title: str,
    description: str = "",
    task_type: str = TaskType.LEARNING,
    status: str = TaskStatus.DRAFT,
    difficulty_level: str | None = None,
    deadline: datetime | None = None,
    max_score: Decimal | None = None,
    passing_score: Decimal | None = None,
    max_submissions: int | None = None,
    time_limit: int | None = None,
    is_randomized: bool = False,
) -> Task:
    """A task of `course`."""
    fields = dict(
        title=title, description=description, task_type=task_type, status=status,
        difficulty_level=difficulty_level, deadline=deadline, max_score=max_score,
        passing_score=passing_score, max_submissions=max_submissions, time_limit=time_limit,
        is_randomized=is_randomized,
    )  # fmt: skip
    _refuse_nulls(Task, fields)
    return _save_validated(Task(course=course, created_by=created_by, **fields))


def task_update(
    *,
    task: Task,
    title: str = UNCHANGED,
    description: str = UNCHANGED,
    task_type: str = UNCHANGED,
    status: str = UNCHANGED,
    difficulty_level: str | None = UNCHANGED,
    deadline: datetime | None = UNCHANGED,
    max_score: Decimal | None = UNCHANGED,
    passing_score: Decimal | None = UNCHANGED,
    max_submissions: int | None = UNCHANGED,
    time_limit: int | None = UNCHANGED,
    is_randomized: bool = UNCHANGED,
) -> Task:
    """Change the fields given; the others, the course and the author, stay."""
    fields = _given(
        title=title, description=description, task_type=task_type, status=status,
        difficulty_level=difficulty_level, deadline=deadline, max_score=max_score,
        passing_score=passing_score, max_submissions=max_submissions, time_limit=time_limit,
        is_randomized=is_randomized,
    )  # fmt: skip
    return _save_validated(_assign(task, fields))


def task_delete(*, task: Task) -> None:
    task.delete()


def submission_create(
    *, task: Task, user: User, content: str, now: datetime | None = None
) -> Submission:
    """Hand in the student's next attempt at a task, if the task still takes one."""
    now = now or timezone.now()
    with _transaction():
        # Locking the task serialises concurrent attempts by the same student. The attempts
        # are counted after the lock is held, in a statement of their own: a count in the
        # locking statement would see the rows as they were before it waited.
        task = Task.objects.select_for_update(of=("self",)).select_related("course").get(pk=task.pk)
        _check_task_takes_submissions(task, now)
        attempts = task.submissions.filter(user=user).count()
        if task.max_submissions is not None and attempts >= task.max_submissions:
            message = (
                "You have used all %(limit)s submissions allowed for this task."
                if task.max_submissions
                else "This task takes no submissions."
            )
            raise ValidationError(
                {
                    "task": ValidationError(
                        message,
                        code="max_submissions_reached",
                        params={"limit": task.max_submissions},
                    )
                }
            )
        submission = Submission(
            task=task, user=user, content=content, attempt=attempts + 1, submitted_at=now
        )
        return _save_validated(submission)


def submission_grade(*, submission: Submission, grader: User, score: Decimal) -> Submission:
    """Record a score between 0 and the task's maximum score."""
    maximum = submission.task.max_score
    if maximum is not None and score > maximum:
        raise ValidationError(
            {
                "score": ValidationError(
                    "Score %(score)s is above the task's maximum score %(maximum)s.",
                    code="max_value",
                    params={"score": score, "maximum": maximum},
                )
            }
        )
    submission.score = score
    submission.is_graded = True
    submission.graded_by = grader
    return _save_validated(submission)


def instructors_group() -> Group:
    """The group whose members may create courses (the `add_course` permission)."""
    group, created = Group.objects.get_or_create(name=INSTRUCTORS_GROUP)
    if created:
        group.permissions.add(
            Permission.objects.get(
                content_type__app_label="learningplatform", codename="add_course"
            )
        )
    return group


def user_make_instructor(*, user: User) -> User:
    """Let the user create courses."""
    user.groups.add(instructors_group())
    # Django caches a user's permissions on the instance; the new membership must count now.
    for cache in ("_perm_cache", "_group_perm_cache"):
        user.__dict__.pop(cache, None)
    return user


def _check_task_takes_submissions(task: Task, now: datetime) -> None:
    if task.course.status != CourseStatus.PUBLISHED:
        raise ValidationError(
            {
                "task": ValidationError(
                    "The course '%(course)s' is %(status)s and takes no submissions.",
                    code="course_not_open",
                    params={"course": task.course.title, "status": task.course.status.lower()},
                )
            }
        )
    if task.status != TaskStatus.PUBLISHED:
        raise ValidationError(
            {"task": ValidationError("This task is not published.", code="task_not_open")}
        )
    if task.task_type == TaskType.LEARNING:
        raise ValidationError(
            {
                "task": ValidationError(
                    "Learning tasks are read, not handed in.", code="task_not_submittable"
                )
            }
        )
    if task.deadline is not None and now > task.deadline:
        raise ValidationError(
            {
                "task": ValidationError(
                    "The deadline (%(deadline)s UTC) has passed.",
                    code="deadline_passed",
                    params={"deadline": task.deadline.strftime("%Y-%m-%d %H:%M")},
                )
            }
        )


def _transaction() -> AbstractContextManager:
    """A transaction if the caller has none; otherwise the caller's, with no savepoint.

    A refusal raises before anything is written and leaves the caller's transaction usable; a
    database error rolls it back whole (`_save_validated`).
    """
    return nullcontext() if transaction.get_connection().in_atomic_block else transaction.atomic()


def _assign(instance: M, fields: dict[str, Any]) -> M:
    _refuse_nulls(type(instance), fields)
    for name, value in fields.items():
        setattr(instance, name, value)
    return instance


def _refuse_nulls(model: type[Model], fields: dict[str, Any]) -> None:
    """A null for a column that holds no nulls: a field error (validation lets it through when
    the field may be blank, and the database would refuse it)."""
    errors = {}
    for name, value in fields.items():
        field = model._meta.get_field(name)
        if value is None and not field.null:
            empty = (
                ' Send "" to leave it empty.' if field.get_internal_type() == "TextField" else ""
            )
            message = f"{capfirst(field.verbose_name)} cannot be null.{empty}"
            errors[name] = ValidationError(message, code="null")
    if errors:
        raise ValidationError(errors)


def _save_validated(instance: M) -> M:
    """Validate `instance` with its model's rules, in Python, then write it in one statement."""
    instance.full_clean(
        exclude=[f.name for f in instance._meta.concrete_fields if isinstance(f, ForeignKey)],
        validate_unique=False,  # the only unique rule, one attempt each, is kept by the lock
        validate_constraints=False,  # the model's rules refuse what they refuse (docstring)
    )
    try:
        # No savepoint: on an error the caller's transaction (or this one) is rolled back whole;
        # a caller that must go on after one takes a savepoint around the call.
        with transaction.atomic(savepoint=False):
            instance.save()
    except IntegrityError as error:
        # Validation passed, so another request changed the same rows in between.
        raise ValidationError(
            "This conflicts with a change made at the same time; reload and try again.",
            code="conflict",
        ) from error
    _as_stored(instance)
    return instance


def _as_stored(instance: Model) -> None:
    """Give `instance` the values the database stored, as later reads will see them.

    Decimals are stored at their column's scale (validation has refused more places than it
    has, so nothing is rounded); every other value is stored as it is.
    """
    for field in instance._meta.concrete_fields:
        value = getattr(instance, field.attname)
        if isinstance(field, DecimalField) and value is not None:
            setattr(
                instance, field.attname, value.quantize(Decimal(1).scaleb(-field.decimal_places))
            )
