"""Issue 22: the company (tax-code root) index the conflict flag looks customers up by, and
the ownership list's; built CONCURRENTLY on PostgreSQL."""

import django.db.models.functions.text
from django.db import migrations, models

from partners.migration_ops import AddIndexConcurrently


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ('deals', '0012_admin_list_indexes'),
        ('partners', '0005_invitation_moved_to_accounts'),
    ]

    operations = [
        AddIndexConcurrently(
            model_name='customer',
            index=models.Index(django.db.models.functions.text.Left('tax_code', 10), name='customer_tax_root'),
        ),
        AddIndexConcurrently(
            model_name='customerownership',
            index=models.Index(fields=['started_at', 'id'], name='ownership_started_id'),
        ),
        AddIndexConcurrently(
            model_name='customerownership',
            index=models.Index(fields=['partner', 'started_at', 'id'], name='ownership_partner_started'),
        ),
    ]
