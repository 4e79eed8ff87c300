"""The money loop's second half: consumption from billing, monthly statements, adjustments,
the statement's thread, and the e-invoice references VNG's invoicing provider issued.

Money is `Decimal` VND, whole đồng (`billing.models.MONEY`). A `Consumption` row is one
(cloud account, day, product): a correction replaces it. Its `partner` is fixed when it
arrives, from the account's link history on that day, so nothing reaches a partner who did not
hold the account that day. A `Statement` is one per (partner, month), enforced by the
database; its lines are recomputed while it is a draft and frozen once sent.
"""

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from billing.models import MONEY
from partners.models import tax_code_validator
from web.formats import grouped

# A rate in percent, as discounts store them (0.00-100.00).
RATE = {"max_digits": 5, "decimal_places": 2}


class Consumption(models.Model):
    """What a cloud account consumed of a product on a day (list price, VND)."""

    class Source(models.TextChoices):
        API = "api", _("Billing's internal API")
        IMPORT = "import", _("Staff CSV import")

    cloud_account = models.ForeignKey(
        "billing.CloudAccount",
        on_delete=models.PROTECT,
        related_name="consumption",
        verbose_name=_("account"),
    )
    day = models.DateField(_("day"))
    product = models.ForeignKey(
        "deals.Product", on_delete=models.PROTECT, related_name="+", verbose_name=_("product")
    )
    amount = models.DecimalField(_("amount (VND)"), **MONEY)
    # Fixed on arrival from the account's link history that day; None: no partner held it.
    partner = models.ForeignKey(
        "partners.Partner",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("partner that day"),
    )
    customer = models.ForeignKey(
        "partners.Customer", on_delete=models.PROTECT, related_name="+", verbose_name=_("customer")
    )
    source = models.CharField(_("source"), max_length=10, choices=Source.choices)
    received_at = models.DateTimeField(_("received at"), default=timezone.now)
    corrections = models.PositiveIntegerField(_("corrections"), default=0)

    class Meta:
        verbose_name = _("consumption")
        verbose_name_plural = _("consumption")
        ordering = ("-day", "-pk")
        indexes = [
            # A partner's month, read when its statement is drafted.
            models.Index(fields=["partner", "day"], name="consumption_partner_day"),
            models.Index(fields=["day", "id"], name="consumption_day_id"),
            # Staff's list by source (an import among millions of rows from billing).
            models.Index(fields=["source", "day", "id"], name="consumption_source_day_id"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["cloud_account", "day", "product"], name="consumption_once_per_day"
            ),
            models.CheckConstraint(condition=Q(amount__gte=0), name="consumption_not_negative"),
        ]

    def __str__(self):
        return f"{self.cloud_account} {self.day} {self.product}: {grouped(self.amount)}"


