"""Old Python imports keep working, with a warning, on the consolidated models."""

import ast
import importlib
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from learningplatform.models import Task
from tests.factories import CourseFactory, QuizTaskFactory, TaskFactory
from tests.helpers import fresh_import

ROOT = Path(__file__).resolve().parents[2]
LEGACY_MODULE_ROOTS = {"courses", "tasks", "assessment", "legacy_shim"}


@pytest.mark.django_db  # the import is counted in the database
def test_old_imports_warn_and_name_the_replacement():
    courses, course_warnings = fresh_import("courses.models")
    tasks, task_warnings = fresh_import("tasks.models")
    assert course_warnings == [
        "courses.models is deprecated and will be removed: use Course → learningplatform.models.Course."
    ]
    assert "QuizTask → learningplatform.models.Task (task_type QUIZ)" in task_warnings[0]
    assert {"LearningTask", "QuizTask", "AssessmentTask"} <= set(vars(tasks))
    assert (
        courses.Course._meta.concrete_model
        is importlib.import_module("learningplatform.models").Course
    )


def test_there_are_no_legacy_packages_in_the_tree():
    assert not any((ROOT / name).exists() for name in ("courses", "tasks", "assessment"))


@pytest.mark.django_db
@pytest.mark.filterwarnings("ignore:.* is deprecated and will be removed:DeprecationWarning")
class TestOldClassesActOnConsolidatedModels:
    def test_each_class_sees_its_kind_only(self):
        from tasks.models import AssessmentTask, LearningTask, QuizTask

        course = CourseFactory()
        learning = TaskFactory(course=course, task_type="LEARNING")
        quiz = QuizTaskFactory(course=course)
        assessment = TaskFactory(course=course, task_type="ASSESSMENT")
        assert list(LearningTask.objects.values_list("pk", flat=True)) == [learning.pk]
        assert list(QuizTask.objects.values_list("pk", flat=True)) == [quiz.pk]
        assert list(AssessmentTask.objects.values_list("pk", flat=True)) == [assessment.pk]

    def test_creating_a_quiz_creates_a_quiz_task(self):
        from tasks.models import QuizTask

        due = timezone.now() + timedelta(days=3)
        quiz = QuizTask.objects.create(
            course=CourseFactory(), title="Old-style quiz", due_date=due, time_limit=20
        )
        stored = Task.objects.get(pk=quiz.pk)
        assert (stored.task_type, stored.deadline, stored.time_limit) == ("QUIZ", due, 20)
        assert quiz.learningtask_ptr_id == quiz.pk

    def test_due_date_reads_writes_filters_and_orders(self):
        from tasks.models import LearningTask

        course = CourseFactory()
        soon, later = timezone.now() + timedelta(days=1), timezone.now() + timedelta(days=9)
        first = LearningTask(course=course, title="First", due_date=later)
        first.save()
        second = LearningTask.objects.create(course=course, title="Second", due_date=soon)
        assert first.due_date == later
        first.due_date = soon - timedelta(hours=1)
        first.save()
        assert Task.objects.get(pk=first.pk).deadline == soon - timedelta(hours=1)
        assert list(LearningTask.objects.order_by("-due_date").values_list("title", flat=True)) == [
            "Second", "First"
        ]  # fmt: skip
        assert list(LearningTask.objects.filter(due_date__gt=soon - timedelta(minutes=1))) == [
            second
        ]
        LearningTask.objects.filter(pk=second.pk).update(due_date=None)
        assert Task.objects.get(pk=second.pk).deadline is None

    def test_old_course_class_is_the_consolidated_course(self):
        from courses.models import Course as OldCourse

        course = CourseFactory(title="Shared")
        assert OldCourse.objects.get(pk=course.pk).title == "Shared"


def legacy_imports(path: Path, root: Path = ROOT) -> list[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found = []
    for node in ast.walk(tree):
        names = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        found += [
            f"{path.relative_to(root)}:{node.lineno} imports {n}"
            for n in names
            if n.split(".")[0] in LEGACY_MODULE_ROOTS
        ]
    return found


@pytest.mark.slow  # a process of its own
def test_nothing_outside_the_shim_imports_a_legacy_name():
    # The shim itself, its tests, and the schema's assembly point, which plugs its names in.
    allowed = [
        ROOT / "legacy_shim",
        ROOT / "tests" / "legacy_shim",
        ROOT / "graphql_api" / "schema.py",
    ]
    # The project's own files: what git tracks or would (not virtualenvs, not the bench's peers).
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "*.py"],
        cwd=ROOT, capture_output=True, text=True, check=True,
    ).stdout.split()  # fmt: skip
    sources = [
        ROOT / name for name in listed
        if not any((ROOT / name).is_relative_to(a) for a in allowed) and (ROOT / name).exists()
    ]  # fmt: skip
    assert len(sources) > 50
    offenders = [line for path in sources for line in legacy_imports(path)]
    assert offenders == []


def test_the_scan_would_notice_an_offender(tmp_path):
    bad = tmp_path / "offender.py"
    bad.write_text("import json\nfrom tasks.models import QuizTask\nimport courses.models\n")
    assert legacy_imports(bad, root=tmp_path) == [
        "offender.py:2 imports tasks.models",
        "offender.py:3 imports courses.models",
    ]
