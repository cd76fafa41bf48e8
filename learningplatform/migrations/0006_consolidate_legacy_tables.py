# Moves the rows of the legacy tables (courses_course, tasks_learningtask, tasks_quiztask,
# assessment_submission) into the consolidated tables when the database holds them; does
# nothing on a database without them. The same code serves `manage.py consolidate`.

from django.db import migrations


def consolidate_legacy_tables(apps, schema_editor):
    from django.conf import settings

    from learningplatform import consolidation
    from learningplatform.consolidation.backup import backup_database

    connection = schema_editor.connection
    if not consolidation.legacy_tables_present(connection):
        return
    strict = getattr(settings, "CONSOLIDATION_STRICT", False)
    if strict and (problems := consolidation.preflight(connection)):
        raise RuntimeError(
            "Legacy rows hold values the consolidated models cannot keep as they are, and "
            "CONSOLIDATION_STRICT is on; nothing was changed. Correct them and run migrate "
            "again, or turn strict mode off to map and record them:\n  " + "\n  ".join(problems)
        )
    if consolidation.has_work(connection):
        path = backup_database(connection)
        print(f"\n  Backup of the database before consolidation: {path}")
    report = consolidation.consolidate(connection=connection)
    for line in report.lines():
        print(f"  {line}")
    result = consolidation.verify(connection=connection)
    if not result.ok:
        raise RuntimeError(
            "Consolidated rows differ from the legacy rows; the migration is rolled back:\n  "
            + "\n  ".join(str(d) for d in result.differences)
        )


def remove_consolidated_rows(apps, schema_editor):
    from learningplatform import consolidation

    consolidation.unconsolidate(connection=schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [
        ("learningplatform", "0005_mapped_legacy_values"),
    ]

    operations = [
        migrations.RunPython(consolidate_legacy_tables, remove_consolidated_rows),
    ]