class Statement(models.Model):
    """A partner's monthly statement: draft -> sent (frozen) -> confirmed | disputed -> paid."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SENT = "sent", _("Sent")
        CONFIRMED = "confirmed", _("Confirmed")
        DISPUTED = "disputed", _("Disputed")
        PAID = "paid", _("Paid")

    # The partner sees a statement once staff sent it.
    VISIBLE = (Status.SENT, Status.CONFIRMED, Status.DISPUTED, Status.PAID)

    partner = models.ForeignKey(
        "partners.Partner",
        on_delete=models.PROTECT,
        related_name="statements",
        verbose_name=_("partner"),
    )
    # The month's first day.
    month = models.DateField(_("month"))
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.DRAFT
    )
    consumption = models.DecimalField(_("consumption (VND)"), default=0, **MONEY)
    partner_discount = models.DecimalField(_("partner discount (VND)"), default=0, **MONEY)
    customer_discount = models.DecimalField(
        _("customer discounts passed on (VND)"), default=0, **MONEY
    )
    adjustments = models.DecimalField(_("adjustments (VND)"), default=0, **MONEY)
    # The partner's commission: partner discount - customer discounts + adjustments.
    total = models.DecimalField(_("commission (VND)"), default=0, **MONEY)
    drafted_at = models.DateTimeField(_("drafted at"), default=timezone.now)
    drafts = models.PositiveIntegerField(_("drafts"), default=1)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("sent by"),
    )
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("answered by"),
    )
    dispute_reason = models.TextField(_("why it is disputed"), blank=True)
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)
    paid_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("marked paid by"),
    )
    payment_reference = models.CharField(_("payment reference"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("statement")
        verbose_name_plural = _("statements")
        ordering = ("-month", "-pk")
        indexes = [
            # The partner's list, newest month first (keyset: month, id).
            models.Index(fields=["partner", "month", "id"], name="statement_partner_month"),
            models.Index(fields=["month", "id"], name="statement_month_id"),
        ]
        constraints = [
            # Exactly one statement per partner and month, whatever runs at the same time.
            models.UniqueConstraint(fields=["partner", "month"], name="statement_once_per_month"),
            models.CheckConstraint(condition=Q(month__day=1), name="statement_month_first_day"),
            models.CheckConstraint(
                condition=Q(status="draft") | Q(sent_at__isnull=False),
                name="statement_sent_has_time",
            ),
        ]

    def __str__(self):
        return f"{self.partner} {self.month:%m/%Y}"

    def get_absolute_url(self):
        from django.urls import reverse

        return reverse("statement_detail", args=[self.pk])

    @property
    def is_frozen(self) -> bool:
        return self.status != self.Status.DRAFT


class Adjustment(models.Model):
    """An amount added to (or taken from) a partner's statement of a month: a correction of a
    month whose statement was already sent, or staff's own adjustment."""

    class Kind(models.TextChoices):
        CORRECTION = "correction", _("Consumption corrected after the statement was sent")
        STAFF = "staff", _("Adjustment by VNG Cloud")

    partner = models.ForeignKey(
        "partners.Partner",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("partner"),
    )
    # The statement month it goes on (the first one not yet sent when it was made).
    month = models.DateField(_("statement month"))
    # The month it is about (a correction's day).
    about_month = models.DateField(_("about the month"))
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    consumption = models.DecimalField(_("consumption change (VND)"), default=0, **MONEY)
    amount = models.DecimalField(_("commission change (VND)"), **MONEY)
    reason = models.CharField(_("why"), max_length=500)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    created_at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        verbose_name = _("adjustment")
        verbose_name_plural = _("adjustments")
        ordering = ("-created_at", "-pk")
        indexes = [models.Index(fields=["partner", "month"], name="adjustment_partner_month")]

    def __str__(self):
        return f"{self.partner} {self.month:%m/%Y}: {grouped(self.amount)}"


