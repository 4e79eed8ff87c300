"""Issue 22 (a hostile walk of the staff forms): an e-invoice's number, series and buyer's tax code
take ASCII digits only (`\\d` took "١٢٣" too), the tax code by the customers' own rule
(partners.models.tax_code_validator). Validators only: no SQL."""

import django.core.validators
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('statements', '0002_statementline_statement_id'),
    ]

    operations = [
        migrations.AlterField(
            model_name='einvoice',
            name='buyer_tax_code',
            field=models.CharField(max_length=14, validators=[django.core.validators.RegexValidator('^[0-9]{10}(-[0-9]{3})?$', 'A tax code is 10 digits, or 10 digits, a dash and 3 digits for a branch.')], verbose_name="buyer's tax code"),
        ),
        migrations.AlterField(
            model_name='einvoice',
            name='number',
            field=models.CharField(max_length=8, validators=[django.core.validators.RegexValidator('^[0-9]{1,8}$', 'The invoice number is 1 to 8 digits.')], verbose_name='number'),
        ),
        migrations.AlterField(
            model_name='einvoice',
            name='series',
            field=models.CharField(max_length=6, validators=[django.core.validators.RegexValidator('^[CK][0-9]{2}[TDLMNBGH][A-Z0-9]{2}$', 'The series (ký hiệu) is 6 characters such as C26TAA.')], verbose_name='series (ký hiệu)'),
        ),
    ]
