"""The consolidated models of the learning platform: one model of each thing.

Every invariant is enforced twice: by validation (`full_clean`, with a message naming the field)
and by a database constraint, so rows written around the ORM are refused too.
"""

from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q, Sum
from django.db.models.functions import Cast, Coalesce
from django.utils import timezone

from learningplatform.choices import (
    CourseStatus,
    DifficultyLevel,
    TaskStatus,
    TaskType,
    TokenScope,
    Visibility,
)


def _in_choices(field: str, choices: type[models.TextChoices]) -> Q:
    return Q(**{f"{field}__in": choices.values})


def _null_or_in_choices(field: str, choices: type[models.TextChoices]) -> Q:
    return Q(**{f"{field}__isnull": True}) | _in_choices(field, choices)


class User(AbstractUser):
    bio = models.TextField(null=True, blank=True)
    profile_picture = models.ImageField(upload_to="profile_pictures/", null=True, blank=True)

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"


class Course(models.Model):
    title = models.CharField(max_length=255)
    description = models.TextField(blank=True)
    instructor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="courses"
    )
    status = models.CharField(max_length=20, choices=CourseStatus, default=CourseStatus.DRAFT)
    visibility = models.CharField(max_length=20, choices=Visibility, default=Visibility.PUBLIC)
    learning_objectives = models.TextField(null=True, blank=True)
    prerequisites = models.TextField(null=True, blank=True)
    duration = models.DurationField(null=True, blank=True, help_text="Expected time to complete.")
    difficulty_level = models.CharField(
        max_length=20,
        choices=DifficultyLevel,
        null=True,
        blank=True,
        help_text="Empty for courses that never had one (the old learningplatform courses).",
    )
    # Not auto_now_add: consolidation and seeding write historical values that must be kept.
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(title=""),
                name="course_title_not_empty",
                violation_error_message="A course needs a title.",
            ),
            models.CheckConstraint(
                condition=_in_choices("status", CourseStatus), name="course_status_valid"
            ),
            models.CheckConstraint(
                condition=_in_choices("visibility", Visibility), name="course_visibility_valid"
            ),
            models.CheckConstraint(
                condition=_null_or_in_choices("difficulty_level", DifficultyLevel),
                name="course_difficulty_level_valid",
            ),
            models.CheckConstraint(
                condition=Q(duration__isnull=True) | Q(duration__gte=timedelta(0)),
                name="course_duration_not_negative",
                violation_error_message="A course's duration cannot be negative.",
            ),
        ]
        # On PostgreSQL, migration 0007 adds trigram indexes for `search` (title, description),
        # outside this list: SQLite has no GIN indexes.
        indexes = [
            models.Index(fields=["status", "visibility"], name="course_status_visibility_idx"),
            models.Index(fields=["difficulty_level"], name="course_difficulty_idx"),
            models.Index(fields=["created_at", "id"], name="course_created_at_idx"),
            models.Index(fields=["updated_at", "id"], name="course_updated_at_idx"),
            models.Index(fields=["title", "id"], name="course_title_idx"),
        ]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        _refuse_blank_title(self, "A course needs a title: spaces alone are not one.")
        if self.duration is not None and self.duration < timedelta(0):
            raise ValidationError(
                {"duration": ValidationError("A duration cannot be negative.", code="min_value")}
            )


