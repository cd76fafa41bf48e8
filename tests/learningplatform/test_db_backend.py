"""The PostgreSQL backend's health check: no round trip, and a closed connection is noticed."""

import time

import psycopg
import pytest
from django.db import connection

from tests.helpers import POOLED

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's backend"),
]


def test_an_idle_open_connection_is_usable():
    connection.ensure_connection()
    assert connection.is_usable()


@pytest.mark.skipif(POOLED, reason="through PgBouncer the server connection is PgBouncer's")
def test_a_connection_the_server_closed_is_not_usable_and_is_replaced():
    connection.ensure_connection()
    (pid,) = connection.connection.execute("SELECT pg_backend_pid()").fetchone()
    settings = connection.settings_dict
    with psycopg.connect(
        dbname=settings["NAME"], user=settings["USER"], host=settings["HOST"],
        port=settings["PORT"] or 5432, password=settings["PASSWORD"] or None, autocommit=True,
    ) as admin:  # fmt: skip
        admin.execute("SELECT pg_terminate_backend(%s)", [pid])
    for _ in range(50):  # until the server's goodbye reaches the socket
        if not connection.is_usable():
            break
        time.sleep(0.05)
    assert not connection.is_usable()
    connection.close_if_unusable_or_obsolete()
    connection.health_check_done = False
    with connection.cursor() as cursor:  # what Django does at a request's first statement
        cursor.execute("SELECT 1")
        assert cursor.fetchone() == (1,)
