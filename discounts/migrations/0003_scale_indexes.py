"""Issue 13 (scale): indexes for the Discount list."""

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('discounts', '0002_initial'),
        ('partners', '0001_initial'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddIndex(
            model_name='discount',
            index=models.Index(fields=['partner', 'created_at', 'id'], name='discount_partner_created_id'),
        ),
        migrations.AddIndex(
            model_name='discount',
            index=models.Index(fields=['partner', 'status', 'created_at', 'id'], name='discount_partner_status_id'),
        ),
    ]
