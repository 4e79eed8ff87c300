from django.db import migrations, models


class Migration(migrations.Migration):
    """Unsafe: NOT NULL with a Python default only; the previous release's inserts fail."""

    dependencies = [("lintapp", "0002_add_nullable_note")]
    operations = [
        migrations.AddField("book", "author", models.CharField(max_length=100, default="?")),
    ]
