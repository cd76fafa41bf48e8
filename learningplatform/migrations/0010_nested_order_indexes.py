# Indexes for a course's tasks paged by keyset (ADR 0019): (course, column, id) in the orders a
# frontend shows a course's tasks in, so that each course's page reads its rows and no more,
# however many tasks the course holds. (course, deadline, id) replaces (course, deadline), and
# (course, id) the index on the course alone, which PostgreSQL preferred (then sorting a
# 100,000-task course for a page of 10).

import django.db.models.deletion
from django.db import migrations, models

COURSE_INDEX = "learningplatform_task_course_id_401b3fd7"  # Django's name for it (0002)


class Migration(migrations.Migration):
    dependencies = [
        ("learningplatform", "0009_personal_access_tokens"),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="task",
            name="task_course_deadline_idx",
        ),
        # Only the index: AlterField would remake the table on SQLite, and its tally triggers
        # (migration 0008) with it.
        migrations.SeparateDatabaseAndState(
            state_operations=[
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
            ],
            database_operations=[
                migrations.RunSQL(
                    f"DROP INDEX IF EXISTS {COURSE_INDEX}",
                    f"CREATE INDEX {COURSE_INDEX} ON learningplatform_task (course_id)",
                ),
            ],
        ),
        migrations.AddIndex(
            model_name="task",
            index=models.Index(fields=["course", "id"], name="task_course_id_idx"),
        ),
        migrations.AddIndex(
            model_name="task",
            index=models.Index(
                fields=["course", "deadline", "id"], name="task_course_deadline_id_idx"
            ),
        ),
        migrations.AddIndex(
            model_name="task",
            index=models.Index(fields=["course", "title", "id"], name="task_course_title_idx"),
        ),
        migrations.AddIndex(
            model_name="task",
            index=models.Index(
                fields=["course", "created_at", "id"], name="task_course_created_idx"
            ),
        ),
    ]
