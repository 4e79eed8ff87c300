"""Issue 13 (scale): the dashboard reads won this quarter and last from one index."""

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('deals', '0010_merge_ux_events'),
        ('partners', '0004_customer_owner'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddIndex(
            model_name='deal',
            index=models.Index(condition=models.Q(('stage', 'won')), fields=['partner', 'closed_at'], include=('estimated_value', 'id'), name='deal_won_partner_closed'),
        ),
    ]
