from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Now
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from discounts.rates import RateField, rate_in_range  # noqa: F401 - migrations name RateField here
from web.versions import version_of

# A revocation's reason: the partner reads it on the discount and in the e-mail.
REVOKE_REASON_MAX_LENGTH = 1000


class DiscountStatus(models.TextChoices):
    """Stored status. "Expired" is not stored: it follows from the dates (see effective_status)."""

    ACTIVE = "active", _("Active")
    REVOKED = "revoked", _("Revoked")


class EffectiveStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    EXPIRED = "expired", _("Expired")
    REVOKED = "revoked", _("Revoked")
    SCHEDULED = "scheduled", _("Not yet valid")


def effective_status(status, valid_from, valid_until, today=None):
    today = today or timezone.localdate()
    if status == DiscountStatus.REVOKED:
        return EffectiveStatus.REVOKED
    if valid_until < today:
        return EffectiveStatus.EXPIRED
    if valid_from > today:
        return EffectiveStatus.SCHEDULED
    return EffectiveStatus.ACTIVE


def valid_window(name):
    return models.CheckConstraint(condition=Q(valid_until__gte=models.F("valid_from")), name=name)


class Discount(models.Model):
    """The partner's discount issued by a won deal."""

    Status = DiscountStatus

    partner = models.ForeignKey(
        "partners.Partner",
        on_delete=models.PROTECT,
        related_name="discounts",
        verbose_name=_("partner"),
    )
    deal = models.OneToOneField(
        "deals.Deal", on_delete=models.PROTECT, related_name="discount", verbose_name=_("deal")
    )
    customer = models.ForeignKey(
        "partners.Customer",
        on_delete=models.PROTECT,
        related_name="partner_discounts",
        verbose_name=_("customer"),
    )
    valid_from = models.DateField(_("valid from"))
    valid_until = models.DateField(_("valid until"))
    status = models.CharField(
        _("status"), max_length=20, choices=DiscountStatus.choices, default=DiscountStatus.ACTIVE
    )
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("revoked by"),
    )
    revoke_reason = models.TextField(_("revocation reason"), blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    # The API's ?updated_since= and ETags. The database fills it for rows the release before
    # it inserts, and for the rows there were when it was added (their "last change" is then
    # the migration).
    updated_at = models.DateTimeField(_("updated at"), auto_now=True, db_default=Now())

    class Meta:
        verbose_name = _("discount")
        verbose_name_plural = _("discounts")
        ordering = ("-created_at", "-pk")
        # The Discount list: newest first, all or by stored status; each ends in the id.
        indexes = [
            models.Index(
                fields=["partner", "created_at", "id"], name="discount_partner_created_id"
            ),
            models.Index(
                fields=["partner", "status", "created_at", "id"], name="discount_partner_status_id"
            ),
            # The dashboard's "discounts ending soon" and the list's ?ending=soon.
            models.Index(fields=["partner", "valid_until"], name="discount_partner_until"),
            # The API's ?updated_since=: the partner's discounts in update order.
            models.Index(
                fields=["partner", "updated_at", "id"], name="discount_partner_updated_id"
            ),
            # Staff's discount list (all partners): its sorts, each ending in the id.
            models.Index(fields=["created_at", "id"], name="discount_created_id"),
            models.Index(fields=["valid_from", "id"], name="discount_valid_from_id"),
            models.Index(fields=["valid_until", "id"], name="discount_valid_until_id"),
        ]
        constraints = [valid_window("discount_valid_window")]

    def __str__(self):
        return f"{self.partner} / {self.deal}"

    def get_absolute_url(self):
        return reverse("discount_detail", args=[self.pk])

    @property
    def effective_status(self):
        return effective_status(self.status, self.valid_from, self.valid_until)

    @property
    def version(self) -> str:
        """The discount's version (see web.versions); its effective status also changes
        with the date alone."""
        return f"{version_of(self.updated_at)}-{self.effective_status}"


class DiscountLine(models.Model):
    discount = models.ForeignKey(
        Discount, on_delete=models.CASCADE, related_name="lines", verbose_name=_("discount")
    )
    product = models.ForeignKey(
        "deals.Product", on_delete=models.PROTECT, related_name="+", verbose_name=_("product")
    )
    rate = RateField(_("rate (%)"))

    class Meta:
        verbose_name = _("discount line")
        verbose_name_plural = _("discount lines")
        ordering = ("product__name",)
        constraints = [
            models.UniqueConstraint(
                fields=["discount", "product"], name="one_line_per_discount_product"
            ),
            rate_in_range("discount_line_rate_in_range"),
        ]

    def __str__(self):
        return f"{self.product}: {self.rate}%"


class CustomerDiscount(models.Model):
    """A discount the partner gives one of its customers, drawn on a partner discount."""

    Status = DiscountStatus

    discount = models.ForeignKey(
        Discount,
        on_delete=models.PROTECT,
        related_name="customer_discounts",
        verbose_name=_("partner discount"),
    )
    customer = models.ForeignKey(
        "partners.Customer",
        on_delete=models.PROTECT,
        related_name="customer_discounts",
        verbose_name=_("customer"),
    )
    valid_from = models.DateField(_("valid from"))
    valid_until = models.DateField(_("valid until"))
    status = models.CharField(
        _("status"), max_length=20, choices=DiscountStatus.choices, default=DiscountStatus.ACTIVE
    )
    note = models.TextField(_("note"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("revoked by"),
    )

    class Meta:
        verbose_name = _("customer discount")
        verbose_name_plural = _("customer discounts")
        ordering = ("-created_at", "-pk")
        # Staff's list of all customer discounts, newest first.
        indexes = [models.Index(fields=["created_at", "id"], name="customer_discount_created_id")]
        constraints = [
            valid_window("customer_discount_valid_window"),
            models.UniqueConstraint(
                fields=["discount", "customer"],
                condition=Q(status=DiscountStatus.ACTIVE),
                name="one_active_customer_discount",
            ),
        ]

    def __str__(self):
        return f"{self.customer} / {self.discount}"

    @property
    def effective_status(self):
        return effective_status(self.status, self.valid_from, self.valid_until)


class CustomerDiscountLine(models.Model):
    customer_discount = models.ForeignKey(
        CustomerDiscount,
        on_delete=models.CASCADE,
        related_name="lines",
        verbose_name=_("customer discount"),
    )
    product = models.ForeignKey(
        "deals.Product", on_delete=models.PROTECT, related_name="+", verbose_name=_("product")
    )
    rate = RateField(_("rate (%)"))

    class Meta:
        verbose_name = _("customer discount line")
        verbose_name_plural = _("customer discount lines")
        ordering = ("product__name",)
        constraints = [
            models.UniqueConstraint(
                fields=["customer_discount", "product"],
                name="one_line_per_customer_discount_product",
            ),
            rate_in_range("customer_discount_line_rate_in_range"),
        ]

    def __str__(self):
        return f"{self.product}: {self.rate}%"


class DiscountCounter(models.Model):
    """How many discounts a partner was issued and how many customer discounts it passed on
    in one month (by the local day they were created): what the reports page shows, read
    without counting the discounts. Kept by `discounts.counters` in the transaction that
    creates them; `rebuild_deal_counters` recomputes them with the deal counters."""

    partner = models.ForeignKey(
        "partners.Partner", on_delete=models.CASCADE, related_name="+", verbose_name=_("partner")
    )
    month = models.DateField(_("month"))
    issued = models.BigIntegerField(_("discounts issued"), default=0)
    passed_on = models.BigIntegerField(_("customer discounts passed on"), default=0)

    class Meta:
        verbose_name = _("discount counter")
        verbose_name_plural = _("discount counters")
        constraints = [
            models.UniqueConstraint(
                fields=["partner", "month"], name="one_discount_counter_a_month"
            )
        ]

    def __str__(self):
        return f"{self.partner_id} {self.month:%Y-%m}: {self.issued}/{self.passed_on}"
