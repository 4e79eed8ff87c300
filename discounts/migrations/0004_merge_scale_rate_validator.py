"""Joins the scale indexes (issue 13) with the files and rules migrations."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('discounts', '0003_rate_validator'),
        ('discounts', '0003_scale_indexes'),
    ]

    operations = [
    ]
