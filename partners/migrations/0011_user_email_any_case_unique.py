"""Issue 22 (a hostile walk of the staff forms): one user per e-mail address in any case. Admin
let staff add "ALPHA@example.com" beside "alpha@example.com", and signing in (which finds the
address in any case) then signed the one in as the other. A unique index on LOWER(email),
built CONCURRENTLY on PostgreSQL. It fails if such twins exist already: find them with
`SELECT LOWER(email) FROM partners_user GROUP BY 1 HAVING COUNT(*) > 1` and merge or rename
them first (docs/operations.md)."""

import django.db.models.functions.text
from django.db import migrations, models

from partners.migration_ops import AddUniqueConstraintConcurrently


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ('partners', '0010_tax_code_unique_messages'),
    ]

    operations = [
        AddUniqueConstraintConcurrently(
            model_name='user',
            constraint=models.UniqueConstraint(django.db.models.functions.text.Lower('email'), name='user_email_any_case_unique', violation_error_message='A user with this e-mail address already exists.'),
        ),
    ]