class StatementLine(models.Model):
    """One line: a customer's consumption of a product over the days one pair of rates was in
    force (partner's and customer's), or one adjustment."""

    class Kind(models.TextChoices):
        CONSUMPTION = "consumption", _("Consumption")
        ADJUSTMENT = "adjustment", _("Adjustment")

    statement = models.ForeignKey(
        Statement, on_delete=models.CASCADE, related_name="lines", verbose_name=_("statement")
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    customer = models.ForeignKey(
        "partners.Customer",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("customer"),
    )
    product = models.ForeignKey(
        "deals.Product",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("product"),
    )
    first_day = models.DateField(_("from"), null=True, blank=True)
    last_day = models.DateField(_("to"), null=True, blank=True)
    consumption = models.DecimalField(_("consumption (VND)"), default=0, **MONEY)
    partner_rate = models.DecimalField(_("partner rate (%)"), default=0, **RATE)
    partner_discount = models.DecimalField(_("partner discount (VND)"), default=0, **MONEY)
    customer_rate = models.DecimalField(_("customer rate (%)"), default=0, **RATE)
    customer_discount = models.DecimalField(_("customer discount (VND)"), default=0, **MONEY)
    amount = models.DecimalField(_("commission (VND)"), default=0, **MONEY)
    adjustment = models.ForeignKey(
        Adjustment,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="lines",
        verbose_name=_("adjustment"),
    )
    description = models.CharField(_("description"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("statement line")
        verbose_name_plural = _("statement lines")
        ordering = ("kind", "customer__name", "product__name", "first_day", "pk")
        indexes = [
            # A statement's lines a page at a time (keyset on the id): drafting creates them
            # in the order they are read, so the id is that order.
            models.Index(fields=["statement", "id"], name="statementline_statement_id"),
        ]

    def __str__(self):
        return f"{self.statement}: {grouped(self.amount)}"


class StatementMessage(models.Model):
    """The thread of a statement between the partner and staff (a dispute's reason opens it)."""

    statement = models.ForeignKey(
        Statement, on_delete=models.CASCADE, related_name="messages", verbose_name=_("statement")
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("author"),
    )
    from_staff = models.BooleanField(_("from VNG Cloud"), default=False)
    text = models.TextField(_("message"))
    created_at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        verbose_name = _("statement message")
        verbose_name_plural = _("statement messages")
        ordering = ("created_at", "pk")

    def __str__(self):
        return f"{self.statement} {self.created_at:%Y-%m-%d %H:%M}"


form_validator = RegexValidator(r"^[1-6]$", _("The form (mẫu số) is one digit, 1 to 6."))
series_validator = RegexValidator(
    r"^[CK][0-9]{2}[TDLMNBGH][A-Z0-9]{2}$",
    _("The series (ký hiệu) is 6 characters such as C26TAA."),
)
# ASCII digits: `\d` also takes other scripts' digits ("١٢٣"), which sidestepped the unique
# number (form, series, number).
number_validator = RegexValidator(r"^[0-9]{1,8}$", _("The invoice number is 1 to 8 digits."))
NUMBER_WIDTH = 8


def invoice_number_forms(number: str) -> set[str]:
    """The ways one invoice number is written: as typed, and without or with leading zeros up
    to 8 digits ("137", "0000137" and "00000137" are one invoice)."""
    bare = number.lstrip("0") or "0"
    return {number, *(bare.zfill(width) for width in range(len(bare), NUMBER_WIDTH + 1))}


def einvoice_path(instance, filename):
    return f"einvoices/{instance.issued_on:%Y/%m}/{filename}"


class EInvoice(models.Model):
    """The reference of a Vietnamese e-invoice (Decree 123/2020, Circular 78/2021) issued by
    VNG's invoicing provider for a statement or a top-up; the portal only records it."""

    statement = models.ForeignKey(
        Statement,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="einvoices",
        verbose_name=_("statement"),
    )
    top_up = models.ForeignKey(
        "billing.TopUp",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("top-up"),
    )
    partner = models.ForeignKey(
        "partners.Partner",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("partner"),
    )
    form = models.CharField(_("form (mẫu số)"), max_length=1, validators=[form_validator])
    series = models.CharField(_("series (ký hiệu)"), max_length=6, validators=[series_validator])
    number = models.CharField(_("number"), max_length=8, validators=[number_validator])
    authority_code = models.CharField(_("tax authority's code"), max_length=50, blank=True)
    buyer_tax_code = models.CharField(
        _("buyer's tax code"), max_length=14, validators=[tax_code_validator]
    )
    issued_on = models.DateField(_("invoice date"))
    pdf = models.FileField(_("PDF"), upload_to=einvoice_path, max_length=300, blank=True)
    xml = models.FileField(_("XML"), upload_to=einvoice_path, max_length=300, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    recorded_by_token = models.ForeignKey(
        "billing.ServiceToken",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded by service token"),
    )
    created_at = models.DateTimeField(_("recorded at"), default=timezone.now)

    class Meta:
        verbose_name = _("e-invoice")
        verbose_name_plural = _("e-invoices")
        ordering = ("-issued_on", "-pk")
        indexes = [
            models.Index(fields=["number"], name="einvoice_number"),
            models.Index(fields=["partner", "issued_on"], name="einvoice_partner_issued"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["form", "series", "number"], name="einvoice_unique_number"
            ),
            models.CheckConstraint(
                condition=(Q(statement__isnull=False) & Q(top_up__isnull=True))
                | (Q(statement__isnull=True) & Q(top_up__isnull=False)),
                name="einvoice_statement_or_top_up",
            ),
        ]

    def __str__(self):
        return f"{self.form}{self.series} {self.number}"
