"""The webhook models move from the api app to notifications (webhooks are a delivery channel
beside e-mail and the bell); their tables stay.

Only Django's idea of the models moves (SeparateDatabaseAndState); the tables keep their names
(`api_webhookendpoint`, `api_webhookdelivery`, set in Meta.db_table) and their rows, and the
content types are renamed so staff permissions and admin history follow them. api 0005 removes
the old state after this.
"""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

MODELS = ("webhookendpoint", "webhookdelivery")


def rename_content_types(apps, schema_editor, old="api", new="notifications"):
    """The content types (and so the permissions and admin history) follow the models. A type
    Django made meanwhile under the new label (post_migrate after a partial migrate) gives way
    to the old one, which holds the history."""
    types = apps.get_model("contenttypes", "ContentType").objects.using(
        schema_editor.connection.alias
    )
    for model in MODELS:
        if types.filter(app_label=old, model=model).exists():
            types.filter(app_label=new, model=model).delete()
            types.filter(app_label=old, model=model).update(app_label=new)


def rename_content_types_back(apps, schema_editor):
    rename_content_types(apps, schema_editor, old="notifications", new="api")


class Migration(migrations.Migration):
    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("notifications", "0002_reviewers_group"),
        ("partners", "0005_invitation_moved_to_accounts"),
        # The tables were made (and last changed) by the api app's migrations.
        ("api", "0004_webhook_endpoints_deleted"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="WebhookEndpoint",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("url", models.URLField(max_length=500, verbose_name="URL")),
                        ("secret", models.CharField(editable=False, max_length=100, verbose_name="signing secret")),
                        ("event_types", models.JSONField(default=list, verbose_name="event types")),
                        ("created_at", models.DateTimeField(default=django.utils.timezone.now, verbose_name="created at")),
                        ("deleted_at", models.DateTimeField(blank=True, null=True, verbose_name="deleted at")),
                        ("created_by", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="+", to=settings.AUTH_USER_MODEL, verbose_name="created by")),
                        ("deleted_by", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="+", to=settings.AUTH_USER_MODEL, verbose_name="deleted by")),
                        ("partner", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="webhook_endpoints", to="partners.partner", verbose_name="partner")),
                    ],
                    options={
                        "verbose_name": "webhook endpoint",
                        "verbose_name_plural": "webhook endpoints",
                        "db_table": "api_webhookendpoint",
                        "ordering": ("-created_at", "-pk"),
                    },
                ),
                migrations.CreateModel(
                    name="WebhookDelivery",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("status", models.CharField(choices=[("pending", "Waiting to be sent"), ("sending", "Being sent"), ("delivered", "Delivered"), ("failed", "Failed")], default="pending", max_length=10, verbose_name="status")),
                        ("attempts", models.PositiveSmallIntegerField(default=0, verbose_name="attempts")),
                        ("next_attempt_at", models.DateTimeField(blank=True, null=True, verbose_name="next attempt at")),
                        ("give_up_at", models.DateTimeField(verbose_name="retried until")),
                        ("claimed_at", models.DateTimeField(blank=True, null=True, verbose_name="claimed at")),
                        ("delivered_at", models.DateTimeField(blank=True, null=True, verbose_name="delivered at")),
                        ("last_response_code", models.PositiveSmallIntegerField(blank=True, null=True, verbose_name="last response code")),
                        ("last_error", models.TextField(blank=True, verbose_name="last error")),
                        ("created_at", models.DateTimeField(default=django.utils.timezone.now, verbose_name="created at")),
                        ("event", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="webhook_deliveries", to="notifications.event", verbose_name="event")),
                        ("endpoint", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="deliveries", to="notifications.webhookendpoint", verbose_name="endpoint")),
                    ],
                    options={
                        "verbose_name": "webhook delivery",
                        "verbose_name_plural": "webhook deliveries",
                        "db_table": "api_webhookdelivery",
                        "ordering": ("-created_at", "-pk"),
                        "indexes": [models.Index(condition=models.Q(("status__in", ["pending", "sending"])), fields=["next_attempt_at"], name="webhook_delivery_waiting"), models.Index(fields=["endpoint", "-created_at"], name="webhook_delivery_log")],
                        "constraints": [models.UniqueConstraint(fields=("event", "endpoint"), name="one_webhook_delivery_per_event_endpoint")],
                    },
                ),
            ],
            database_operations=[
                migrations.RunPython(rename_content_types, rename_content_types_back),
            ],
        ),
    ]
