"""The old model classes, as proxies of the consolidated models.

`LearningTask`, `QuizTask` and `AssessmentTask` see only tasks of their kind and create tasks of
their kind; `due_date` is the old name of `deadline`, in attributes and in query lookups.
"""

from typing import Any

from django.db import models

from learningplatform.choices import TaskType
from learningplatform.models import Course, Task

# Old field name -> consolidated field name.
RENAMED_FIELDS = {"due_date": "deadline"}


def _rename(name: str) -> str:
    prefix = "-" if name.startswith("-") else ""
    head, sep, rest = name.lstrip("-").partition("__")
    return prefix + RENAMED_FIELDS.get(head, head) + sep + rest


class LegacyTaskQuerySet(models.QuerySet):
    """Accepts the old field names wherever a field is named."""

    def filter(self, *args: Any, **kwargs: Any):
        return super().filter(*args, **{_rename(k): v for k, v in kwargs.items()})

    def exclude(self, *args: Any, **kwargs: Any):
        return super().exclude(*args, **{_rename(k): v for k, v in kwargs.items()})

    def order_by(self, *fields: str):
        return super().order_by(*(_rename(f) for f in fields))

    def values(self, *fields: str, **expressions: Any):
        return super().values(*(_rename(f) for f in fields), **expressions)

    def values_list(self, *fields: str, **kwargs: Any):
        return super().values_list(*(_rename(f) for f in fields), **kwargs)

    def update(self, **kwargs: Any) -> int:
        return super().update(**{_rename(k): v for k, v in kwargs.items()})

    def create(self, **kwargs: Any):
        return super().create(**{_rename(k): v for k, v in kwargs.items()})


class TaskKindManager(models.Manager.from_queryset(LegacyTaskQuerySet)):
    def __init__(self, task_type: str) -> None:
        super().__init__()
        self.task_type = task_type

    def get_queryset(self):
        return super().get_queryset().filter(task_type=self.task_type)


class LegacyTask(Task):
    """Shared by the old task classes: their kind, and the old attribute names."""

    TASK_TYPE: str = ""

    class Meta:
        proxy = True

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs = {_rename(k): v for k, v in kwargs.items()}
        super().__init__(*args, **kwargs)
        if self._state.adding and self.TASK_TYPE:
            self.task_type = self.TASK_TYPE

    @property
    def due_date(self):
        return self.deadline

    @due_date.setter
    def due_date(self, value) -> None:
        self.deadline = value


class LearningTask(LegacyTask):
    TASK_TYPE = TaskType.LEARNING
    objects = TaskKindManager(TaskType.LEARNING)

    class Meta:
        proxy = True


class QuizTask(LegacyTask):
    TASK_TYPE = TaskType.QUIZ
    objects = TaskKindManager(TaskType.QUIZ)

    class Meta:
        proxy = True

    @property
    def learningtask_ptr_id(self) -> int | None:
        """The old multi-table link: a quiz's id was its learning task's id, as it still is."""
        return self.pk


class AssessmentTask(LegacyTask):
    TASK_TYPE = TaskType.ASSESSMENT
    objects = TaskKindManager(TaskType.ASSESSMENT)

    class Meta:
        proxy = True


class LegacyCourse(Course):
    """`courses.Course`: the same courses, under the old import path."""

    class Meta:
        proxy = True


class LegacyNameUse(models.Model):
    """How often a legacy name was used, by which client, first and last when."""

    name = models.CharField(
        max_length=200, help_text="Query.learningTasks, import tasks.models, ..."
    )
    client = models.CharField(max_length=200, help_text="X-Client-Name, else the User-Agent")
    uses = models.PositiveBigIntegerField(default=0)
    first_used = models.DateTimeField()
    last_used = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["name", "client"], name="legacy_name_use_once")
        ]

    def __str__(self) -> str:
        return f"{self.name} by {self.client}: {self.uses}"
