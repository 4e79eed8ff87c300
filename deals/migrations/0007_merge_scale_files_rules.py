"""Joins the scale indexes (issue 13) with the files and rules migrations."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('deals', '0004_scale_search_index'),
        ('deals', '0006_merge_files_rules'),
    ]

    operations = [
    ]
