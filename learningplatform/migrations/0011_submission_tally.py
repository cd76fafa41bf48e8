# Counts of submissions per course and submitter, kept by triggers on the submission and task
# tables, so that a course's `submissionCount` reads one row per submitter (or the viewer's own
# row) instead of walking the course's tasks to their submissions (ADR 0031). As in 0008, the
# triggers are created before the tally is filled, in the same transaction.

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

# A submission's course is its task's. A task deleted before its submissions (plain SQL, the
# foreign keys being checked at commit) subtracts the submissions still pointing at it; the
# submissions' own deletion then finds no task and subtracts nothing. Deleted in the other order
# (the ORM's cascade), the task finds no submission left. Either way each is subtracted once.
# A tally that reaches 0 is deleted.

# PostgreSQL: statement triggers with transition tables, one upsert per (course, user) a
# statement touched, in (course, user) order (two writers never wait on each other crosswise).
POSTGRESQL_TRIGGERS = """
CREATE FUNCTION learningplatform_submissiontally_add() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO learningplatform_submissiontally (course_id, user_id, submissions)
  SELECT t.course_id, n.user_id, COUNT(*) FROM new_rows n JOIN learningplatform_task t ON t.id = n.task_id
  GROUP BY 1, 2 ORDER BY 1, 2
  ON CONFLICT (course_id, user_id) DO UPDATE SET submissions = learningplatform_submissiontally.submissions + EXCLUDED.submissions;
  RETURN NULL;
END $$;
CREATE FUNCTION learningplatform_submissiontally_subtract() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE learningplatform_submissiontally SET submissions = learningplatform_submissiontally.submissions - gone.submissions
  FROM (SELECT t.course_id, o.user_id, COUNT(*) AS submissions
        FROM old_rows o JOIN learningplatform_task t ON t.id = o.task_id
        GROUP BY 1, 2 ORDER BY 1, 2) gone
  WHERE learningplatform_submissiontally.course_id = gone.course_id AND learningplatform_submissiontally.user_id = gone.user_id;
  DELETE FROM learningplatform_submissiontally WHERE submissions = 0 AND user_id IN (SELECT user_id FROM old_rows);
  RETURN NULL;
END $$;
CREATE FUNCTION learningplatform_submissiontally_move() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO learningplatform_submissiontally (course_id, user_id, submissions)
  SELECT course_id, user_id, SUM(submissions) FROM (
    SELECT t.course_id, o.user_id, -1 AS submissions
    FROM old_rows o JOIN new_rows n ON o.id = n.id JOIN learningplatform_task t ON t.id = o.task_id
    WHERE o.task_id <> n.task_id OR o.user_id <> n.user_id
    UNION ALL
    SELECT t.course_id, n.user_id, 1
    FROM old_rows o JOIN new_rows n ON o.id = n.id JOIN learningplatform_task t ON t.id = n.task_id
    WHERE o.task_id <> n.task_id OR o.user_id <> n.user_id
  ) changes GROUP BY course_id, user_id HAVING SUM(submissions) <> 0 ORDER BY 1, 2
  ON CONFLICT (course_id, user_id) DO UPDATE SET submissions = learningplatform_submissiontally.submissions + EXCLUDED.submissions;
  DELETE FROM learningplatform_submissiontally WHERE submissions = 0 AND user_id IN (SELECT user_id FROM old_rows);
  RETURN NULL;
END $$;
CREATE FUNCTION learningplatform_submissiontally_task_gone() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE learningplatform_submissiontally SET submissions = learningplatform_submissiontally.submissions - gone.submissions
  FROM (SELECT o.course_id, s.user_id, COUNT(*) AS submissions
        FROM old_rows o JOIN learningplatform_submission s ON s.task_id = o.id
        GROUP BY 1, 2 ORDER BY 1, 2) gone
  WHERE learningplatform_submissiontally.course_id = gone.course_id AND learningplatform_submissiontally.user_id = gone.user_id;
  DELETE FROM learningplatform_submissiontally WHERE submissions = 0 AND course_id IN (SELECT course_id FROM old_rows);
  RETURN NULL;
END $$;
CREATE FUNCTION learningplatform_submissiontally_task_moved() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO learningplatform_submissiontally (course_id, user_id, submissions)
  SELECT course_id, user_id, SUM(submissions) FROM (
    SELECT o.course_id, s.user_id, -1 AS submissions
    FROM old_rows o JOIN new_rows n ON o.id = n.id JOIN learningplatform_submission s ON s.task_id = n.id
    WHERE o.course_id <> n.course_id
    UNION ALL
    SELECT n.course_id, s.user_id, 1
    FROM old_rows o JOIN new_rows n ON o.id = n.id JOIN learningplatform_submission s ON s.task_id = n.id
    WHERE o.course_id <> n.course_id
  ) changes GROUP BY course_id, user_id HAVING SUM(submissions) <> 0 ORDER BY 1, 2
  ON CONFLICT (course_id, user_id) DO UPDATE SET submissions = learningplatform_submissiontally.submissions + EXCLUDED.submissions;
  DELETE FROM learningplatform_submissiontally WHERE submissions = 0 AND course_id IN (SELECT course_id FROM old_rows);
  RETURN NULL;
END $$;
CREATE TRIGGER submission_tally_insert AFTER INSERT ON learningplatform_submission
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION learningplatform_submissiontally_add();
CREATE TRIGGER submission_tally_delete AFTER DELETE ON learningplatform_submission
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION learningplatform_submissiontally_subtract();
CREATE TRIGGER submission_tally_update AFTER UPDATE ON learningplatform_submission
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION learningplatform_submissiontally_move();
CREATE TRIGGER submission_tally_task_delete AFTER DELETE ON learningplatform_task
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION learningplatform_submissiontally_task_gone();
CREATE TRIGGER submission_tally_task_update AFTER UPDATE ON learningplatform_task
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION learningplatform_submissiontally_task_moved();
"""
POSTGRESQL_DROP = """
DROP TRIGGER IF EXISTS submission_tally_insert ON learningplatform_submission;
DROP TRIGGER IF EXISTS submission_tally_delete ON learningplatform_submission;
DROP TRIGGER IF EXISTS submission_tally_update ON learningplatform_submission;
DROP TRIGGER IF EXISTS submission_tally_task_delete ON learningplatform_task;
DROP TRIGGER IF EXISTS submission_tally_task_update ON learningplatform_task;
DROP FUNCTION IF EXISTS learningplatform_submissiontally_add(), learningplatform_submissiontally_subtract(), learningplatform_submissiontally_move(), learningplatform_submissiontally_task_gone(),
  learningplatform_submissiontally_task_moved();
"""