class Task(models.Model):
    """One task of a course, of any kind; `task_type` tells the kinds apart.

    Holds every attribute the old task models had: the learningplatform task's scores and
    deadline, the learning task's status, difficulty, creator and submission limit, and the
    quiz's time limit and randomization.
    """

    title = models.CharField(max_length=255)
    description = models.TextField(blank=True)
    # Indexed by (course, id) and the other (course, column, id) indexes below: an index on the
    # course alone made PostgreSQL read a 100,000-task course and sort it for a page of 10.
    course = models.ForeignKey(
        Course, on_delete=models.CASCADE, related_name="tasks", db_index=False
    )
    task_type = models.CharField(max_length=20, choices=TaskType, default=TaskType.LEARNING)
    status = models.CharField(max_length=20, choices=TaskStatus, default=TaskStatus.DRAFT)
    difficulty_level = models.CharField(
        max_length=20, choices=DifficultyLevel, null=True, blank=True
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="created_tasks",
    )
    deadline = models.DateTimeField(null=True, blank=True)
    max_score = models.DecimalField(
        max_digits=5, decimal_places=2, null=True, blank=True, validators=[MinValueValidator(0)]
    )
    passing_score = models.DecimalField(
        max_digits=5, decimal_places=2, null=True, blank=True, validators=[MinValueValidator(0)]
    )
    # 0 is a task that takes no submission (the old column admitted it); the column's own check
    # refuses negatives.
    max_submissions = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="Attempts allowed per student; empty means unlimited, 0 none.",
    )
    time_limit = models.PositiveIntegerField(
        null=True, blank=True, help_text="Minutes; empty means no limit."
    )
    is_randomized = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(title=""),
                name="task_title_not_empty",
                violation_error_message="A task needs a title.",
            ),
            models.CheckConstraint(
                condition=_in_choices("task_type", TaskType), name="task_type_valid"
            ),
            models.CheckConstraint(
                condition=_in_choices("status", TaskStatus), name="task_status_valid"
            ),
            models.CheckConstraint(
                condition=_null_or_in_choices("difficulty_level", DifficultyLevel),
                name="task_difficulty_level_valid",
            ),
            models.CheckConstraint(
                condition=Q(max_score__isnull=True) | Q(max_score__gte=0),
                name="task_max_score_not_negative",
                violation_error_message="The maximum score cannot be negative.",
            ),
            models.CheckConstraint(
                condition=Q(passing_score__isnull=True) | Q(passing_score__gte=0),
                name="task_passing_score_not_negative",
                violation_error_message="The passing score cannot be negative.",
            ),
            models.CheckConstraint(
                condition=Q(passing_score__isnull=True)
                | Q(max_score__isnull=True)
                | Q(passing_score__lte=models.F("max_score")),
                name="task_passing_score_at_most_max_score",
                violation_error_message="The passing score cannot be above the maximum score.",
            ),
            models.CheckConstraint(
                condition=Q(time_limit__isnull=True) | Q(time_limit__gte=1),
                name="task_time_limit_positive",
                violation_error_message="The time limit must be at least 1 minute (empty: none).",
            ),
        ]
        # On PostgreSQL, migration 0007 adds trigram indexes for `search` (title, description),
        # outside this list: SQLite has no GIN indexes.
        indexes = [
            # A course's tasks page by keyset in these orders reading only the page (ADR 0019).
            models.Index(fields=["course", "id"], name="task_course_id_idx"),
            models.Index(fields=["course", "deadline", "id"], name="task_course_deadline_id_idx"),
            models.Index(fields=["course", "title", "id"], name="task_course_title_idx"),
            models.Index(fields=["course", "created_at", "id"], name="task_course_created_idx"),
            models.Index(fields=["task_type"], name="task_type_idx"),
            # Counting the tasks a visitor may see reads this index only.
            models.Index(fields=["status", "course"], name="task_status_course_idx"),
            models.Index(fields=["deadline", "id"], name="task_deadline_idx"),
            models.Index(fields=["created_at", "id"], name="task_created_at_idx"),
            models.Index(fields=["title", "id"], name="task_title_idx"),
        ]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        _refuse_blank_title(self, "A task needs a title: spaces alone are not one.")
        # The constraints hold these too; here the message names the field and both values.
        if (
            self.passing_score is not None
            and self.max_score is not None
            and self.passing_score > self.max_score
        ):
            raise ValidationError(
                {
                    "passing_score": ValidationError(
                        "Passing score %(passing)s is above the maximum score %(maximum)s.",
                        code="passing_score_above_max_score",
                        params={"passing": self.passing_score, "maximum": self.max_score},
                    )
                }
            )
        if self.time_limit == 0:
            raise ValidationError(
                {
                    "time_limit": ValidationError(
                        "The time limit must be at least 1 minute; leave it empty for none.",
                        code="min_value",
                    )
                }
            )


