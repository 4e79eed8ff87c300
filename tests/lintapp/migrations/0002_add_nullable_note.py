from django.db import migrations, models


class Migration(migrations.Migration):
    """Safe beside the previous release: a nullable column."""

    dependencies = [("lintapp", "0001_initial")]
    operations = [
        migrations.AddField("book", "note", models.TextField(null=True)),
        migrations.AddField("book", "isbn", models.CharField(max_length=13, db_default="")),
    ]
