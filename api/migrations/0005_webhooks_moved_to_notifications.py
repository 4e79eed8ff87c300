"""The webhook models now live in the notifications app (notifications 0003 took them over,
tables and rows included); only Django's state of them is removed here, never the tables."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("api", "0004_webhook_endpoints_deleted"),
        ("notifications", "0003_webhooks_from_api"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name="WebhookDelivery"),
                migrations.DeleteModel(name="WebhookEndpoint"),
            ],
        ),
    ]
