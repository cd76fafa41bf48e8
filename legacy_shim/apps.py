from django.apps import AppConfig


class LegacyShimConfig(AppConfig):
    name = "legacy_shim"
    verbose_name = "Legacy names (temporary)"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from legacy_shim.modules import install

        install()
