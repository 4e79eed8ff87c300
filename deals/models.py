from datetime import date
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Now
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import get_language, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from deals.files.names import attachment_key, label_for
from discounts.rates import RateField, rate_in_range
from web.formats import grouped
from web.versions import version_of


class Product(models.Model):
    """A VNG Cloud service a partner can sell (vServer, vStorage, ...); kept by staff."""

    code = models.SlugField(_("code"), max_length=50, unique=True)
    name = models.CharField(_("name (English)"), max_length=200)
    name_vi = models.CharField(
        _("name (Vietnamese)"), max_length=200, blank=True, help_text=_("Blank: the English name.")
    )
    description = models.TextField(_("description (English)"), blank=True)
    description_vi = models.TextField(
        _("description (Vietnamese)"), blank=True, help_text=_("Blank: the English description.")
    )
    # "active" alone is also a person's (User.is_active): a product's is "offered".
    is_active = models.BooleanField(pgettext_lazy("product", "active"), default=True)

    class Meta:
        verbose_name = _("product")
        verbose_name_plural = _("products")
        ordering = ("name",)

    def __str__(self):
        return self.display_name

    @property
    def display_name(self) -> str:
        """The name in the reader's language (Vietnamese when staff wrote one)."""
        if get_language() == "vi" and self.name_vi:
            return self.name_vi
        return self.name

    @property
    def display_description(self) -> str:
        if get_language() == "vi" and self.description_vi:
            return self.description_vi
        return self.description


class ReviewStatus(models.TextChoices):
    """Review status, set by staff."""

    PENDING = "pending", _("Pending review")
    APPROVED = "approved", _("Approved")
    ACTION_REQUIRED = "action_required", _("Action required")
    REJECTED = "rejected", _("Rejected")


class Stage(models.TextChoices):
    """Sales stage, moved by the partner."""

    PROSPECT = "prospect", _("Prospect")
    QUALIFIED = "qualified", _("Qualified")
    PROPOSAL = "proposal", _("Proposal")
    NEGOTIATION = "negotiation", _("Negotiation")
    WON = "won", _("Won")
    LOST = "lost", _("Lost")


class LostReason(models.TextChoices):
    PRICE = "price", _("Price")
    COMPETITOR = "competitor", _("Chose a competitor")
    NO_BUDGET = "no_budget", _("No budget")
    NO_DECISION = "no_decision", _("No decision / project cancelled")
    TIMING = "timing", _("Timing")
    OTHER = "other", _("Other")


OPEN_STAGES = (Stage.PROSPECT, Stage.QUALIFIED, Stage.PROPOSAL, Stage.NEGOTIATION)
CLOSING_STAGES = (Stage.WON, Stage.LOST)


EXTERNAL_ID_MAX_LENGTH = 100
# The longest lost reason (details) and review comment, checked by the services (every form,
# the API and admin say the same): staff's admin forms had no limit at all.
LOST_REASON_MAX_LENGTH = 1000
DESCRIPTION_MAX_LENGTH = 5000
# The furthest a claim is protected, counted from today (approval or a staff extension): a
# date typed by hand (9999-12-31) had made a claim that never ends.
PROTECTION_MAX_DAYS = 730
REVIEW_COMMENT_MAX_LENGTH = 2000


