# Search through an index on PostgreSQL: trigram GIN indexes (pg_trgm) on the very expressions
# Django's case-insensitive `icontains` compares, UPPER(column::text), so `search` keeps its
# meaning (a case-insensitive substring of the title or description) and stops scanning every
# row. SQLite keeps its LIKE scan. And an index for counting the tasks a visitor may see.

from django.db import migrations, models

TRIGRAM_INDEXES = [
    ("course_title_trgm_idx", "learningplatform_course", "title"),
    ("course_description_trgm_idx", "learningplatform_course", "description"),
    ("task_title_trgm_idx", "learningplatform_task", "title"),
    ("task_description_trgm_idx", "learningplatform_task", "description"),
]


def create_trigram_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, table, column in TRIGRAM_INDEXES:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON {table} "
            f"USING gin ((UPPER({column}::text)) gin_trgm_ops)"
        )


def drop_trigram_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _, _ in TRIGRAM_INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [
        ("learningplatform", "0006_consolidate_legacy_tables"),
    ]

    operations = [
        migrations.RunPython(create_trigram_indexes, drop_trigram_indexes),
        migrations.RemoveIndex(model_name="task", name="task_status_idx"),
        migrations.AddIndex(
            model_name="task",
            index=models.Index(fields=["status", "course"], name="task_status_course_idx"),
        ),
    ]