# SQLite has row triggers only. A submission's course is its task's: NULL once the task is gone.
SQLITE_TRIGGERS = [
    """CREATE TRIGGER submission_tally_insert AFTER INSERT ON learningplatform_submission BEGIN
  INSERT INTO learningplatform_submissiontally (course_id, user_id, submissions)
  SELECT course_id, NEW.user_id, 1 FROM learningplatform_task WHERE id = NEW.task_id
  ON CONFLICT (course_id, user_id) DO UPDATE SET submissions = submissions + 1;
END""",
    """CREATE TRIGGER submission_tally_delete AFTER DELETE ON learningplatform_submission BEGIN
  UPDATE learningplatform_submissiontally SET submissions = submissions - 1
  WHERE course_id = (SELECT course_id FROM learningplatform_task WHERE id = OLD.task_id) AND user_id = OLD.user_id;
  DELETE FROM learningplatform_submissiontally
  WHERE course_id = (SELECT course_id FROM learningplatform_task WHERE id = OLD.task_id) AND user_id = OLD.user_id AND submissions = 0;
END""",
    """CREATE TRIGGER submission_tally_update AFTER UPDATE OF task_id, user_id ON learningplatform_submission
WHEN OLD.task_id IS NOT NEW.task_id OR OLD.user_id IS NOT NEW.user_id BEGIN
  UPDATE learningplatform_submissiontally SET submissions = submissions - 1
  WHERE course_id = (SELECT course_id FROM learningplatform_task WHERE id = OLD.task_id) AND user_id = OLD.user_id;
  DELETE FROM learningplatform_submissiontally
  WHERE course_id = (SELECT course_id FROM learningplatform_task WHERE id = OLD.task_id) AND user_id = OLD.user_id AND submissions = 0;
  INSERT INTO learningplatform_submissiontally (course_id, user_id, submissions)
  SELECT course_id, NEW.user_id, 1 FROM learningplatform_task WHERE id = NEW.task_id
  ON CONFLICT (course_id, user_id) DO UPDATE SET submissions = submissions + 1;
END""",
    """CREATE TRIGGER submission_tally_task_delete AFTER DELETE ON learningplatform_task BEGIN
  UPDATE learningplatform_submissiontally SET submissions = submissions - (
    SELECT COUNT(*) FROM learningplatform_submission s
    WHERE s.task_id = OLD.id AND s.user_id = learningplatform_submissiontally.user_id)
  WHERE course_id = OLD.course_id
    AND user_id IN (SELECT user_id FROM learningplatform_submission WHERE task_id = OLD.id);
  DELETE FROM learningplatform_submissiontally WHERE course_id = OLD.course_id AND submissions = 0;
END""",
    """CREATE TRIGGER submission_tally_task_update AFTER UPDATE OF course_id ON learningplatform_task
WHEN OLD.course_id IS NOT NEW.course_id BEGIN
  UPDATE learningplatform_submissiontally SET submissions = submissions - (
    SELECT COUNT(*) FROM learningplatform_submission s
    WHERE s.task_id = OLD.id AND s.user_id = learningplatform_submissiontally.user_id)
  WHERE course_id = OLD.course_id
    AND user_id IN (SELECT user_id FROM learningplatform_submission WHERE task_id = OLD.id);
  DELETE FROM learningplatform_submissiontally WHERE course_id = OLD.course_id AND submissions = 0;
  INSERT INTO learningplatform_submissiontally (course_id, user_id, submissions)
  SELECT NEW.course_id, user_id, COUNT(*) FROM learningplatform_submission WHERE task_id = NEW.id
  GROUP BY user_id
  ON CONFLICT (course_id, user_id) DO UPDATE SET submissions = submissions + excluded.submissions;
END""",
]
TRIGGERS = (
    "submission_tally_insert",
    "submission_tally_delete",
    "submission_tally_update",
    "submission_tally_task_delete",
    "submission_tally_task_update",
)

FILL = """INSERT INTO learningplatform_submissiontally (course_id, user_id, submissions)
SELECT t.course_id, s.user_id, COUNT(*)
FROM learningplatform_submission s JOIN learningplatform_task t ON t.id = s.task_id
GROUP BY t.course_id, s.user_id"""


def create_triggers_and_fill(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRESQL_TRIGGERS)
    elif vendor == "sqlite":
        for statement in SQLITE_TRIGGERS:
            schema_editor.execute(statement)
    else:
        raise NotImplementedError(f"submission tally triggers on {vendor}")
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
        ("learningplatform", "0010_nested_order_indexes"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="SubmissionTally",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("submissions", models.BigIntegerField()),
                ("course", models.ForeignKey(on_delete=django.db.models.deletion.DO_NOTHING, related_name="submission_tallies", to="learningplatform.course")),
                ("user", models.ForeignKey(on_delete=django.db.models.deletion.DO_NOTHING, related_name="submission_tallies", to=settings.AUTH_USER_MODEL)),
            ],
            options={
                "constraints": [models.UniqueConstraint(fields=("course", "user"), name="submission_tally_one_per_user")],
            },
        ),
        migrations.RunPython(create_triggers_and_fill, drop_triggers),
    ]  # fmt: skip
