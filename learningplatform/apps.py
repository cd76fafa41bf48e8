from django.apps import AppConfig
from django.db.backends.signals import connection_created


class LearningPlatformConfig(AppConfig):
    name = "learningplatform"
    verbose_name = "Learning platform"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from learningplatform.postgres import use_c_timestamp_loader

        connection_created.connect(use_c_timestamp_loader, dispatch_uid="c-timestamp-loader")
