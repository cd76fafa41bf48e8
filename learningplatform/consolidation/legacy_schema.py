"""The legacy tables (docs/operations.md, "What an old database holds"), as the old apps'
models defined them. Named after their tables (`CoursesCourseTable`): the legacy shim's
`LegacyCourse` is another thing, the old name of today's course.

The models live in a registry of their own, so Django never treats them as installed apps; they
exist to create the tables exactly as the old code did (`seed_legacy`) and to write rehearsal
data into them.
"""

from django.apps.registry import Apps
from django.db import models

legacy_apps = Apps()


class UserTable(models.Model):
    class Meta:
        apps = legacy_apps
        app_label = "learningplatform"
        db_table = "learningplatform_user"
        managed = False


class CoursesCourseTable(models.Model):
    title = models.CharField(max_length=255)
    description = models.TextField()
    instructor = models.ForeignKey(UserTable, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    status = models.CharField(max_length=20, default="DRAFT")
    visibility = models.CharField(max_length=20, default="PUBLIC")
    learning_objectives = models.TextField(null=True)
    prerequisites = models.TextField(null=True)
    duration = models.DurationField(null=True)
    difficulty_level = models.CharField(max_length=20, default="BEGINNER")

    class Meta:
        apps = legacy_apps
        app_label = "courses"
        db_table = "courses_course"


class LearningTaskTable(models.Model):
    title = models.CharField(max_length=255)
    description = models.TextField()
    course = models.ForeignKey(CoursesCourseTable, on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=20, default="DRAFT")
    difficulty_level = models.CharField(max_length=20, default="BEGINNER")
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    created_by = models.ForeignKey(
        UserTable, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    max_submissions = models.PositiveIntegerField(null=True)
    deadline = models.DateTimeField(null=True)

    class Meta:
        apps = legacy_apps
        app_label = "tasks"
        db_table = "tasks_learningtask"


class QuizTaskTable(LearningTaskTable):
    learningtask_ptr = models.OneToOneField(
        LearningTaskTable, on_delete=models.CASCADE, parent_link=True, primary_key=True
    )
    max_score = models.DecimalField(max_digits=5, decimal_places=2, null=True)
    passing_score = models.DecimalField(max_digits=5, decimal_places=2, null=True)
    time_limit = models.IntegerField(null=True)
    is_randomized = models.BooleanField(default=False)

    class Meta:
        apps = legacy_apps
        app_label = "tasks"
        db_table = "tasks_quiztask"


class AssessmentSubmissionTable(models.Model):
    user = models.ForeignKey(UserTable, on_delete=models.CASCADE, related_name="+")
    task = models.ForeignKey(LearningTaskTable, on_delete=models.CASCADE, related_name="+")
    submitted_at = models.DateTimeField()
    content = models.TextField()
    grade = models.DecimalField(max_digits=5, decimal_places=2, null=True)
    graded_by = models.ForeignKey(UserTable, on_delete=models.SET_NULL, null=True, related_name="+")

    class Meta:
        apps = legacy_apps
        app_label = "assessment"
        db_table = "assessment_submission"
        unique_together = [("user", "task")]


# In creation order; drop in reverse.
LEGACY_MODELS = (CoursesCourseTable, LearningTaskTable, QuizTaskTable, AssessmentSubmissionTable)
LEGACY_TABLES = tuple(model._meta.db_table for model in LEGACY_MODELS)


def create_legacy_tables(schema_editor) -> None:
    for model in LEGACY_MODELS:
        schema_editor.create_model(model)
