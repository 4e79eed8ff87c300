"""Issue 13 (scale): indexes for the Customers list and its search."""

from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations, models

from partners.migration_ops import PostgresOnlySQL


class Migration(migrations.Migration):

    dependencies = [
        ('partners', '0001_initial'),
    ]

    operations = [
        migrations.AddIndex(
            model_name='customer',
            index=models.Index(fields=['name', 'id'], name='customer_name_id'),
        ),
        migrations.AddIndex(
            model_name='customerownership',
            index=models.Index(condition=models.Q(('ended_at__isnull', True)), fields=['partner', 'customer'], name='ownership_active_partner'),
        ),
        # pg_trgm for the name searches; both operations do nothing on SQLite.
        TrigramExtension(),
        PostgresOnlySQL(
            "CREATE INDEX customer_name_trgm ON partners_customer USING gin ((UPPER(name::text)) gin_trgm_ops)",
            "DROP INDEX IF EXISTS customer_name_trgm",
        ),
    ]
