"""Issue 13 (scale): the customer's current owner on the customer row, so the Customers list
and its search read one table (a word common to many customers' names, far down the
alphabet, cost ten times the floor page through the ownership join).

Not atomic, so a big customer table is never locked for long on PostgreSQL: the column is
added (nullable: no rewrite), filled by one UPDATE (row locks only), and the indexes are
built CONCURRENTLY. Run `manage.py sync_customer_owners` once after the release is live
(wins handled meanwhile by processes on the older code set no owner)."""

import django.db.models.deletion
from django.contrib.postgres.operations import BtreeGinExtension
from django.db import migrations, models

from partners.migration_ops import AddIndexConcurrently, PostgresOnlySQL


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ('partners', '0003_merge_accounts_scale'),
    ]

    operations = [
        migrations.AddField(
            model_name='customer',
            name='owner',
            field=models.ForeignKey(blank=True, db_index=False, editable=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='partners.partner', verbose_name='owner'),
        ),
        # The owner of each customer: the partner of its active ownership.
        migrations.RunSQL(
            """
            UPDATE partners_customer SET owner_id = (
                SELECT o.partner_id FROM partners_customerownership o
                WHERE o.customer_id = partners_customer.id AND o.ended_at IS NULL
            )
            WHERE id IN (
                SELECT customer_id FROM partners_customerownership WHERE ended_at IS NULL
            )
            """,
            migrations.RunSQL.noop,
        ),
        # The Customers list in name order.
        AddIndexConcurrently(
            model_name='customer',
            index=models.Index(fields=['owner', 'name', 'id'], name='customer_owner_name_id'),
        ),
        # One index finds a partner's customers whose name holds the search (btree_gin puts
        # the owner in the trigram index); both operations do nothing on SQLite.
        BtreeGinExtension(),
        PostgresOnlySQL(
            "CREATE INDEX CONCURRENTLY customer_owner_name_trgm ON partners_customer "
            "USING gin (owner_id, (UPPER(name::text)) gin_trgm_ops)",
            "DROP INDEX CONCURRENTLY IF EXISTS customer_owner_name_trgm",
        ),
    ]
