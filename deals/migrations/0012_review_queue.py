"""Issue 22: the review queue and the programme view.

- `submitted_at`: when a registration entered the review queue. Added without a default (no
  rewrite of the deal table), then given the database default now(), so registrations made
  by the previous release while this one rolls out get one too. Deals waiting for review get
  theirs from their history (the newest entry that made them pending: the registration or the
  resubmission); the rest keep none (their created_at stands in, in the programme's review
  times).
- `review_taken_by`/`review_taken_at`: who took the registration from the queue. No index of
  its own on the whole table (the queue's partial index serves it).
- `DayOff`: the staff's extra days off.
- The queue's partial indexes and the programme's, built CONCURRENTLY on PostgreSQL (the
  migration is not atomic): the deal table stays writable meanwhile.
"""

import django.db.models.deletion
import django.db.models.functions.datetime
from django.conf import settings
from django.db import migrations, models

from partners.migration_ops import AddIndexConcurrently

BACKFILL = """
UPDATE deals_deal SET submitted_at = COALESCE(
    (SELECT MAX(s.at) FROM deals_stagechange s
     WHERE s.deal_id = deals_deal.id AND s.to_status = 'pending'),
    created_at
)
WHERE status = 'pending' AND submitted_at IS NULL
"""


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ('deals', '0011_closed_deal_figures_index'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='DayOff',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('day', models.DateField(unique=True, verbose_name='day')),
                ('name', models.CharField(max_length=200, verbose_name='name')),
            ],
            options={
                'verbose_name': 'day off',
                'verbose_name_plural': 'days off',
                'ordering': ('-day',),
            },
        ),
        migrations.AddField(
            model_name='deal',
            name='review_taken_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='taken for review at'),
        ),
        migrations.AddField(
            model_name='deal',
            name='review_taken_by',
            field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='taken for review by'),
        ),
        migrations.AddField(
            model_name='deal',
            name='submitted_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='submitted for review at'),
        ),
        migrations.AlterField(
            model_name='deal',
            name='submitted_at',
            field=models.DateTimeField(blank=True, db_default=django.db.models.functions.datetime.Now(), null=True, verbose_name='submitted for review at'),
        ),
        migrations.RunSQL(BACKFILL, migrations.RunSQL.noop),
        AddIndexConcurrently(
            model_name='deal',
            index=models.Index(condition=models.Q(('status', 'pending')), fields=['submitted_at', 'id'], name='deal_review_queue'),
        ),
        AddIndexConcurrently(
            model_name='deal',
            index=models.Index(condition=models.Q(('status', 'pending')), fields=['partner', 'submitted_at', 'id'], name='deal_review_queue_partner'),
        ),
        AddIndexConcurrently(
            model_name='deal',
            index=models.Index(condition=models.Q(('status', 'pending')), fields=['review_taken_by', 'submitted_at', 'id'], name='deal_review_queue_taker'),
        ),
        AddIndexConcurrently(
            model_name='deal',
            index=models.Index(fields=['created_at', 'id'], name='deal_created_at'),
        ),
        AddIndexConcurrently(
            model_name='deal',
            index=models.Index(condition=models.Q(('reviewed_at__isnull', False)), fields=['reviewed_at'], include=('status', 'submitted_at', 'created_at', 'id'), name='deal_reviewed_figures'),
        ),
    ]