class Submission(models.Model):
    """One attempt by a student at a task.

    A student may submit to a task up to `Task.max_submissions` times (unlimited when empty);
    attempts are numbered 1, 2, 3 ... per (task, user), and (task, user, attempt) is unique.
    Legacy rows, which allowed one submission per (task, user), are attempt 1.
    """

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="submissions")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="submissions"
    )
    attempt = models.PositiveIntegerField(default=1)
    content = models.TextField()
    submitted_at = models.DateTimeField(default=timezone.now)
    score = models.DecimalField(
        max_digits=5, decimal_places=2, null=True, blank=True, validators=[MinValueValidator(0)]
    )
    is_graded = models.BooleanField(default=False)
    graded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="graded_submissions",
    )

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["task", "user", "attempt"],
                name="submission_one_per_attempt",
                violation_error_message="This attempt has already been submitted.",
            ),
            models.CheckConstraint(
                condition=Q(attempt__gte=1),
                name="submission_attempt_positive",
                violation_error_message="Attempts are numbered from 1.",
            ),
            models.CheckConstraint(
                condition=Q(score__isnull=True) | Q(score__gte=0),
                name="submission_score_not_negative",
                violation_error_message="A score cannot be negative.",
            ),
        ]
        indexes = [
            models.Index(fields=["user", "submitted_at"], name="submission_user_time_idx"),
            models.Index(fields=["is_graded"], name="submission_is_graded_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.user} → {self.task} (attempt {self.attempt})"


class TaskTallyQuerySet(models.QuerySet):
    def count(self) -> int:
        """How many tasks these tally rows count (the sum of theirs): what a list's total
        reads instead of counting the tasks themselves."""
        # PostgreSQL sums bigints as numeric: cast back, so the count is an integer everywhere.
        total = Cast(Coalesce(Sum("tasks"), 0), models.BigIntegerField())
        return self.aggregate(tasks=total)["tasks"]


class TaskTally(models.Model):
    """How many tasks a course holds in each status, kept by the database itself.

    Triggers on the task table (migration 0008) add and subtract as tasks are inserted, moved,
    change status or are deleted, whatever writes them (services, bulk inserts, the
    consolidation's SQL), so a count of the tasks a viewer may see sums a few rows per course
    instead of counting a million tasks. Never written by the application.
    """

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="task_tallies")
    status = models.CharField(max_length=20, choices=TaskStatus)
    tasks = models.BigIntegerField()

    objects = TaskTallyQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["course", "status"], name="task_tally_one_per_status")
        ]

    def __str__(self) -> str:
        return f"{self.course_id} {self.status}: {self.tasks}"


class SubmissionTallyQuerySet(models.QuerySet):
    def count(self) -> int:
        """How many submissions these tally rows count (the sum of theirs)."""
        total = Cast(Coalesce(Sum("submissions"), 0), models.BigIntegerField())
        return self.aggregate(submissions=total)["submissions"]


class SubmissionTally(models.Model):
    """How many submissions a user made to a course's tasks, kept by the database itself.

    Triggers on the submission and task tables (migration 0011) add and subtract as submissions
    are inserted, moved or deleted and as tasks move course or are deleted, whatever writes
    them, so a course's `submissionCount` reads one row per submitter (or the viewer's one row)
    instead of walking the course's tasks. Never written by the application. Per (course, user)
    because that is all the submission rule reads (the submitter and the course's instructor).
    """

    # DO_NOTHING: a tally goes with its last submission (the triggers delete a row that reaches
    # 0), and a course's or user's submissions go before it; a cascade here would be one more
    # statement per delete for rows already gone. A row left behind fails the deferred foreign key
    # at commit, loudly.
    course = models.ForeignKey(
        Course, on_delete=models.DO_NOTHING, related_name="submission_tallies"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.DO_NOTHING, related_name="submission_tallies"
    )
    submissions = models.BigIntegerField()

    objects = SubmissionTallyQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["course", "user"], name="submission_tally_one_per_user")
        ]

    def __str__(self) -> str:
        return f"{self.course_id} by {self.user_id}: {self.submissions}"


