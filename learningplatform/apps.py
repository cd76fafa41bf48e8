from django.apps import AppConfig


class LearningPlatformConfig(AppConfig):
    name = "learningplatform"
    verbose_name = "Learning platform"
    default_auto_field = "django.db.models.BigAutoField"
