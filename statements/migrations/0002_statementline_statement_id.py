"""Issue 25: a statement's lines read a page at a time, by (statement, id); the index is
built CONCURRENTLY on PostgreSQL (the lines table stays writable meanwhile)."""

from django.db import migrations, models

from partners.migration_ops import AddIndexConcurrently


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ('deals', '0014_deal_external_id'),
        ('partners', '0007_customer_updated_at'),
        ('statements', '0001_consumption_statements_einvoices'),
    ]

    operations = [
        AddIndexConcurrently(
            model_name='statementline',
            index=models.Index(fields=['statement', 'id'], name='statementline_statement_id'),
        ),
    ]
