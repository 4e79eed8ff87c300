"""Issue 23: e-mails to one address and webhooks to one endpoint are sent in event order; each
claim looks for an earlier one still waiting, through these partial indexes (built
CONCURRENTLY on PostgreSQL: the delivery tables stay writable meanwhile)."""

from django.db import migrations, models

from partners.migration_ops import AddIndexConcurrently


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ('notifications', '0006_merge_admin_lists_review_overdue'),
    ]

    operations = [
        AddIndexConcurrently(
            model_name='delivery',
            index=models.Index(condition=models.Q(('channel', 'email'), ('status__in', ['pending', 'sending'])), fields=['email', 'event'], name='delivery_email_in_line'),
        ),
        AddIndexConcurrently(
            model_name='webhookdelivery',
            index=models.Index(condition=models.Q(('status__in', ['pending', 'sending'])), fields=['endpoint', 'event'], name='webhook_delivery_in_line'),
        ),
    ]
