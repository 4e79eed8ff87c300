"""The JSON of statements (partners) and of billing's consumption and e-invoices (internal)."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from api.serializers import StrictSerializer
from statements.models import Statement, StatementLine
from statements.services.consumption import MAX_ROWS

MONEY = {"max_digits": 18, "decimal_places": 0}
RATE = {"max_digits": 5, "decimal_places": 2}


class StatementLineSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=StatementLine.Kind.choices)
    customer = serializers.IntegerField(source="customer_id", allow_null=True)
    customer_name = serializers.SerializerMethodField()
    product = serializers.SerializerMethodField()
    first_day = serializers.DateField(allow_null=True)
    last_day = serializers.DateField(allow_null=True)
    consumption = serializers.DecimalField(**MONEY)
    partner_rate = serializers.DecimalField(**RATE)
    partner_discount = serializers.DecimalField(**MONEY)
    customer_rate = serializers.DecimalField(**RATE)
    customer_discount = serializers.DecimalField(**MONEY)
    amount = serializers.DecimalField(**MONEY, help_text=_("The line's commission, in VND."))
    description = serializers.CharField()

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_customer_name(self, line):
        return line.customer.name if line.customer_id else None

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_product(self, line):
        return line.product.code if line.product_id else None


class EInvoiceSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    form = serializers.CharField()
    series = serializers.CharField()
    number = serializers.CharField()
    authority_code = serializers.CharField()
    buyer_tax_code = serializers.CharField()
    issued_on = serializers.DateField()
    pdf_url = serializers.SerializerMethodField()
    xml_url = serializers.SerializerMethodField()

    def _url(self, invoice, kind):
        if not getattr(invoice, kind):
            return None
        path = reverse("api:einvoice_file", args=[invoice.pk, kind])
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else path

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_pdf_url(self, invoice):
        return self._url(invoice, "pdf")

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_xml_url(self, invoice):
        return self._url(invoice, "xml")


class StatementSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    month = serializers.DateField(help_text=_("The month's first day."))
    status = serializers.ChoiceField(choices=Statement.Status.choices)
    consumption = serializers.DecimalField(**MONEY)
    partner_discount = serializers.DecimalField(**MONEY)
    customer_discount = serializers.DecimalField(**MONEY)
    adjustments = serializers.DecimalField(**MONEY)
    total = serializers.DecimalField(
        **MONEY,
        help_text=_("The commission: partner discount - customer discounts + adjustments."),
    )
    sent_at = serializers.DateTimeField()
    pdf_url = serializers.SerializerMethodField()

    @extend_schema_field(serializers.URLField())
    def get_pdf_url(self, statement):
        path = reverse("api:statement_pdf", args=[statement.pk])
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else path


class StatementDetailSerializer(StatementSerializer):
    lines = serializers.SerializerMethodField(
        help_text=_("Where its lines are: `GET statements/{id}/lines/`, a page at a time.")
    )
    einvoices = EInvoiceSerializer(many=True, source="ordered_einvoices")

    @extend_schema_field(serializers.URLField())
    def get_lines(self, statement):
        request = self.context.get("request")
        path = reverse("api:statement_lines", args=[statement.pk])
        return request.build_absolute_uri(path) if request else path


class ConsumptionRowSerializer(serializers.Serializer):
    account_id = serializers.CharField(help_text=_("VNG Cloud's account id."))
    day = serializers.CharField(help_text=_("YYYY-MM-DD"))
    product = serializers.CharField(help_text=_("The product's code, e.g. vserver."))
    amount = serializers.CharField(help_text=_('Whole VND at list price, e.g. "125000".'))


class ConsumptionInSerializer(serializers.Serializer):
    rows = serializers.ListField(
        child=serializers.DictField(),
        max_length=MAX_ROWS,
        allow_empty=False,
        help_text=_(
            "Up to %(max)s rows {account_id, day, product, amount}; one value per account, day "
            "and product (a new value replaces the old one)."
        )
        % {"max": MAX_ROWS},
    )


class RowErrorSerializer(serializers.Serializer):
    row = serializers.IntegerField(help_text=_("The row's number, from 1."))
    error = serializers.CharField()


class ConsumptionReportSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    corrected = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    redrafted = serializers.IntegerField(help_text=_("Draft statements recomputed."))
    adjustments = serializers.IntegerField(
        help_text=_("Changes to months already sent, carried to the next statement.")
    )
    errors = RowErrorSerializer(many=True)


class EInvoiceInSerializer(StrictSerializer):
    statement = serializers.IntegerField(required=False, allow_null=True)
    top_up = serializers.IntegerField(required=False, allow_null=True)
    form = serializers.CharField(max_length=1)
    series = serializers.CharField(max_length=6)
    number = serializers.CharField(max_length=8)
    authority_code = serializers.CharField(max_length=50, required=False, allow_blank=True)
    buyer_tax_code = serializers.CharField(max_length=14)
    issued_on = serializers.DateField()
    pdf = serializers.FileField(required=False)
    xml = serializers.FileField(required=False)


class PDFQuerySerializer(serializers.Serializer):
    lang = serializers.ChoiceField(
        choices=[("vi", "Tiếng Việt"), ("en", "English")], required=False, allow_blank=True
    )
