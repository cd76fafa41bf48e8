# Counts of tasks per course and status, kept by triggers on the task table, so that a count of
# the tasks a viewer may see sums a few rows per course instead of reading every task (ADR
# 0016). The triggers are created before the tally is filled, in the same transaction: a task
# written meanwhile waits for the trigger's lock and is counted by it, never twice or not at all.

import django.db.models.deletion
from django.db import migrations, models

# A tally that reaches 0 is deleted, so deleting a course's tasks, then the course, in plain SQL
# (as the consolidation's reverse does) leaves no tally pointing at it.

# PostgreSQL: statement triggers with transition tables, so a bulk insert of 2,000 tasks updates
# each (course, status) once, in (course, status) order (two writers never wait on each other
# crosswise). An UPDATE trigger cannot name columns and transition tables both; it counts only
# the rows whose course or status changed.
POSTGRESQL_TRIGGERS = """
CREATE FUNCTION learningplatform_tasktally_add() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO learningplatform_tasktally (course_id, status, tasks)
  SELECT course_id, status, COUNT(*) FROM new_rows GROUP BY course_id, status ORDER BY 1, 2
  ON CONFLICT (course_id, status) DO UPDATE SET tasks = learningplatform_tasktally.tasks + EXCLUDED.tasks;
  RETURN NULL;
END $$;
CREATE FUNCTION learningplatform_tasktally_subtract() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE learningplatform_tasktally SET tasks = learningplatform_tasktally.tasks - gone.tasks
  FROM (SELECT course_id, status, COUNT(*) AS tasks FROM old_rows GROUP BY course_id, status
        ORDER BY 1, 2) gone
  WHERE learningplatform_tasktally.course_id = gone.course_id AND learningplatform_tasktally.status = gone.status;
  DELETE FROM learningplatform_tasktally
  WHERE tasks = 0 AND course_id IN (SELECT course_id FROM old_rows);
  RETURN NULL;
END $$;
CREATE FUNCTION learningplatform_tasktally_move() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO learningplatform_tasktally (course_id, status, tasks)
  SELECT course_id, status, SUM(tasks) FROM (
    SELECT o.course_id, o.status, -1 AS tasks FROM old_rows o JOIN new_rows n ON o.id = n.id
    WHERE o.course_id <> n.course_id OR o.status <> n.status
    UNION ALL
    SELECT n.course_id, n.status, 1 FROM old_rows o JOIN new_rows n ON o.id = n.id
    WHERE o.course_id <> n.course_id OR o.status <> n.status
  ) changes GROUP BY course_id, status HAVING SUM(tasks) <> 0 ORDER BY 1, 2
  ON CONFLICT (course_id, status) DO UPDATE SET tasks = learningplatform_tasktally.tasks + EXCLUDED.tasks;
  DELETE FROM learningplatform_tasktally
  WHERE tasks = 0 AND course_id IN (SELECT course_id FROM old_rows);
  RETURN NULL;
END $$;
CREATE TRIGGER task_tally_insert AFTER INSERT ON learningplatform_task REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION learningplatform_tasktally_add();
CREATE TRIGGER task_tally_delete AFTER DELETE ON learningplatform_task REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION learningplatform_tasktally_subtract();
CREATE TRIGGER task_tally_update AFTER UPDATE ON learningplatform_task
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION learningplatform_tasktally_move();
"""
POSTGRESQL_DROP = """
DROP TRIGGER IF EXISTS task_tally_insert ON learningplatform_task;
DROP TRIGGER IF EXISTS task_tally_delete ON learningplatform_task;
DROP TRIGGER IF EXISTS task_tally_update ON learningplatform_task;
DROP FUNCTION IF EXISTS learningplatform_tasktally_add(), learningplatform_tasktally_subtract(), learningplatform_tasktally_move();
"""

# SQLite has row triggers only.
SQLITE_TRIGGERS = [
    """CREATE TRIGGER task_tally_insert AFTER INSERT ON learningplatform_task BEGIN
  INSERT INTO learningplatform_tasktally (course_id, status, tasks) VALUES (NEW.course_id, NEW.status, 1)
  ON CONFLICT (course_id, status) DO UPDATE SET tasks = tasks + 1;
END""",
    """CREATE TRIGGER task_tally_delete AFTER DELETE ON learningplatform_task BEGIN
  UPDATE learningplatform_tasktally SET tasks = tasks - 1 WHERE course_id = OLD.course_id AND status = OLD.status;
  DELETE FROM learningplatform_tasktally WHERE course_id = OLD.course_id AND status = OLD.status AND tasks = 0;
END""",
    """CREATE TRIGGER task_tally_update AFTER UPDATE OF course_id, status ON learningplatform_task
WHEN OLD.course_id IS NOT NEW.course_id OR OLD.status IS NOT NEW.status BEGIN
  UPDATE learningplatform_tasktally SET tasks = tasks - 1 WHERE course_id = OLD.course_id AND status = OLD.status;
  DELETE FROM learningplatform_tasktally WHERE course_id = OLD.course_id AND status = OLD.status AND tasks = 0;
  INSERT INTO learningplatform_tasktally (course_id, status, tasks) VALUES (NEW.course_id, NEW.status, 1)
  ON CONFLICT (course_id, status) DO UPDATE SET tasks = tasks + 1;
END""",
]
TRIGGERS = ("task_tally_insert", "task_tally_delete", "task_tally_update")

FILL = """INSERT INTO learningplatform_tasktally (course_id, status, tasks)
SELECT course_id, status, COUNT(*) FROM learningplatform_task GROUP BY course_id, status"""


def create_triggers_and_fill(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRESQL_TRIGGERS)
    elif vendor == "sqlite":
        for statement in SQLITE_TRIGGERS:
            schema_editor.execute(statement)
    else:
        raise NotImplementedError(f"task tally triggers on {vendor}")
    schema_editor.execute(FILL)


def drop_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRESQL_DROP)
    else:
        for name in TRIGGERS:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [
        ("learningplatform", "0007_search_and_count_indexes"),
    ]

    operations = [
        migrations.CreateModel(
            name="TaskTally",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("status", models.CharField(choices=[("DRAFT", "Draft"), ("PUBLISHED", "Published"), ("ARCHIVED", "Archived")], max_length=20)),
                ("tasks", models.BigIntegerField()),
                ("course", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="task_tallies", to="learningplatform.course")),
            ],
            options={
                "constraints": [models.UniqueConstraint(fields=("course", "status"), name="task_tally_one_per_status")],
            },
        ),
        migrations.RunPython(create_triggers_and_fill, drop_triggers),
    ]  # fmt: skip
