# Let the consolidated tables take every value the old tables admitted, and keep a record of
# the values a rule had to map: a task may take no submission (max_submissions 0, as the old
# PositiveIntegerField allowed), ConsolidationConflict names the rule behind each record, and
# the values migration 0002 mapped in place move from its staging table into it.

from django.db import migrations, models


def move_in_place_records(apps, schema_editor):
    from learningplatform.consolidation import in_place

    in_place.move_staged_records(schema_editor.connection)


def unmove_in_place_records(apps, schema_editor):
    from learningplatform.consolidation import in_place

    in_place.unmove_staged_records(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [
        ("learningplatform", "0004_consolidate_legacy_tables"),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="task",
            name="task_max_submissions_positive",
        ),
        migrations.AlterField(
            model_name="task",
            name="max_submissions",
            field=models.PositiveIntegerField(
                blank=True,
                help_text="Attempts allowed per student; empty means unlimited, 0 none.",
                null=True,
            ),
        ),
        migrations.AddField(
            model_name="consolidationconflict",
            name="rule",
            field=models.CharField(blank=True, default="", max_length=64),
        ),
        migrations.AlterField(
            model_name="consolidationconflict",
            name="kind",
            field=models.CharField(
                choices=[("conflict", "conflict"), ("filled", "filled"), ("mapped", "mapped")],
                max_length=10,
            ),
        ),
        migrations.RunPython(move_in_place_records, unmove_in_place_records),
    ]
