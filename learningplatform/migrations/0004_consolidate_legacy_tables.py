# The consolidation of the legacy tables ran here until it had to wait for 0005 (which lets
# the consolidated tables hold every value the old tables admitted); it now runs in 0006. This
# step stays, empty, so databases that applied it keep a consistent history.

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("learningplatform", "0003_legacy_id_map_and_conflicts"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = []
