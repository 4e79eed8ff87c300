"""Issue 22: the Customers list's index gains the name in upper case (what the search compares)
as a last column, so a word in many of a partner's names is found by walking this index alone.
It replaces (owner, name, id), whose order it keeps: built CONCURRENTLY first, so the list
always has an index in its order, then the old one dropped CONCURRENTLY (PostgreSQL). A build
that failed half-way leaves an INVALID index of that name behind, and the migration unrecorded:
the first step drops it, so running `migrate` again finishes the job."""

import django.db.models.functions.text
from django.db import migrations, models

from partners.migration_ops import (
    AddIndexConcurrently,
    PostgresOnlySQL,
    RemoveIndexConcurrently,
)


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ('partners', '0008_sandbox'),
    ]

    operations = [
        PostgresOnlySQL(
            'DROP INDEX CONCURRENTLY IF EXISTS "customer_owner_name_upper"',
            reverse_sql=migrations.RunSQL.noop,
        ),
        AddIndexConcurrently(
            model_name='customer',
            index=models.Index(models.F('owner'), models.F('name'), models.F('id'), django.db.models.functions.text.Upper('name'), name='customer_owner_name_upper'),
        ),
        RemoveIndexConcurrently(
            model_name='customer',
            name='customer_owner_name_id',
        ),
    ]
