"""Issue 22: the "review overdue" kind of event (the review queue's alarm for staff)."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('notifications', '0004_activity_log'),
    ]

    operations = [
        migrations.AlterField(
            model_name='event',
            name='kind',
            field=models.CharField(choices=[('deal_registered', 'Deal registered'), ('deal_resubmitted', 'Deal resubmitted'), ('deal_approved', 'Registration approved'), ('deal_sent_back', 'Registration sent back'), ('deal_rejected', 'Registration rejected'), ('stage_changed', 'Stage changed'), ('deal_won', 'Deal won'), ('deal_lost', 'Deal lost'), ('win_voided', 'Win voided'), ('discount_issued', 'Discount issued'), ('discount_revoked', 'Discount revoked'), ('customer_discount_created', 'Customer discount created'), ('customer_discount_ended', 'Customer discount revoked or ended'), ('protection_expiring', 'Protection expiring soon'), ('protection_expired', 'Protection expired'), ('conflict_flagged', 'Possible conflict flagged'), ('review_overdue', 'Review overdue')], max_length=40, verbose_name='kind'),
        ),
    ]
