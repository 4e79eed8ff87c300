"""Issue 22: the indexes of staff's event, delivery, webhook delivery and activity lists,
and the activity search's trigram index; built CONCURRENTLY on PostgreSQL."""

from django.conf import settings
from django.db import migrations, models

from partners.migration_ops import AddIndexConcurrently, PostgresOnlySQL


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ('contenttypes', '0002_remove_content_type_name'),
        ('deals', '0012_admin_list_indexes'),
        ('notifications', '0004_activity_log'),
        ('partners', '0006_admin_list_indexes'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        AddIndexConcurrently(
            model_name='activity',
            index=models.Index(fields=['created_at', 'id'], name='activity_created_id'),
        ),
        AddIndexConcurrently(
            model_name='delivery',
            index=models.Index(fields=['created_at', 'id'], name='delivery_created_id'),
        ),
        AddIndexConcurrently(
            model_name='delivery',
            index=models.Index(fields=['status', 'created_at', 'id'], name='delivery_status_created_id'),
        ),
        AddIndexConcurrently(
            model_name='delivery',
            index=models.Index(condition=models.Q(('email', ''), _negated=True), fields=['email'], name='delivery_email'),
        ),
        AddIndexConcurrently(
            model_name='event',
            index=models.Index(fields=['created_at', 'id'], name='event_created_id'),
        ),
        AddIndexConcurrently(
            model_name='event',
            index=models.Index(fields=['kind', 'created_at', 'id'], name='event_kind_created_id'),
        ),
        AddIndexConcurrently(
            model_name='event',
            index=models.Index(fields=['partner', 'created_at', 'id'], name='event_partner_created_id'),
        ),
        AddIndexConcurrently(
            model_name='webhookdelivery',
            index=models.Index(fields=['created_at', 'id'], name='webhook_created_id'),
        ),
        AddIndexConcurrently(
            model_name='webhookdelivery',
            index=models.Index(fields=['status', 'created_at', 'id'], name='webhook_status_created_id'),
        ),
        # The log's search by object (a name, an e-mail address): a trigram index on
        # UPPER(object_repr), the expression Django's icontains uses. Nothing on SQLite.
        PostgresOnlySQL(
            "CREATE INDEX CONCURRENTLY IF NOT EXISTS activity_object_repr_trgm "
            "ON notifications_activity USING gin ((UPPER(object_repr::text)) gin_trgm_ops)",
            "DROP INDEX CONCURRENTLY IF EXISTS activity_object_repr_trgm",
        ),
    ]
