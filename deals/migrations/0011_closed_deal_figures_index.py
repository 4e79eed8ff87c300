"""Issue 13 (scale): the dashboard's quarters and the reports read closed deals from one index
(built CONCURRENTLY on PostgreSQL: the deal table stays writable meanwhile)."""

from django.db import migrations, models

from partners.migration_ops import AddIndexConcurrently


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ('deals', '0010_merge_ux_events'),
    ]

    operations = [
        AddIndexConcurrently(
            model_name='deal',
            index=models.Index(condition=models.Q(('closed_at__isnull', False)), fields=['partner', 'closed_at'], include=('stage', 'estimated_value', 'created_at', 'id'), name='deal_closed_figures'),
        ),
    ]
