"""Invitation now lives in the accounts app (accounts 0001 took it over, table and rows
included); only Django's state of the model is removed here, never the table."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("partners", "0004_customer_owner"),
        ("accounts", "0001_invitation_from_partners"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="Invitation")],
        ),
    ]
