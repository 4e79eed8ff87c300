"""The money loop's first half: customers' VNG Cloud accounts, the partner's credit ledger,
top-ups waiting for billing, and billing's own service tokens.

Money is `Decimal` VND (no minor unit: whole đồng, `decimal_places=0`). The ledger is
append-only: nothing updates or deletes a `CreditEntry`; `PartnerCredit.balance` is the sum of
the partner's entries, kept by the services in the same transaction under the row's lock, and
the database refuses a negative balance.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from web.formats import grouped
from web.models import SecretToken

# VND has no minor unit; 18 digits hold any programme's money.
MONEY = {"max_digits": 18, "decimal_places": 0}
ACCOUNT_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_-]{2,63}$"


class CloudAccount(models.Model):
    """A customer's VNG Cloud account, linked to the partner that owns the customer.

    A link starts as a request (an existing account by its id, or a new account by name and
    e-mail), is confirmed by the customer through an e-mailed link and approved by staff. It
    follows the customer's ownership (`billing.services.follow_ownership`); `CloudAccountLink`
    rows keep which partner had it when.
    """

    class Kind(models.TextChoices):
        EXISTING = "existing", _("Existing account")
        NEW = "new", _("New account")

    class Status(models.TextChoices):
        AWAITING_CUSTOMER = "awaiting_customer", _("Waiting for the customer's confirmation")
        AWAITING_APPROVAL = "awaiting_approval", _("Waiting for VNG Cloud's approval")
        ACTIVE = "active", _("Linked")
        REJECTED = "rejected", _("Rejected")
        CANCELLED = "cancelled", _("Cancelled")
        UNLINKED = "unlinked", _("Unlinked")

    # Requests still in progress, and linked accounts: an account id is in at most one.
    OPEN = (Status.AWAITING_CUSTOMER, Status.AWAITING_APPROVAL, Status.ACTIVE)
    PENDING = (Status.AWAITING_CUSTOMER, Status.AWAITING_APPROVAL)

    customer = models.ForeignKey(
        "partners.Customer",
        on_delete=models.PROTECT,
        related_name="cloud_accounts",
        verbose_name=_("customer"),
    )
    # The partner holding the link now; None once unlinked (the customer has no owner).
    partner = models.ForeignKey(
        "partners.Partner",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="cloud_accounts",
        verbose_name=_("partner"),
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    # VNG Cloud's id of the account; blank for a new account until staff approve it.
    account_id = models.CharField(_("account id"), max_length=64, blank=True)
    name = models.CharField(_("account name"), max_length=200, blank=True)
    email = models.EmailField(_("customer's e-mail"))
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.AWAITING_CUSTOMER
    )
    # The credit applied to the account by confirmed top-ups (kept by the services).
    credit = models.DecimalField(_("credit applied (VND)"), default=0, **MONEY)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("requested by"),
    )
    created_at = models.DateTimeField(_("requested at"), default=timezone.now)
    confirmed_at = models.DateTimeField(_("confirmed by the customer at"), null=True, blank=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decision_note = models.CharField(_("note"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("cloud account")
        verbose_name_plural = _("cloud accounts")
        ordering = ("-created_at", "-pk")
        indexes = [
            # The partner's Cloud accounts list, newest first (keyset: created_at, id).
            models.Index(fields=["partner", "created_at", "id"], name="cloudaccount_partner_new"),
            # Staff's list, and the requests waiting for approval.
            models.Index(fields=["created_at", "id"], name="cloudaccount_created_id"),
            models.Index(
                fields=["created_at", "id"],
                condition=Q(status="awaiting_approval"),
                name="cloudaccount_awaiting",
            ),
        ]
        constraints = [
            # One VNG Cloud account is linked (or being linked) once: to one partner at a time.
            models.UniqueConstraint(
                fields=["account_id"],
                condition=~Q(account_id="")
                & Q(status__in=["awaiting_customer", "awaiting_approval", "active"]),
                name="cloudaccount_one_open_link",
            ),
            models.CheckConstraint(
                condition=Q(kind="new") | ~Q(account_id=""),
                name="cloudaccount_existing_has_id",
            ),
            models.CheckConstraint(
                condition=~Q(status="active") | ~Q(account_id=""),
                name="cloudaccount_active_has_id",
            ),
            models.CheckConstraint(condition=Q(credit__gte=0), name="cloudaccount_credit_positive"),
        ]

    def __str__(self):
        return self.account_id or self.name or f"#{self.pk}"

    @property
    def label(self) -> str:
        if self.account_id and self.name:
            return f"{self.name} ({self.account_id})"
        return self.account_id or self.name


class CloudAccountLink(models.Model):
    """Which partner held a cloud account, from when to when: the link's history."""

    class Reason(models.TextChoices):
        APPROVED = "approved", _("Approved")
        OWNERSHIP_MOVED = "ownership_moved", _("The customer moved to another partner")
        OWNERSHIP_ENDED = "ownership_ended", _("The customer has no partner now")

    cloud_account = models.ForeignKey(
        CloudAccount, on_delete=models.CASCADE, related_name="links", verbose_name=_("account")
    )
    partner = models.ForeignKey(
        "partners.Partner",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("partner"),
    )
    started_at = models.DateTimeField(_("started at"), default=timezone.now)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    start_reason = models.CharField(_("why it started"), max_length=30, choices=Reason.choices)
    end_reason = models.CharField(
        _("why it ended"), max_length=30, choices=Reason.choices, blank=True
    )

    class Meta:
        verbose_name = _("cloud account link")
        verbose_name_plural = _("cloud account links")
        ordering = ("-started_at", "-pk")
        constraints = [
            models.UniqueConstraint(
                fields=["cloud_account"],
                condition=Q(ended_at__isnull=True),
                name="cloudaccountlink_one_active",
            ),
            models.CheckConstraint(
                condition=Q(ended_at__isnull=True) | Q(ended_at__gte=models.F("started_at")),
                name="cloudaccountlink_ends_after_start",
            ),
        ]

    def __str__(self):
        return f"{self.cloud_account} → {self.partner}"


