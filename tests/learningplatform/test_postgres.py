"""psycopg's C timestamp loader in place of Django's (learningplatform/postgres.py)."""

import datetime

import pytest
from django.db import connection
from django.db.backends.postgresql.psycopg_any import register_tzloader
from psycopg.pq import Format

from learningplatform.models import Task
from learningplatform.postgres import UtcTimestamptzLoader
from tests.factories import TaskFactory

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the timestamp loader: PostgreSQL"
)

# Timestamps from year 1 to 9999, with and without fractions of a second, written in other
# time zones too; the server sends each back in UTC.
SAMPLE = """
SELECT t FROM (
  SELECT timestamptz '0001-01-01 00:00:00+00' + (n * interval '12345 days 13:07:11.000101') AS t
  FROM generate_series(0, 290) AS n
  UNION ALL SELECT timestamptz '9999-12-31 23:59:59.999999+00'
  UNION ALL SELECT timestamptz '2026-03-29 02:30:00.5+02:00'
  UNION ALL SELECT timestamptz '2026-10-25 01:00:00-09:30'
  UNION ALL SELECT timestamptz '1970-01-01 00:00:00.000001+00'
  UNION ALL SELECT NULL
) AS sample ORDER BY t
"""


@pytest.mark.django_db
def test_the_c_loader_reads_every_timestamp_as_djangos_own_loader_does():
    with connection.cursor() as cursor:
        cursor.execute(SAMPLE)
        ours = [row[0] for row in cursor.fetchall()]
        assert connection.connection.adapters.get_loader(1184, Format.TEXT) is UtcTimestamptzLoader
        register_tzloader(connection.timezone, cursor.cursor)  # Django's, on this cursor only
        cursor.execute(SAMPLE)
        djangos = [row[0] for row in cursor.fetchall()]
    assert len(ours) == 296
    assert ours == djangos
    assert [v.tzinfo for v in ours if v] == [datetime.UTC] * 295
    assert [v.isoformat() for v in ours if v] == [v.isoformat() for v in djangos if v]


@pytest.mark.django_db
def test_model_timestamps_come_back_as_written():
    deadline = datetime.datetime(2031, 2, 3, 4, 5, 6, 789012, tzinfo=datetime.UTC)
    task = TaskFactory(deadline=deadline)
    assert Task.objects.values_list("deadline", flat=True).get(pk=task.pk) == deadline
    assert Task.objects.get(pk=task.pk).deadline.isoformat() == "2031-02-03T04:05:06.789012+00:00"
