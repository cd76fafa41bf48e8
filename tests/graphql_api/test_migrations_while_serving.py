"""Migrations applied while gunicorn serves reads and writes fail no request.

Three migrations, each applied by Django's migration operations from another process while
clients (anonymous, logged in, instructors writing) send requests in a loop: a column's type
changes under statements the server's connections have prepared (the course title and the
user's first name: every logged-in request loads its user), a NOT NULL column with a database
default is added, and an index is renamed. Every answer must be data.
"""

import time

import psycopg
import pytest
from django.db import connection

from tests.helpers import python, traffic_on_a_cluster_of_its_own

pytestmark = [
    pytest.mark.slow,  # starts a cluster and a server
    pytest.mark.skipif(connection.vendor != "postgresql", reason="prepared statements: PostgreSQL"),
]

READERS = [None, "seed-student-00000", "seed-student-00001"]
WRITERS = ["seed-instructor-0000"]

# Each migration as `migrate` applies it: Django's operations, one transaction each, against the
# project state the migration files give.
MIGRATION = """
import sys
import django
django.setup()
from django.db import connection, migrations, models
from django.db.migrations.loader import MigrationLoader

state = MigrationLoader(connection).project_state()

def field(model, name, **changed):
    original = state.models["learningplatform", model].fields[name].clone()
    _, _, args, kwargs = original.deconstruct()
    return type(original)(*args, **(kwargs | changed))

operations = {
    "column type": [
        migrations.AlterField("course", "title", field("course", "title", max_length=250)),
    ],
    "the user's column type": [
        migrations.AlterField("user", "first_name", field("user", "first_name", max_length=149)),
    ],
    "not null column with a default": [
        migrations.AddField("course", "audit_note", models.CharField(max_length=20, db_default="none")),
    ],
    "index rename": [
        migrations.RenameIndex("course", new_name="course_title_renamed_idx", old_name="course_title_idx"),
    ],
}[sys.argv[1]]
migration = type("Migration", (migrations.Migration,), {"operations": operations})("step", "learningplatform")
with connection.schema_editor(atomic=True) as editor:
    migration.apply(state, editor)
print("applied", sys.argv[1])
"""

# One table per migration: a migration that locks two tables in one transaction can deadlock
# with requests that use both (docs/operations.md).
STEPS = ["column type", "the user's column type", "not null column with a default", "index rename"]


def test_migrations_while_serving(tmp_path):
    with traffic_on_a_cluster_of_its_own(tmp_path, readers=READERS, writers=WRITERS) as (
        _, env, traffic,
    ):  # fmt: skip
        with psycopg.connect(env["DATABASE_URL"]) as database:
            server_connections = database.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = 'lp'"
            ).fetchone()[0]
        windows = []
        for step in STEPS:
            started = time.monotonic()
            done = python("-c", MIGRATION, step, tmp_path=tmp_path, **env)
            assert done.returncode == 0, done.stdout + done.stderr
            windows.append((step, started, time.monotonic()))
            time.sleep(1.5)
        traffic.stop()
        with psycopg.connect(env["DATABASE_URL"]) as database:
            columns = dict(
                database.execute(
                    "SELECT column_name, character_maximum_length FROM information_schema.columns "
                    "WHERE table_name = 'learningplatform_course' AND column_name IN "
                    "('title', 'audit_note')"
                ).fetchall()
            )
            indexes = {
                name
                for (name,) in database.execute(
                    "SELECT indexname FROM pg_indexes WHERE tablename = 'learningplatform_course'"
                )
            }

    assert server_connections >= 2  # the server kept its connections (and prepared statements)
    assert columns == {"title": 250, "audit_note": 20}
    assert "course_title_renamed_idx" in indexes and "course_title_idx" not in indexes
    answers = traffic.answers
    failed = [
        (a.kind, a.status, a.body)
        for a in answers
        if a.status != 200 or a.body.get("errors") or not a.body.get("data")
    ]
    assert failed == []
    for step, started, ended in windows:  # requests were in flight around every migration
        assert any(a.started <= ended + 1 and a.ended >= started for a in answers), step
    writes = [a for a in answers if a.kind == "write" and a.started > windows[2][2]]
    assert writes and all(a.body["data"]["createCourse"]["errors"] == [] for a in writes)
