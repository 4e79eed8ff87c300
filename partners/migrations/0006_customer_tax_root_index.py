"""Issue 22: the review queue compares companies (the tax code's first 10 characters) row by
row; this index answers each comparison. Built CONCURRENTLY on PostgreSQL: the customer table
stays writable meanwhile."""

import django.db.models.functions.text
from django.db import migrations, models

from partners.migration_ops import AddIndexConcurrently


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ('partners', '0005_invitation_moved_to_accounts'),
    ]

    operations = [
        AddIndexConcurrently(
            model_name='customer',
            index=models.Index(django.db.models.functions.text.Left('tax_code', 10), name='customer_tax_root'),
        ),
    ]
