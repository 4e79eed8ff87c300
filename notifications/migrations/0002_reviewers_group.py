from django.conf import settings
from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations


def create_group(apps, schema_editor):
    # Staff added to this group hear of registrations, resubmissions and conflicts.
    apps.get_model("auth", "Group").objects.get_or_create(
        name=settings.NOTIFICATION_REVIEWERS_GROUP
    )


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("notifications", "0001_outbox"),
    ]

    operations = [
        migrations.RunPython(create_group, migrations.RunPython.noop),
        # The "possible duplicates" view compares customer names by trigram similarity; a
        # no-op on SQLite, and harmless where another migration already created it.
        TrigramExtension(),
    ]
