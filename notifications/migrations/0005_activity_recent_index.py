"""The activity log newest first, for staff's unfiltered list: built without locking writes."""

from django.db import migrations, models

from partners.migration_ops import AddIndexConcurrently


class Migration(migrations.Migration):
    # CREATE INDEX CONCURRENTLY cannot run inside a transaction.
    atomic = False

    dependencies = [
        ("notifications", "0004_activity_log"),
    ]

    operations = [
        AddIndexConcurrently(
            model_name="activity",
            index=models.Index(fields=["-created_at", "-id"], name="activity_recent"),
        ),
    ]
