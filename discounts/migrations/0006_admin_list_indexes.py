"""Issue 22: the indexes of staff's discount lists; built CONCURRENTLY on PostgreSQL."""

from django.conf import settings
from django.db import migrations, models

from partners.migration_ops import AddIndexConcurrently


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ('deals', '0012_admin_list_indexes'),
        ('discounts', '0005_merge_dashboard_index_scale'),
        ('partners', '0006_admin_list_indexes'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        AddIndexConcurrently(
            model_name='customerdiscount',
            index=models.Index(fields=['created_at', 'id'], name='customer_discount_created_id'),
        ),
        AddIndexConcurrently(
            model_name='discount',
            index=models.Index(fields=['created_at', 'id'], name='discount_created_id'),
        ),
        AddIndexConcurrently(
            model_name='discount',
            index=models.Index(fields=['valid_from', 'id'], name='discount_valid_from_id'),
        ),
        AddIndexConcurrently(
            model_name='discount',
            index=models.Index(fields=['valid_until', 'id'], name='discount_valid_until_id'),
        ),
    ]
