"""Sessions read through Redis (REDIS_URL): a logged-in request costs one statement, its user."""

import os
import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import UserFactory
from tests.helpers import gql

REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")


def redis_answers() -> bool:
    try:
        import redis

        return redis.Redis.from_url(REDIS_URL, socket_connect_timeout=0.5).ping()
    except Exception:  # noqa: BLE001 - no server, no test
        return False


pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(not redis_answers(), reason=f"no Redis at {REDIS_URL}"),
]


@pytest.fixture
def redis_sessions(settings):
    """The settings REDIS_URL gives, under a key prefix of this test's own."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": f"tests-{uuid.uuid4().hex}",
        }
    }
    settings.SESSION_ENGINE = "learningplatform.sessions.cached_db"


def test_a_logged_in_request_costs_one_statement(redis_sessions, client):
    user = UserFactory()
    client.force_login(user)
    gql(client, "query { me { username } }")  # the first read fills the cache
    with CaptureQueriesContext(connection) as captured:
        assert gql(client, "query { me { username } }") == {"me": {"username": user.username}}
    assert len(captured.captured_queries) == 1, captured.captured_queries


def test_logging_out_ends_the_session_on_the_server(redis_sessions, client):
    client.force_login(UserFactory())
    stolen = client.cookies["sessionid"].value
    client.logout()
    client.cookies["sessionid"] = stolen  # the old cookie, replayed
    assert gql(client, "query { me { username } }") == {"me": None}


def test_redis_url_turns_on_sessions_read_through_redis(tmp_path):
    from tests.helpers import PRODUCTION, manage

    show = "from django.conf import settings; print(settings.SESSION_ENGINE, settings.CACHES['default']['LOCATION'])"
    result = manage("shell", "--no-imports", "-c", show, tmp_path=tmp_path,
                    **PRODUCTION | {"REDIS_URL": "redis://127.0.0.1:6379/3"})  # fmt: skip
    assert result.stdout.split() == [
        "learningplatform.sessions.cached_db", "redis://127.0.0.1:6379/3"
    ]  # fmt: skip
