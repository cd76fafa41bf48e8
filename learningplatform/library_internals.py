"""The library internals the domain relies on (Django's and psycopg's), reached from here only.

The API's are in graphql_api/library_internals.py, which says why these are listed; this module
holds the domain's, which the domain cannot import from the API above it.
tests/learningplatform/test_library_internals.py checks each against what is installed.
"""

try:  # psycopg's C implementation (psycopg[binary]): its loader of timestamps with a time zone
    from psycopg_binary._psycopg import TimestamptzLoader as CTimestamptzLoader
except ImportError:  # pragma: no cover - psycopg[binary] is a dependency
    CTimestamptzLoader = None

# Each internal imported and the module it comes from (learningplatform/postgres.py).
INTERNALS = {"CTimestamptzLoader": "psycopg_binary._psycopg.TimestamptzLoader"}

# The methods overridden, by where they are defined, with their parameters as installed.
METHODS = {
    # learningplatform/db/postgresql/base.py: the health check of a kept connection, from its
    # socket instead of a `SELECT 1` round trip.
    "django.db.backends.postgresql.base.DatabaseWrapper.is_usable": ("self",),
}

# The attributes read or written, each through the function named.
ATTRIBUTES = {
    "django ModelBackend's permission caches on a user: _perm_cache, _group_perm_cache": (
        "forget_cached_permissions"
    ),
}

PERMISSION_CACHES = ("_perm_cache", "_group_perm_cache")


def forget_cached_permissions(user) -> None:
    """Make a user's changed groups count now: Django caches the permissions on the instance."""
    for cache in PERMISSION_CACHES:
        user.__dict__.pop(cache, None)