class Deal(models.Model):
    Status = ReviewStatus
    Stage = Stage
    LostReason = LostReason

    OPEN_STAGES = OPEN_STAGES
    CLOSING_STAGES = CLOSING_STAGES
    PROBABILITY = {
        Stage.PROSPECT: 10,
        Stage.QUALIFIED: 25,
        Stage.PROPOSAL: 50,
        Stage.NEGOTIATION: 75,
        Stage.WON: 100,
        Stage.LOST: 0,
    }

    partner = models.ForeignKey(
        "partners.Partner",
        on_delete=models.PROTECT,
        related_name="deals",
        verbose_name=_("partner"),
    )
    customer = models.ForeignKey(
        "partners.Customer",
        on_delete=models.PROTECT,
        related_name="deals",
        verbose_name=_("customer"),
    )
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    estimated_value = models.DecimalField(
        _("estimated value (VND)"),
        max_digits=18,
        decimal_places=0,
        validators=[MinValueValidator(0)],
    )
    expected_close_date = models.DateField(_("expected close date"))
    status = models.CharField(
        _("review status"), max_length=20, choices=Status.choices, default=Status.PENDING
    )
    review_comment = models.TextField(_("reviewer's comment"), blank=True)
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("reviewed by"),
    )
    stage = models.CharField(
        _("stage"), max_length=20, choices=Stage.choices, default=Stage.PROSPECT
    )
    probability = models.PositiveSmallIntegerField(
        _("probability (%)"), default=10, validators=[MaxValueValidator(100)]
    )
    protected_until = models.DateField(_("protected until"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("closed by"),
    )
    lost_reason_code = models.CharField(
        _("lost reason"), max_length=20, choices=LostReason.choices, blank=True
    )
    lost_reason = models.TextField(_("lost reason (details)"), blank=True)
    # Staff voided the win (won by mistake, or against another partner's claim): the deal stays
    # won and closed, its discount is revoked and the ownership it created is undone.
    win_voided_at = models.DateTimeField(_("win voided at"), null=True, blank=True)
    win_voided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("win voided by"),
    )
    win_void_reason = models.TextField(_("reason the win was voided"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="deals_created",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    # When the registration last entered the review queue: registered, or resubmitted after a
    # send-back. Its age against the review promise counts from here. The database fills it on
    # insert; deals reviewed before the review queue existed have none (their created_at
    # stands in).
    submitted_at = models.DateTimeField(
        _("submitted for review at"), null=True, blank=True, db_default=Now()
    )
    # The reviewer who took the registration from the queue (deals.services.queue). Kept after
    # the decision, so a resubmission comes back to the same reviewer's "taken by me".
    # No index of its own on the whole table: the queue's partial index serves the reviewer's
    # pending ones (see Meta.indexes).
    review_taken_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        db_index=False,
        related_name="+",
        verbose_name=_("taken for review by"),
    )
    review_taken_at = models.DateTimeField(_("taken for review at"), null=True, blank=True)
    # The partner's own id for the deal (its CRM's), so a sync can find the deal again. Unique
    # per partner when set; NULL when not (never ""), so the release before it can still
    # insert rows without it.
    external_id = models.CharField(  # noqa: DJ001 (NULL: see above)
        # Read by staff in admin (the partner's form and the API have their own wording).
        _("partner's CRM id"),
        max_length=EXTERNAL_ID_MAX_LENGTH,
        null=True,
        blank=True,
        help_text=_("The partner's own system's id for the deal, unique within its organisation."),
    )

    class Meta:
        verbose_name = _("deal")
        verbose_name_plural = _("deals")
        ordering = ("-updated_at",)
        # One index per sort and filter of the deal list, each ending in the id tie-breaker,
        # so every page (any sort, any stage, any depth) is one index range scan. Title and
        # customer search use trigram indexes on PostgreSQL (migration 0003_scale_indexes).
        indexes = [
            models.Index(fields=["partner", "updated_at", "id"], name="deal_partner_updated_id"),
            # The search's "deals of these customers".
            models.Index(fields=["partner", "customer"], name="deal_partner_customer"),
            models.Index(fields=["partner", "estimated_value", "id"], name="deal_partner_value_id"),
            models.Index(
                fields=["partner", "expected_close_date", "id"], name="deal_partner_close_id"
            ),
            models.Index(
                fields=["partner", "stage", "updated_at", "id"], name="deal_partner_stage_updated"
            ),
            models.Index(
                fields=["partner", "stage", "estimated_value", "id"],
                name="deal_partner_stage_value",
            ),
            models.Index(
                fields=["partner", "stage", "expected_close_date", "id"],
                name="deal_partner_stage_close",
            ),
            # Reports and the dashboard's quarters: the deals closed in a date window.
            models.Index(fields=["partner", "closed_at"], name="deal_partner_closed"),
            # The dashboard's quarters and the reports read closed deals from this index
            # alone (an index-only scan on PostgreSQL: the columns they need are in it).
            models.Index(
                fields=["partner", "closed_at"],
                include=["stage", "estimated_value", "created_at", "id"],
                condition=Q(closed_at__isnull=False),
                name="deal_closed_figures",
            ),
            # The dashboard's "needs attention" figures read open deals only, so their cost
            # follows the open pipeline, not the partner's history of closed deals.
            models.Index(
                fields=["partner", "expected_close_date"],
                condition=Q(closed_at__isnull=True),
                name="deal_open_close_date",
            ),
            models.Index(
                fields=["partner", "updated_at"],
                condition=Q(closed_at__isnull=True),
                name="deal_open_updated",
            ),
            models.Index(
                fields=["partner", "protected_until"],
                condition=Q(closed_at__isnull=True),
                name="deal_open_protected_until",
            ),
            # Staff's deal list (all partners): one index per sort and per filter with the
            # default sort, each ending in the id (web.admin.ScaleChangeList).
            models.Index(fields=["updated_at", "id"], name="deal_updated_id"),
            models.Index(fields=["estimated_value", "id"], name="deal_value_id"),
            models.Index(fields=["title", "id"], name="deal_title_id"),
            models.Index(fields=["protected_until", "id"], name="deal_protected_id"),
            models.Index(fields=["status", "updated_at", "id"], name="deal_status_updated_id"),
            models.Index(fields=["stage", "updated_at", "id"], name="deal_stage_updated_id"),
            # The review queue (deals.review_queue): registrations waiting, oldest first; the
            # same by partner and for one reviewer. Partial: they hold the waiting ones only,
            # so their size follows the queue, not the programme's history.
            models.Index(
                fields=["submitted_at", "id"],
                condition=Q(status=ReviewStatus.PENDING),
                name="deal_review_queue",
            ),
            models.Index(
                fields=["partner", "submitted_at", "id"],
                condition=Q(status=ReviewStatus.PENDING),
                name="deal_review_queue_partner",
            ),
            models.Index(
                fields=["review_taken_by", "submitted_at", "id"],
                condition=Q(status=ReviewStatus.PENDING),
                name="deal_review_queue_taker",
            ),
            # The programme view (deals.programme): registrations per week, and review times
            # read from the index alone.
            # (COUNT(id) reads the id: it is in each, so the index alone answers.)
            models.Index(fields=["created_at", "id"], name="deal_created_at"),
            models.Index(
                fields=["reviewed_at"],
                include=["status", "submitted_at", "created_at", "id"],
                condition=Q(reviewed_at__isnull=False),
                name="deal_reviewed_figures",
            ),
        ]
        constraints = [
            # One deal per partner for each of its CRM's ids (built CONCURRENTLY on
            # PostgreSQL: migration 0014_deal_external_id); it also serves ?external_id=.
            models.UniqueConstraint(
                fields=["partner", "external_id"],
                condition=Q(external_id__isnull=False) & ~Q(external_id=""),
                name="deal_external_id_per_partner",
            ),
            # A won or lost deal is closed: it always records when.
            models.CheckConstraint(
                condition=~Q(stage__in=CLOSING_STAGES) | Q(closed_at__isnull=False),
                name="closed_deal_has_closed_at",
            ),
            # Only an approved registration can reach a closing stage.
            models.CheckConstraint(
                condition=~Q(stage__in=CLOSING_STAGES) | Q(status=ReviewStatus.APPROVED),
                name="closing_stage_needs_approval",
            ),
            models.CheckConstraint(
                condition=Q(estimated_value__gte=0), name="deal_value_not_negative"
            ),
            # Only a win can be voided.
            models.CheckConstraint(
                condition=Q(win_voided_at__isnull=True) | Q(stage=Stage.WON),
                name="voided_deal_was_won",
            ),
            models.CheckConstraint(
                condition=Q(probability__gte=0, probability__lte=100),
                name="deal_probability_in_range",
            ),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("deal_detail", args=[self.pk])

    @property
    def is_closed(self):
        return self.closed_at is not None

    @property
    def is_protection_expired(self):
        return (
            self.status == self.Status.APPROVED
            and self.stage != self.Stage.WON
            and self.protected_until is not None
            and self.protected_until < timezone.localdate()
        )

    @property
    def version(self) -> str:
        """The deal's version for optimistic concurrency (the API's ETag): it changes whenever
        a service changes the deal, as every one moves `updated_at`."""
        return version_of(self.updated_at)

    def stage_steps(self):
        """The stages as a progress bar: (stage, label, state) with state done/current/todo."""
        steps = list(self.OPEN_STAGES) + [
            self.stage if self.stage in self.CLOSING_STAGES else self.Stage.WON
        ]
        current = steps.index(self.stage) if self.stage in steps else 0
        result = []
        for i, stage in enumerate(steps):
            state = "done" if i < current else "current" if i == current else "todo"
            result.append((stage, self.Stage(stage).label, state))
        return result


class DiscountRule(models.Model):
    """The discount registered in a deal: one rate per product."""

    deal = models.ForeignKey(
        Deal, on_delete=models.CASCADE, related_name="discount_rules", verbose_name=_("deal")
    )
    product = models.ForeignKey(
        Product, on_delete=models.PROTECT, related_name="+", verbose_name=_("product")
    )
    rate = RateField(_("rate (%)"))

    class Meta:
        verbose_name = _("discount rule")
        verbose_name_plural = _("discount rules")
        ordering = ("product__name",)
        constraints = [
            models.UniqueConstraint(fields=["deal", "product"], name="one_rule_per_deal_product"),
            rate_in_range("discount_rule_rate_in_range"),
        ]

    def __str__(self):
        return f"{self.product}: {self.rate}%"


class SystemNote(models.TextChoices):
    """What the portal itself wrote into a history entry, stored as a code with parameters
    (`StageChange.system_params`) and put into words in the reader's language."""

    REGISTERED = "registered", _("Registered")
    REGISTERED_CONFLICT = (
        "registered_conflict",
        _("Registered. Another partner holds a protected claim on this customer."),
    )
    CHANGED = "changed", _("Changed: %(fields)s.")
    PROTECTION_EXTENDED = "protection_extended", _("Protection extended until %(date)s.")
    # Staff corrected registered data: params {"changes": [{"field", "from", "to"[, "product"]}]}.
    CORRECTED = "corrected", _("Corrected by VNG Cloud: %(changes)s.")
    WIN_VOIDED = "win_voided", _("Win voided by VNG Cloud; the discount was revoked.")


# The names a CHANGED note may list: the deal's edited fields and its discount rates.
CHANGED_FIELD_LABELS = {"rates": _("discount rates")}


class StageChange(models.Model):
    """One entry of a deal's history: a stage move or a review decision.

    `note` is what a person wrote (the partner's note, the reviewer's comment), kept as
    written; what the portal adds is `system_code` + `system_params`, shown by `system_note`
    in the language of whoever reads it.
    """

    SystemNote = SystemNote

    deal = models.ForeignKey(
        Deal, on_delete=models.CASCADE, related_name="stage_changes", verbose_name=_("deal")
    )
    # The deal's partner, copied on save: the dashboard's recent activity reads the newest
    # entries of one partner from the (partner, at, id) index without touching deals.
    partner = models.ForeignKey(
        "partners.Partner",
        on_delete=models.CASCADE,
        related_name="+",
        editable=False,
        verbose_name=_("partner"),
    )
    from_stage = models.CharField(_("from stage"), max_length=20, choices=Stage.choices, blank=True)
    to_stage = models.CharField(_("to stage"), max_length=20, choices=Stage.choices)
    from_status = models.CharField(
        _("from status"), max_length=20, choices=ReviewStatus.choices, blank=True
    )
    to_status = models.CharField(
        _("to status"), max_length=20, choices=ReviewStatus.choices, blank=True
    )
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    at = models.DateTimeField(_("at"), default=timezone.now)
    note = models.TextField(_("note"), blank=True)
    system_code = models.CharField(
        _("system note"), max_length=40, choices=SystemNote.choices, blank=True
    )
    system_params = models.JSONField(_("system note parameters"), default=dict, blank=True)

    class Meta:
        verbose_name = _("stage change")
        verbose_name_plural = _("stage history")
        ordering = ("-at", "-pk")
        indexes = [
            models.Index(fields=["partner", "at", "id"], name="stagechange_partner_at_id"),
            models.Index(fields=["deal", "at", "id"], name="stagechange_deal_at_id"),
        ]

    def __str__(self):
        return f"{self.deal}: {self.from_stage or '-'} → {self.to_stage}"

    def save(self, *args, **kwargs):
        if self.partner_id is None:
            self.partner_id = self.deal.partner_id
        super().save(*args, **kwargs)

    @property
    def is_review(self):
        return bool(self.to_status) and self.from_status != self.to_status

    @property
    def system_note(self) -> str:
        """The portal's own text of this entry, in the active language ("" if none)."""
        if not self.system_code:
            return ""
        template = str(SystemNote(self.system_code).label)
        params = self.system_params or {}
        if self.system_code == SystemNote.CHANGED:
            labels = [str(_changed_label(name)) for name in params.get("fields", [])]
            return template % {"fields": ", ".join(labels)}
        if self.system_code == SystemNote.PROTECTION_EXTENDED:
            return template % {"date": date_format(date.fromisoformat(params["date"]))}
        if self.system_code == SystemNote.CORRECTED:
            changes = "; ".join(_correction(change) for change in params.get("changes", []))
            return template % {"changes": changes}
        # Any other code: its parameters are plain text, put into the translated template.
        return template % params if params else template


def _correction_value(field: str, value) -> str:
    if value in (None, ""):
        return "—"
    if field == "expected_close_date":
        return date_format(date.fromisoformat(value))
    if field == "rates":
        return f"{value}%"
    if field == "estimated_value":
        try:
            return grouped(Decimal(str(value)))  # 525.000.000, as the deal page shows it
        except InvalidOperation:
            pass
    return str(value)


def _correction(change: dict) -> str:
    """One corrected field ("title: A → B"; a rate: "vServer: 10% → 12%")."""
    field = change["field"]
    label = change.get("product") or _changed_label(field)
    before = _correction_value(field, change.get("from"))
    after = _correction_value(field, change.get("to"))
    return f"{label}: {before} → {after}"


def _changed_label(name: str):
    if name in CHANGED_FIELD_LABELS:
        return CHANGED_FIELD_LABELS[name]
    return Deal._meta.get_field(name).verbose_name


class Note(models.Model):
    deal = models.ForeignKey(
        Deal, on_delete=models.CASCADE, related_name="notes", verbose_name=_("deal")
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("author"),
    )
    text = models.TextField(_("text"), max_length=5000)
    # Set when the note was written in the Update stage sub-screen: the timeline shows it
    # inside that stage change instead of twice.
    stage_change = models.ForeignKey(
        StageChange,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="notes",
        verbose_name=_("stage change"),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("note")
        verbose_name_plural = _("notes")
        ordering = ("-created_at", "-pk")
        indexes = [models.Index(fields=["deal", "created_at", "id"], name="note_deal_created_id")]

    def __str__(self):
        return self.text[:50]


class Attachment(models.Model):
    class Kind(models.TextChoices):
        BOM = "bom", _("BOM")
        QUOTATION = "quotation", _("Quotation")
        PURCHASE_ORDER = "purchase_order", _("Purchase order")
        CONTRACT = "contract", _("Contract")
        OTHER = "other", _("Other")

    deal = models.ForeignKey(
        Deal, on_delete=models.CASCADE, related_name="attachments", verbose_name=_("deal")
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.OTHER)
    file = models.FileField(_("file"), upload_to=attachment_key, max_length=500)
    thumbnail = models.FileField(
        _("thumbnail"), upload_to=attachment_key, max_length=500, blank=True
    )
    original_name = models.CharField(_("original name"), max_length=255)
    size = models.PositiveBigIntegerField(_("size (bytes)"))
    content_type = models.CharField(_("content type"), max_length=100)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), default=timezone.now)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ("-uploaded_at", "-pk")
        indexes = [
            models.Index(fields=["deal", "uploaded_at", "id"], name="attachment_deal_uploaded_id")
        ]
        constraints = [
            models.CheckConstraint(condition=Q(size__gt=0), name="attachment_not_empty"),
        ]

    def __str__(self):
        return self.original_name

    def get_absolute_url(self):
        return reverse("attachment_download", args=[self.deal_id, self.pk])

    @property
    def type_label(self):
        """A short label of the sniffed type (PDF, XLSX, ...) for the file icon."""
        return label_for(self.content_type)


class DealCounter(models.Model):
    """How many deals of a partner are in one (stage, review status, open) bucket, and their
    estimated value: what the dashboard shows, read without counting the deals.

    Kept by `deals.counters` in the transaction of every change a service makes; the
    `rebuild_deal_counters` command recomputes them from the deals.
    """

    partner = models.ForeignKey(
        "partners.Partner", on_delete=models.CASCADE, related_name="+", verbose_name=_("partner")
    )
    stage = models.CharField(_("stage"), max_length=20, choices=Stage.choices)
    status = models.CharField(_("review status"), max_length=20, choices=ReviewStatus.choices)
    is_open = models.BooleanField(_("open"))
    count = models.BigIntegerField(_("deals"), default=0)
    value = models.DecimalField(
        _("estimated value (VND)"), max_digits=24, decimal_places=0, default=0
    )

    class Meta:
        verbose_name = _("deal counter")
        verbose_name_plural = _("deal counters")
        constraints = [
            models.UniqueConstraint(
                fields=["partner", "stage", "status", "is_open"], name="one_counter_per_bucket"
            ),
        ]

    def __str__(self):
        return f"{self.partner_id} {self.stage}/{self.status}: {self.count}"


class WonCounter(models.Model):
    """How many deals a partner won in one month (by the local day they closed) and their
    estimated value: the dashboard's "won this quarter" and "won last quarter", read from at
    most six rows instead of every deal closed in the last two quarters.

    Kept by `deals.counters` beside DealCounter, in the transaction of every change a service
    makes; `rebuild_deal_counters` recomputes them from the deals. A voided win stays won (the
    deal keeps its stage), so it still counts, as it does in the list the figure links to.
    """

    partner = models.ForeignKey(
        "partners.Partner", on_delete=models.CASCADE, related_name="+", verbose_name=_("partner")
    )
    month = models.DateField(_("month"))
    count = models.BigIntegerField(_("deals"), default=0)
    value = models.DecimalField(
        _("estimated value (VND)"), max_digits=24, decimal_places=0, default=0
    )

    class Meta:
        verbose_name = _("won deals counter")
        verbose_name_plural = _("won deals counters")
        constraints = [
            models.UniqueConstraint(fields=["partner", "month"], name="one_won_counter_a_month")
        ]

    def __str__(self):
        return f"{self.partner_id} {self.month:%Y-%m}: {self.count}"


class PendingDeletion(models.Model):
    """A stored object that no attachment may point at: `purge_orphans` deletes it once due.

    Written before every upload (due an hour later) and removed by the transaction that saves
    the attachment; written due now when deleting an orphan failed (storage down).
    """

    name = models.CharField(_("object name"), max_length=500, unique=True)
    due_at = models.DateTimeField(_("due at"))
    attempts = models.PositiveIntegerField(_("failed attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("pending deletion")
        verbose_name_plural = _("pending deletions")
        indexes = [models.Index(fields=["due_at"], name="pending_deletion_due")]

    def __str__(self):
        return self.name


class DayOff(models.Model):
    """A day VNG Cloud does not work beyond Vietnam's public holidays and Tết (a company
    holiday, a bridge day): kept by staff, it stops the review clock like a weekend."""

    day = models.DateField(_("day"), unique=True)
    name = models.CharField(_("name"), max_length=200)

    class Meta:
        verbose_name = _("day off")
        verbose_name_plural = _("days off")
        ordering = ("-day",)

    def __str__(self):
        return f"{self.day.isoformat()} {self.name}"
