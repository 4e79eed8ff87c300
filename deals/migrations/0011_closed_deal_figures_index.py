"""Issue 13 (scale): the dashboard's quarters and the reports read closed deals from one index."""

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
            index=models.Index(condition=models.Q(('closed_at__isnull', False)), fields=['partner', 'closed_at'], include=('stage', 'estimated_value', 'created_at', 'id'), name='deal_closed_figures'),
        ),
    ]
