from django.apps import AppConfig


class LegacyShimConfig(AppConfig):
    name = "legacy_shim"
    verbose_name = "Legacy names (temporary)"
    default_auto_field = "django.db.models.BigAutoField"

    def graphql_parts(self) -> dict[str, tuple]:
        """The deprecated legacy names and their usage counter, for the served schema."""
        from legacy_shim.graphql import LegacyQuery
        from legacy_shim.usage import LegacyUsageExtension

        return {"extra_queries": (LegacyQuery,), "extra_extensions": (LegacyUsageExtension,)}

    def ready(self) -> None:
        from legacy_shim.modules import install

        install()
