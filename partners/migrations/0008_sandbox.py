"""Issue 24, the sandbox: a partner's sandbox organisation (`Partner.sandbox_of`) and its test
customers (`Customer.sandbox`), which carry real tax codes. The tax codes stay unique among
real partners and customers (partial unique indexes, built CONCURRENTLY on PostgreSQL) and
within each sandbox; the old unique constraints go after their replacements exist (the
customers' `_like` index for prefix searches stays). Nullable columns without an index:
adding them rewrites nothing."""

import django.core.validators
import django.db.models.deletion
from django.db import migrations, models

from partners.migration_ops import AddUniqueConstraintConcurrently, DropUniqueKeepIndexes

TAX_CODE = django.core.validators.RegexValidator(
    '^[0-9]{10}(-[0-9]{3})?$',
    'A tax code is 10 digits, or 10 digits, a dash and 3 digits for a branch.',
)


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ('partners', '0007_customer_updated_at'),
    ]

    operations = [
        migrations.AddField(
            model_name='customer',
            name='sandbox',
            field=models.ForeignKey(blank=True, db_index=False, editable=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='partners.partner', verbose_name='sandbox'),
        ),
        migrations.AddField(
            model_name='partner',
            name='sandbox_of',
            field=models.OneToOneField(blank=True, editable=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='sandbox', to='partners.partner', verbose_name='sandbox of'),
        ),
        AddUniqueConstraintConcurrently(
            model_name='customer',
            constraint=models.UniqueConstraint(condition=models.Q(('sandbox__isnull', True)), fields=('tax_code',), name='customer_tax_code_unique'),
        ),
        AddUniqueConstraintConcurrently(
            model_name='customer',
            constraint=models.UniqueConstraint(condition=models.Q(('sandbox__isnull', False)), fields=('sandbox', 'tax_code'), name='customer_sandbox_tax_code_unique'),
        ),
        AddUniqueConstraintConcurrently(
            model_name='partner',
            constraint=models.UniqueConstraint(condition=models.Q(('sandbox_of__isnull', True)), fields=('tax_code',), name='partner_tax_code_unique'),
        ),
        DropUniqueKeepIndexes(
            model_name='customer',
            name='tax_code',
            field=models.CharField(db_index=True, max_length=14, validators=[TAX_CODE], verbose_name='tax code'),
        ),
        migrations.AlterField(
            model_name='partner',
            name='tax_code',
            field=models.CharField(max_length=14, validators=[TAX_CODE], verbose_name='tax code'),
        ),
    ]
