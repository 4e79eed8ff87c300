"""Staff's consumption list by source: the imported rows among millions from billing read the
table to its end for their page and capped count (1.1 s at programme scale). Built
CONCURRENTLY on PostgreSQL (the table stays writable meanwhile)."""

from django.db import migrations, models

from partners.migration_ops import AddIndexConcurrently


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("statements", "0003_ascii_digits"),
    ]

    operations = [
        AddIndexConcurrently(
            model_name="consumption",
            index=models.Index(fields=["source", "day", "id"], name="consumption_source_day_id"),
        ),
    ]
