"""Issue 13 (scale): list indexes ending in the id, trigram search, partner-keyed history,
deal counters for the dashboard."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models
from django.db.models import BooleanField, Count, ExpressionWrapper, OuterRef, Q, Subquery, Sum

from partners.migration_ops import PostgresOnlySQL


def fill_stage_change_partner(apps, schema_editor):
    StageChange = apps.get_model("deals", "StageChange")
    Deal = apps.get_model("deals", "Deal")
    partner = Deal.objects.filter(pk=OuterRef("deal_id")).values("partner_id")[:1]
    StageChange.objects.filter(partner__isnull=True).update(partner_id=Subquery(partner))


def count_deals(apps, schema_editor):
    Deal = apps.get_model("deals", "Deal")
    DealCounter = apps.get_model("deals", "DealCounter")
    rows = (
        Deal.objects.order_by()
        .annotate(is_open=ExpressionWrapper(Q(closed_at__isnull=True), output_field=BooleanField()))
        .values("partner_id", "stage", "status", "is_open")
        .annotate(n=Count("pk"), v=Sum("estimated_value"))
    )
    DealCounter.objects.bulk_create(
        DealCounter(
            partner_id=row["partner_id"],
            stage=row["stage"],
            status=row["status"],
            is_open=row["is_open"],
            count=row["n"],
            value=row["v"] or 0,
        )
        for row in rows
    )


class Migration(migrations.Migration):

    dependencies = [
        ('deals', '0002_initial'),
        ('partners', '0002_scale_indexes'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='DealCounter',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('stage', models.CharField(choices=[('prospect', 'Prospect'), ('qualified', 'Qualified'), ('proposal', 'Proposal'), ('negotiation', 'Negotiation'), ('won', 'Won'), ('lost', 'Lost')], max_length=20, verbose_name='stage')),
                ('status', models.CharField(choices=[('pending', 'Pending review'), ('approved', 'Approved'), ('action_required', 'Action required'), ('rejected', 'Rejected')], max_length=20, verbose_name='review status')),
                ('is_open', models.BooleanField(verbose_name='open')),
                ('count', models.BigIntegerField(default=0, verbose_name='deals')),
                ('value', models.DecimalField(decimal_places=0, default=0, max_digits=24, verbose_name='estimated value (VND)')),
            ],
            options={
                'verbose_name': 'deal counter',
                'verbose_name_plural': 'deal counters',
            },
        ),
        migrations.RemoveIndex(
            model_name='deal',
            name='deal_partner_updated',
        ),
        migrations.RemoveIndex(
            model_name='deal',
            name='deal_partner_stage',
        ),
        migrations.AddField(
            model_name='stagechange',
            name='partner',
            field=models.ForeignKey(editable=False, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='partners.partner', verbose_name='partner'),
        ),
        migrations.AddIndex(
            model_name='attachment',
            index=models.Index(fields=['deal', 'uploaded_at', 'id'], name='attachment_deal_uploaded_id'),
        ),
        migrations.AddIndex(
            model_name='deal',
            index=models.Index(fields=['partner', 'updated_at', 'id'], name='deal_partner_updated_id'),
        ),
        migrations.AddIndex(
            model_name='deal',
            index=models.Index(fields=['partner', 'estimated_value', 'id'], name='deal_partner_value_id'),
        ),
        migrations.AddIndex(
            model_name='deal',
            index=models.Index(fields=['partner', 'expected_close_date', 'id'], name='deal_partner_close_id'),
        ),
        migrations.AddIndex(
            model_name='deal',
            index=models.Index(fields=['partner', 'stage', 'updated_at', 'id'], name='deal_partner_stage_updated'),
        ),
        migrations.AddIndex(
            model_name='deal',
            index=models.Index(fields=['partner', 'stage', 'estimated_value', 'id'], name='deal_partner_stage_value'),
        ),
        migrations.AddIndex(
            model_name='deal',
            index=models.Index(fields=['partner', 'stage', 'expected_close_date', 'id'], name='deal_partner_stage_close'),
        ),
        migrations.AddIndex(
            model_name='note',
            index=models.Index(fields=['deal', 'created_at', 'id'], name='note_deal_created_id'),
        ),
        migrations.AddIndex(
            model_name='stagechange',
            index=models.Index(fields=['partner', 'at', 'id'], name='stagechange_partner_at_id'),
        ),
        migrations.AddIndex(
            model_name='stagechange',
            index=models.Index(fields=['deal', 'at', 'id'], name='stagechange_deal_at_id'),
        ),
        migrations.AddField(
            model_name='dealcounter',
            name='partner',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='partners.partner', verbose_name='partner'),
        ),
        migrations.AddConstraint(
            model_name='dealcounter',
            constraint=models.UniqueConstraint(fields=('partner', 'stage', 'status', 'is_open'), name='one_counter_per_bucket'),
        ),
        migrations.RunPython(fill_stage_change_partner, migrations.RunPython.noop),
        migrations.AlterField(
            model_name='stagechange',
            name='partner',
            field=models.ForeignKey(editable=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='partners.partner', verbose_name='partner'),
        ),
        migrations.RunPython(count_deals, migrations.RunPython.noop),
        # Title search (Django's icontains is UPPER(title::text) LIKE UPPER('%q%') on
        # PostgreSQL); SQLite has no trigram indexes and scans instead.
        PostgresOnlySQL(
            "CREATE INDEX deal_title_trgm ON deals_deal USING gin ((UPPER(title::text)) gin_trgm_ops)",
            "DROP INDEX IF EXISTS deal_title_trgm",
        ),
    ]
