"""Issue 24: the partner's own CRM id on deals. A nullable column (the release before it
inserts rows without it) and its unique index per partner, built CONCURRENTLY on PostgreSQL
(the deal table stays writable meanwhile)."""

from django.conf import settings
from django.db import migrations, models

from partners.migration_ops import AddUniqueConstraintConcurrently


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ('deals', '0013_merge_admin_lists_review_queue'),
        ('partners', '0006_admin_list_indexes'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='deal',
            name='external_id',
            field=models.CharField(blank=True, help_text="Your own system's id for the deal, unique within your organisation.", max_length=100, null=True, verbose_name="your CRM's id"),
        ),
        AddUniqueConstraintConcurrently(
            model_name='deal',
            constraint=models.UniqueConstraint(condition=models.Q(('external_id__isnull', False), models.Q(('external_id', ''), _negated=True)), fields=('partner', 'external_id'), name='deal_external_id_per_partner'),
        ),
    ]
