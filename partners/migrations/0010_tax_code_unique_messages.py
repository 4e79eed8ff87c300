"""Issue 22: the unique tax codes say what is wrong when a staff form meets them ("A partner
with this tax code already exists."). Only the migration state changes: no SQL."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('partners', '0009_customer_owner_name_upper'),
    ]

    operations = [
        migrations.AlterConstraint(
            model_name='customer',
            name='customer_tax_code_unique',
            constraint=models.UniqueConstraint(condition=models.Q(('sandbox__isnull', True)), fields=('tax_code',), name='customer_tax_code_unique', violation_error_message='A customer with this tax code already exists.'),
        ),
        migrations.AlterConstraint(
            model_name='partner',
            name='partner_tax_code_unique',
            constraint=models.UniqueConstraint(condition=models.Q(('sandbox_of__isnull', True)), fields=('tax_code',), name='partner_tax_code_unique', violation_error_message='A partner with this tax code already exists.'),
        ),
    ]
