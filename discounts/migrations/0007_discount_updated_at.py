"""Issue 24: discounts' updated_at, for the API's ?updated_since= and ETags. A column with a
database default (the release before it inserts rows without it; on PostgreSQL a non-volatile
default adds no table rewrite), and its index built CONCURRENTLY on PostgreSQL."""

import django.db.models.functions.datetime
from django.db import migrations, models

from partners.migration_ops import AddIndexConcurrently


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ('discounts', '0006_admin_list_indexes'),
    ]

    operations = [
        migrations.AddField(
            model_name='discount',
            name='updated_at',
            field=models.DateTimeField(auto_now=True, db_default=django.db.models.functions.datetime.Now(), verbose_name='updated at'),
        ),
        AddIndexConcurrently(
            model_name='discount',
            index=models.Index(fields=['partner', 'updated_at', 'id'], name='discount_partner_updated_id'),
        ),
    ]
