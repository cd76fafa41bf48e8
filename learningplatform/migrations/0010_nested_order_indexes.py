# Indexes for a course's tasks paged by keyset (ADR 0019): (course, column, id) in the orders a
# frontend shows a course's tasks in, so that each course's page reads its rows and no more,
# however many tasks the course holds. (course, deadline, id) replaces (course, deadline), and
# (course, id) the index on the course alone, which PostgreSQL preferred (then sorting a
# 100,000-task course for a page of 10).
#
# Built CONCURRENTLY on PostgreSQL (docs/operations.md: tasks keep being written meanwhile), new
# ones first, so that a course's tasks always have an index; plain SQL rather than AlterField,
# which would remake the table on SQLite and drop its tally triggers (migration 0008).

import django.db.models.deletion
from django.db import migrations, models

TABLE = "learningplatform_task"
NEW_INDEXES = {
    "task_course_id_idx": ("course_id", "id"),
    "task_course_deadline_id_idx": ("course_id", "deadline", "id"),
    "task_course_title_idx": ("course_id", "title", "id"),
    "task_course_created_idx": ("course_id", "created_at", "id"),
}
OLD_INDEXES = {
    "task_course_deadline_idx": ("course_id", "deadline"),
    "learningplatform_task_course_id_401b3fd7": ("course_id",),  # Django's name for it (0002)
}


def _create(schema_editor, indexes: dict) -> None:
    concurrently = "CONCURRENTLY " if schema_editor.connection.vendor == "postgresql" else ""
    for name, columns in indexes.items():
        schema_editor.execute(
            f'CREATE INDEX {concurrently}IF NOT EXISTS "{name}" ON "{TABLE}" ({", ".join(columns)})'
        )


def _drop(schema_editor, indexes: dict) -> None:
    concurrently = "CONCURRENTLY " if schema_editor.connection.vendor == "postgresql" else ""
    for name in indexes:
        schema_editor.execute(f'DROP INDEX {concurrently}IF EXISTS "{name}"')


def replace_indexes(apps, schema_editor):
    _create(schema_editor, NEW_INDEXES)
    _drop(schema_editor, OLD_INDEXES)


def restore_indexes(apps, schema_editor):
    _create(schema_editor, OLD_INDEXES)
    _drop(schema_editor, NEW_INDEXES)


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY cannot run in a transaction

    dependencies = [
        ("learningplatform", "0009_personal_access_tokens"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveIndex(model_name="task", name="task_course_deadline_idx"),
                migrations.AlterField(
                    model_name="task",
                    name="course",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="tasks",
                        to="learningplatform.course",
                    ),
                ),
                *(
                    migrations.AddIndex(
                        model_name="task",
                        index=models.Index(fields=["course", *columns[1:]], name=name),
                    )
                    for name, columns in NEW_INDEXES.items()
                ),
            ],
            database_operations=[migrations.RunPython(replace_indexes, restore_indexes)],
        ),
    ]