class AccountConfirmation(models.Model):
    """The customer's one-time link to confirm a cloud account request (stored hashed)."""

    cloud_account = models.ForeignKey(
        CloudAccount,
        on_delete=models.CASCADE,
        related_name="confirmations",
        verbose_name=_("account"),
    )
    token_hash = models.CharField(_("token hash"), max_length=64, unique=True, editable=False)
    email = models.EmailField(_("sent to"))
    language = models.CharField(_("language"), max_length=10, default="vi")
    created_at = models.DateTimeField(_("sent at"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires at"))
    used_at = models.DateTimeField(_("used at"), null=True, blank=True)

    class Meta:
        verbose_name = _("customer confirmation")
        verbose_name_plural = _("customer confirmations")
        ordering = ("-created_at", "-pk")

    def __str__(self):
        return f"{self.cloud_account} ({self.email})"


class PartnerCredit(models.Model):
    """The partner's credit balance: the sum of its ledger, and the row every top-up locks."""

    partner = models.OneToOneField(
        "partners.Partner",
        on_delete=models.PROTECT,
        primary_key=True,
        related_name="credit",
        verbose_name=_("partner"),
    )
    balance = models.DecimalField(_("balance (VND)"), default=0, **MONEY)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)

    class Meta:
        verbose_name = _("partner credit")
        verbose_name_plural = _("partner credits")
        constraints = [
            models.CheckConstraint(condition=Q(balance__gte=0), name="partnercredit_not_negative"),
        ]

    def __str__(self):
        return f"{self.partner}: {grouped(self.balance)}"


class TopUp(models.Model):
    """Credit moved from the partner's balance to a customer's cloud account, waiting for
    billing to apply it (pending -> applied | failed; a failure returns the credit)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for billing")
        APPLIED = "applied", _("Applied")
        FAILED = "failed", _("Failed, credit returned")

    DECIDED = (Status.APPLIED, Status.FAILED)

    partner = models.ForeignKey(
        "partners.Partner",
        on_delete=models.PROTECT,
        related_name="top_ups",
        verbose_name=_("partner"),
    )
    cloud_account = models.ForeignKey(
        CloudAccount, on_delete=models.PROTECT, related_name="top_ups", verbose_name=_("account")
    )
    amount = models.DecimalField(_("amount (VND)"), **MONEY)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.PENDING
    )
    note = models.CharField(_("note"), max_length=500, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("requested by"),
    )
    created_at = models.DateTimeField(_("requested at"), default=timezone.now)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    # Who decided: a staff member in admin, or billing through a service token.
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_by_token = models.ForeignKey(
        "billing.ServiceToken",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by service token"),
    )
    # Billing's own reference for the credit it applied, or why it failed.
    billing_reference = models.CharField(_("billing reference"), max_length=100, blank=True)
    failure_reason = models.CharField(_("why it failed"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("top-up")
        verbose_name_plural = _("top-ups")
        ordering = ("-created_at", "-pk")
        indexes = [
            models.Index(fields=["partner", "created_at", "id"], name="topup_partner_new"),
            models.Index(fields=["cloud_account", "created_at", "id"], name="topup_account_new"),
            # Billing's queue: the pending ones, oldest first.
            models.Index(
                fields=["created_at", "id"],
                condition=Q(status="pending"),
                name="topup_pending",
            ),
            models.Index(fields=["created_at", "id"], name="topup_created_id"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="topup_amount_positive"),
            models.CheckConstraint(
                condition=Q(status="pending") | Q(decided_at__isnull=False),
                name="topup_decided_has_time",
            ),
        ]

    def __str__(self):
        return f"#{self.pk} {grouped(self.amount)} → {self.cloud_account}"


class CreditEntry(models.Model):
    """One line of a partner's credit ledger: never edited, never deleted.

    `amount` is signed (a payment adds, a top-up takes, a failed top-up's return adds back);
    `balance_after` is the balance once this entry counted.
    """

    class Kind(models.TextChoices):
        PAYMENT = "payment", _("Payment received")
        TOP_UP = "top_up", _("Top-up")
        TOP_UP_RETURNED = "top_up_returned", _("Failed top-up returned")

    partner = models.ForeignKey(
        "partners.Partner",
        on_delete=models.PROTECT,
        related_name="credit_entries",
        verbose_name=_("partner"),
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    amount = models.DecimalField(_("amount (VND)"), **MONEY)
    balance_after = models.DecimalField(_("balance after (VND)"), **MONEY)
    reason = models.CharField(_("why"), max_length=500)
    # A bank transfer's reference for a payment; billing's for a top-up.
    reference = models.CharField(_("reference"), max_length=100, blank=True)
    top_up = models.ForeignKey(
        TopUp,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="entries",
        verbose_name=_("top-up"),
    )
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
        verbose_name = _("credit entry")
        verbose_name_plural = _("credit entries")
        ordering = ("-created_at", "-pk")
        indexes = [
            models.Index(fields=["partner", "created_at", "id"], name="creditentry_partner_new"),
            models.Index(fields=["created_at", "id"], name="creditentry_created_id"),
        ]
        constraints = [
            models.CheckConstraint(condition=~Q(amount=0), name="creditentry_not_zero"),
            models.CheckConstraint(
                condition=Q(balance_after__gte=0), name="creditentry_balance_not_negative"
            ),
            models.CheckConstraint(
                condition=(Q(kind="payment") & Q(amount__gt=0) & Q(top_up__isnull=True))
                | (Q(kind="top_up") & Q(amount__lt=0) & Q(top_up__isnull=False))
                | (Q(kind="top_up_returned") & Q(amount__gt=0) & Q(top_up__isnull=False)),
                name="creditentry_kind_sign",
            ),
            # A top-up takes once and is returned at most once.
            models.UniqueConstraint(fields=["top_up", "kind"], name="creditentry_once_per_top_up"),
            # A payment is recorded once per bank reference (a double submit in admin).
            models.UniqueConstraint(
                fields=["partner", "reference"],
                condition=Q(kind="payment") & ~Q(reference=""),
                name="creditentry_payment_reference",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {grouped(self.amount)}"


class ServiceToken(SecretToken):
    """A token for VNG Cloud's billing system on the internal API; created by staff in
    admin, never by or for a partner. Only the SHA-256 of the secret is kept."""

    class Meta(SecretToken.Meta):
        verbose_name = _("billing service token")
        verbose_name_plural = _("billing service tokens")


# Module-level names for the API schema's enum names (SPECTACULAR_SETTINGS imports them).
CloudAccountKind = CloudAccount.Kind
CloudAccountStatus = CloudAccount.Status
TopUpStatus = TopUp.Status
