from django.db import migrations


class Migration(migrations.Migration):
    """Unsafe: drops a column the previous release still reads."""

    dependencies = [("lintapp", "0003_add_not_null_author")]
    operations = [migrations.RemoveField("book", "title")]
