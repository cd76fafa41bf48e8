"""The choice sets of the consolidated models, each defined once.

The GraphQL enums, the FilterSets, the admin and the database check constraints all derive from
these classes; the stored values are the ones the legacy tables hold (docs/operations.md).
"""

from django.db import models


class CourseStatus(models.TextChoices):
    DRAFT = "DRAFT", "Draft"
    PUBLISHED = "PUBLISHED", "Published"
    ARCHIVED = "ARCHIVED", "Archived"
    DEPRECATED = "DEPRECATED", "Deprecated"


class Visibility(models.TextChoices):
    PUBLIC = "PUBLIC", "Public"
    PRIVATE = "PRIVATE", "Private"


class DifficultyLevel(models.TextChoices):
    BEGINNER = "BEGINNER", "Beginner"
    INTERMEDIATE = "INTERMEDIATE", "Intermediate"
    ADVANCED = "ADVANCED", "Advanced"


class TaskStatus(models.TextChoices):
    """Publication state of a task; the legacy `tasks_learningtask.status` values."""

    DRAFT = "DRAFT", "Draft"
    PUBLISHED = "PUBLISHED", "Published"
    ARCHIVED = "ARCHIVED", "Archived"


class TaskType(models.TextChoices):
    """What a task asks of a student.

    The first four are the kinds the legacy tables hold; the last three are the concrete kinds
    the platform plans, each a narrower form of SUBMISSION or QUIZ:

    - LEARNING: material to work through; nothing is handed in or graded (legacy learning tasks).
    - QUIZ: questions answered within `time_limit` minutes, optionally in random order
      (`is_randomized`), scored against `max_score` (legacy quiz tasks).
    - ASSESSMENT: work an instructor grades against `max_score` and `passing_score`.
    - SUBMISSION: a student hands in work in any form.
    - TEXT_SUBMISSION: a submission whose answer is text typed into the platform.
    - FILE_UPLOAD: a submission whose answer is an uploaded file.
    - MULTIPLE_CHOICE: a quiz of closed questions, scored automatically.
    """

    LEARNING = "LEARNING", "Learning"
    QUIZ = "QUIZ", "Quiz"
    ASSESSMENT = "ASSESSMENT", "Assessment"
    SUBMISSION = "SUBMISSION", "Submission"
    TEXT_SUBMISSION = "TEXT_SUBMISSION", "Text submission"
    FILE_UPLOAD = "FILE_UPLOAD", "File upload"
    MULTIPLE_CHOICE = "MULTIPLE_CHOICE", "Multiple choice"


class TokenScope(models.TextChoices):
    """What a personal access token may do: `read` runs queries only; `write` mutations too."""

    READ = "read", "Read"
    WRITE = "write", "Write"
