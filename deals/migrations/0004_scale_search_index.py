"""Issue 13 (scale): the deals of a partner's customers, for the deal search."""

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('deals', '0003_scale_indexes'),
        ('partners', '0002_scale_indexes'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddIndex(
            model_name='deal',
            index=models.Index(fields=['partner', 'customer'], name='deal_partner_customer'),
        ),
    ]
