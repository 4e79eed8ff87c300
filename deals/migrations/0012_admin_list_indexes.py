"""Issue 22: the indexes of staff's deal list (all partners), one per sort and filter, built
CONCURRENTLY on PostgreSQL (the deal table stays writable meanwhile)."""

from django.conf import settings
from django.db import migrations, models

from partners.migration_ops import AddIndexConcurrently


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ('deals', '0011_closed_deal_figures_index'),
        ('partners', '0005_invitation_moved_to_accounts'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        AddIndexConcurrently(
            model_name='deal',
            index=models.Index(fields=['updated_at', 'id'], name='deal_updated_id'),
        ),
        AddIndexConcurrently(
            model_name='deal',
            index=models.Index(fields=['estimated_value', 'id'], name='deal_value_id'),
        ),
        AddIndexConcurrently(
            model_name='deal',
            index=models.Index(fields=['title', 'id'], name='deal_title_id'),
        ),
        AddIndexConcurrently(
            model_name='deal',
            index=models.Index(fields=['protected_until', 'id'], name='deal_protected_id'),
        ),
        AddIndexConcurrently(
            model_name='deal',
            index=models.Index(fields=['status', 'updated_at', 'id'], name='deal_status_updated_id'),
        ),
        AddIndexConcurrently(
            model_name='deal',
            index=models.Index(fields=['stage', 'updated_at', 'id'], name='deal_stage_updated_id'),
        ),
    ]