class LegacyIdMap(models.Model):
    """Where each row of a legacy table went: (legacy table, legacy id) → consolidated id.

    Kept after the legacy tables are dropped: ids that old clients hold keep resolving through it.
    `merged` marks a legacy course that joined an existing course instead of becoming a new one.
    """

    legacy_table = models.CharField(max_length=64)
    legacy_id = models.BigIntegerField()
    new_id = models.BigIntegerField()
    merged = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["legacy_table", "legacy_id"], name="legacy_id_map_one_target"
            )
        ]
        # The legacy GraphQL names show a task's old number: a lookup by new id.
        indexes = [models.Index(fields=["legacy_table", "new_id"], name="legacy_id_map_new_idx")]

    def __str__(self) -> str:
        return f"{self.legacy_table}#{self.legacy_id} → {self.new_id}"


class ConsolidationConflict(models.Model):
    """A legacy value the consolidated row does not hold as it was, kept so nothing is lost.

    `kind` is "conflict" when a merged course kept another value, "filled" when the legacy
    value filled an empty column of a merged course (undone on reverse), or "mapped" when a rule
    of consolidation/rules.py mapped a value the consolidated model cannot hold; `rule` names
    the rule. For rows upgraded in place, `legacy_table` is the old table and `new_id` its id.
    """

    legacy_table = models.CharField(max_length=64)
    legacy_id = models.BigIntegerField()
    new_id = models.BigIntegerField()
    field = models.CharField(max_length=64)
    kind = models.CharField(
        max_length=10,
        choices=[("conflict", "conflict"), ("filled", "filled"), ("mapped", "mapped")],
    )
    legacy_value = models.TextField(null=True)
    kept_value = models.TextField(null=True)
    rule = models.CharField(max_length=64, blank=True, default="")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["legacy_table", "legacy_id", "field"], name="consolidation_conflict_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.legacy_table}#{self.legacy_id}.{self.field}: {self.legacy_value!r}"


def _refuse_blank_title(instance: models.Model, message: str) -> None:
    # An empty title is refused by the field itself (and a constraint); one of spaces looks empty.
    if instance.title and not instance.title.strip():
        raise ValidationError({"title": ValidationError(message, code="blank")})


class PersonalAccessToken(models.Model):
    """A token a user made for a client without a browser, sent as `Authorization: Bearer ...`.

    Only the SHA-256 digest of the token is stored (the token is shown once, when made): the
    token is 256 random bits, so a fast hash is enough and a lookup is one indexed equality.
    `hint` is the token's first characters, for the user to tell tokens apart.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="access_tokens"
    )
    name = models.CharField(max_length=100)
    scope = models.CharField(max_length=5, choices=TokenScope.choices, default=TokenScope.READ)
    digest = models.CharField(max_length=64, unique=True, editable=False)
    hint = models.CharField(max_length=12, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    expires_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=_in_choices("scope", TokenScope),
                name="access_token_scope_valid",
                violation_error_message="A token's scope is read or write.",
            ),
            models.CheckConstraint(
                condition=~Q(name=""),
                name="access_token_name_not_empty",
                violation_error_message="Name the token.",
            ),
        ]
        indexes = [models.Index(fields=["user", "created_at"], name="access_token_user_idx")]

    def __str__(self) -> str:
        return f"{self.name} ({self.hint}…, {self.user})"
