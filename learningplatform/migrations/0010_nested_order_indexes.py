# Indexes for a course's tasks paged by keyset (ADR 0019): (course, column, id) in the orders a
# frontend shows a course's tasks in, so that each course's page reads its rows and no more,
# however many tasks the course holds. (course, deadline, id) replaces (course, deadline).

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("learningplatform", "0009_personal_access_tokens"),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="task",
            name="task_course_deadline_idx",
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
