"""The Invitation model moves from the partners app to accounts; its table stays.

Only Django's idea of the model moves (SeparateDatabaseAndState); the table keeps its name
(`partners_invitation`, set in Meta.db_table) and its rows, and the content type is renamed so
staff permissions and admin history follow it. partners 0005 removes the old state after this.
"""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


def rename_content_type(apps, schema_editor, old="partners", new="accounts"):
    """The content type (and so the permissions and admin history) follows the model. A type
    Django made meanwhile under the new label (post_migrate after a partial migrate) gives way
    to the old one, which holds the history."""
    types = apps.get_model("contenttypes", "ContentType").objects.using(
        schema_editor.connection.alias
    )
    if types.filter(app_label=old, model="invitation").exists():
        types.filter(app_label=new, model="invitation").delete()
        types.filter(app_label=old, model="invitation").update(app_label=new)


def rename_content_type_back(apps, schema_editor):
    rename_content_type(apps, schema_editor, old="accounts", new="partners")


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("partners", "0004_customer_owner"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="Invitation",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("email", models.EmailField(max_length=254, verbose_name="e-mail address")),
                        ("role", models.CharField(choices=[("admin", "Admin"), ("member", "Member")], max_length=20, verbose_name="role")),
                        ("token_hash", models.CharField(editable=False, max_length=64, unique=True)),
                        ("created_at", models.DateTimeField(default=django.utils.timezone.now, verbose_name="created at")),
                        ("expires_at", models.DateTimeField(verbose_name="expires at")),
                        ("accepted_at", models.DateTimeField(blank=True, null=True, verbose_name="accepted at")),
                        ("revoked_at", models.DateTimeField(blank=True, null=True, verbose_name="revoked at")),
                        ("invited_by", models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="+", to=settings.AUTH_USER_MODEL, verbose_name="invited by")),
                        ("partner", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="invitations", to="partners.partner", verbose_name="partner")),
                    ],
                    options={
                        "verbose_name": "invitation",
                        "verbose_name_plural": "invitations",
                        "db_table": "partners_invitation",
                        "ordering": ("-created_at",),
                        "constraints": [
                            models.UniqueConstraint(condition=models.Q(("accepted_at__isnull", True), ("revoked_at__isnull", True)), fields=("partner", "email"), name="one_open_invitation_per_email"),
                            models.CheckConstraint(condition=models.Q(("expires_at__gt", models.F("created_at"))), name="invitation_expires_after_creation"),
                            models.CheckConstraint(condition=models.Q(("accepted_at__isnull", True), ("revoked_at__isnull", True), _connector="OR"), name="invitation_accepted_or_revoked_not_both"),
                        ],
                    },
                ),
            ],
            database_operations=[
                migrations.RunPython(rename_content_type, rename_content_type_back),
            ],
        ),
    ]
