"""The composition root: the GraphQL schema this server serves.

It is the API's schema (graphql_api.schema.build_schema) plus the parts each installed app
offers through a `graphql_parts()` method on its AppConfig: today only legacy_shim, with the
deprecated legacy names and their usage counter. Nothing here names the shim, so deleting it
(and its settings line) removes its parts. settings.GRAPHQL_SCHEMA points here.
"""

from django.apps import apps
from django.conf import settings

from graphql_api.schema import build_schema


def installed_parts() -> dict[str, tuple]:
    """The extra queries, mutations, types and extensions the installed apps contribute."""
    parts: dict[str, tuple] = {}
    for app in apps.get_app_configs():
        for key, values in getattr(app, "graphql_parts", dict)().items():
            parts[key] = (*parts.get(key, ()), *values)
    return parts


schema = build_schema(introspection=settings.GRAPHQL_INTROSPECTION, **installed_parts())
