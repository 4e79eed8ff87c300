"""The event outbox and its deliveries.

An Event is written in the transaction of the change it reports; after commit it is fanned
out into one Delivery per (recipient, channel). The in-app delivery *is* the notification a
user reads at /notifications/; an e-mail delivery is claimed by one worker before it is sent.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from web.formats import choice_display


class Kind(models.TextChoices):
    DEAL_REGISTERED = "deal_registered", _("Deal registered")
    DEAL_RESUBMITTED = "deal_resubmitted", _("Deal resubmitted")
    DEAL_APPROVED = "deal_approved", _("Registration approved")
    DEAL_SENT_BACK = "deal_sent_back", _("Registration sent back")
    DEAL_REJECTED = "deal_rejected", _("Registration rejected")
    STAGE_CHANGED = "stage_changed", _("Stage changed")
    DEAL_WON = "deal_won", _("Deal won")
    DEAL_LOST = "deal_lost", _("Deal lost")
    WIN_VOIDED = "win_voided", _("Win voided")
    DISCOUNT_ISSUED = "discount_issued", _("Discount issued")
    DISCOUNT_REVOKED = "discount_revoked", _("Discount revoked")
    CUSTOMER_DISCOUNT_CREATED = "customer_discount_created", _("Customer discount created")
    CUSTOMER_DISCOUNT_ENDED = "customer_discount_ended", _("Customer discount revoked or ended")
    PROTECTION_EXPIRING = "protection_expiring", _("Protection expiring soon")
    PROTECTION_EXPIRED = "protection_expired", _("Protection expired")
    CONFLICT_FLAGGED = "conflict_flagged", _("Possible conflict flagged")
    REVIEW_OVERDUE = "review_overdue", _("Review overdue")
    # Sent to one webhook endpoint on request ("Send a test event"); no one else hears of it.
    WEBHOOK_TEST = "webhook_test", _("Webhook test")
    CREDIT_TOPPED_UP = "credit_topped_up", _("Credit top-up requested")
    CREDIT_TOP_UP_APPLIED = "credit_top_up_applied", _("Credit top-up applied")
    CREDIT_TOP_UP_FAILED = "credit_top_up_failed", _("Credit top-up failed")
    STATEMENT_SENT = "statement_sent", _("Statement sent")
    STATEMENT_CONFIRMED = "statement_confirmed", _("Statement confirmed")
    STATEMENT_DISPUTED = "statement_disputed", _("Statement disputed")
    STATEMENT_PAID = "statement_paid", _("Statement paid")
    CLOUD_ACCOUNT_REQUESTED = "cloud_account_requested", _("Cloud account link requested")
    CLOUD_ACCOUNT_CONFIRMED = (
        "cloud_account_confirmed",
        _("Cloud account confirmed by the customer"),
    )
    CLOUD_ACCOUNT_APPROVED = "cloud_account_approved", _("Cloud account linked")
    CLOUD_ACCOUNT_REJECTED = "cloud_account_rejected", _("Cloud account request rejected")
    CLOUD_ACCOUNT_CANCELLED = "cloud_account_cancelled", _("Cloud account request cancelled")
    CLOUD_ACCOUNT_MOVED = "cloud_account_moved", _("Cloud account moved with its customer")
    # The customer's own e-mail with its one-time link (the customer is not a portal user).
    CLOUD_ACCOUNT_CONFIRMATION = (
        "cloud_account_confirmation",
        _("Cloud account confirmation link (to the customer)"),
    )


class Audience(models.TextChoices):
    PARTNER = "partner", _("the partner's admins and the deal's creator")
    STAFF = "staff", _("staff reviewers")
    BOTH = "both", _("the partner and staff")
    # The address in the event's params (`email`): a customer, who has no account here.
    CUSTOMER = "customer", _("the customer's e-mail address")


# Who hears of each kind. Registrations, resubmissions, conflicts and overdue reviews are for
# the reviewers; a closed deal is news for both sides; everything else is the partner's.
AUDIENCE = {
    Kind.DEAL_REGISTERED: Audience.STAFF,
    Kind.DEAL_RESUBMITTED: Audience.STAFF,
    Kind.CONFLICT_FLAGGED: Audience.STAFF,
    Kind.REVIEW_OVERDUE: Audience.STAFF,
    Kind.DEAL_WON: Audience.BOTH,
    Kind.DEAL_LOST: Audience.BOTH,
    # The partner's answer to a statement is for staff (and the partner's own admins).
    Kind.STATEMENT_CONFIRMED: Audience.BOTH,
    Kind.STATEMENT_DISPUTED: Audience.BOTH,
    # A customer's confirmation is staff's cue to approve the link.
    Kind.CLOUD_ACCOUNT_CONFIRMED: Audience.BOTH,
    Kind.CLOUD_ACCOUNT_CONFIRMATION: Audience.CUSTOMER,
}
# Kinds that only show in-app unless a user asks for e-mail: they accompany another event
# that already mails (a win issues the discount; an open stage move is routine).
# Kinds that go to one webhook endpoint only, never to people.
WEBHOOK_ONLY = frozenset({Kind.WEBHOOK_TEST})
EMAIL_OFF_BY_DEFAULT = frozenset(
    {
        Kind.DISCOUNT_ISSUED,
        Kind.STAGE_CHANGED,
        Kind.CREDIT_TOPPED_UP,
        Kind.CREDIT_TOP_UP_APPLIED,
        # The partner made the request or withdrew it itself.
        Kind.CLOUD_ACCOUNT_REQUESTED,
        Kind.CLOUD_ACCOUNT_CANCELLED,
    }
)


class Event(models.Model):
    """Something that happened to a deal or a discount, written with the change itself."""

    Kind = Kind

    kind = models.CharField(_("kind"), max_length=40, choices=Kind.choices)
    partner = models.ForeignKey(
        "partners.Partner",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("partner"),
    )
    deal = models.ForeignKey(
        "deals.Deal",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="events",
        verbose_name=_("deal"),
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    # Values the message needs that may change later (a reason, a date, a stage).
    params = models.JSONField(_("details"), default=dict, blank=True)
    # The partner's `data` as it was when the event happened (the deal as the API shows it,
    # the discount...), built by the app that knows it (`webhooks.events.build_data`); null on
    # events written before it existed, whose data is built when asked.
    data = models.JSONField(_("payload data"), null=True, blank=True, editable=False)
    # Scheduled events carry a key (kind, deal, date) so a job run twice writes one event.
    key = models.CharField(_("key"), max_length=100, null=True, blank=True, unique=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    # Set when its deliveries exist; the sweep re-enqueues events still without them.
    fanned_out_at = models.DateTimeField(_("delivered to recipients at"), null=True, blank=True)
    # The request (or task) that caused it: its log lines, and the worker's that delivered
    # it, carry the same id. db_default: the previous release inserts events without it.
    request_id = models.CharField(
        _("request id"), max_length=64, blank=True, default="", db_default=""
    )

    class Meta:
        verbose_name = _("event")
        verbose_name_plural = _("events")
        ordering = ("-created_at", "-pk")
        indexes = [
            models.Index(
                fields=["created_at"],
                condition=Q(fanned_out_at__isnull=True),
                name="event_not_fanned_out",
            ),
            # Staff's event list, newest first: all, by kind, by partner.
            models.Index(fields=["created_at", "id"], name="event_created_id"),
            models.Index(fields=["kind", "created_at", "id"], name="event_kind_created_id"),
            models.Index(fields=["partner", "created_at", "id"], name="event_partner_created_id"),
        ]

    get_kind_display = choice_display("kind", Kind.choices)

    def __str__(self):
        return f"{self.get_kind_display()} #{self.pk}"

    @property
    def audience(self) -> str:
        return AUDIENCE.get(self.kind, Audience.PARTNER)


class Channel(models.TextChoices):
    EMAIL = "email", _("E-mail")
    IN_APP = "in_app", _("In the portal")


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Waiting to be sent")
    SENDING = "sending", _("Being sent")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class Delivery(models.Model):
    """One event for one recipient on one channel; never two (the constraints)."""

    Channel = Channel
    Status = DeliveryStatus

    event = models.ForeignKey(
        Event, on_delete=models.CASCADE, related_name="deliveries", verbose_name=_("event")
    )
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    # A user, or for staff addresses from STAFF_NOTIFICATION_EMAILS only an e-mail address.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="notifications",
        verbose_name=_("user"),
    )
    email = models.EmailField(_("e-mail address"), blank=True)
    language = models.CharField(_("language"), max_length=10, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt at"), null=True, blank=True)
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        ordering = ("-created_at", "-pk")
        constraints = [
            models.UniqueConstraint(
                fields=["event", "channel", "user"],
                condition=Q(user__isnull=False),
                name="one_delivery_per_event_user_channel",
            ),
            models.UniqueConstraint(
                fields=["event", "channel", "email"],
                condition=~Q(email=""),
                name="one_delivery_per_event_address_channel",
            ),
            # An in-app notification belongs to a user; an e-mail needs an address.
            models.CheckConstraint(
                condition=~Q(channel="in_app") | Q(user__isnull=False),
                name="in_app_delivery_has_user",
            ),
            models.CheckConstraint(
                condition=~Q(channel="email") | ~Q(email=""),
                name="email_delivery_has_address",
            ),
        ]
        indexes = [
            # The bell and /notifications/: one user's in-app notifications, newest first.
            models.Index(fields=["user", "channel", "-created_at"], name="delivery_user_inbox"),
            models.Index(
                fields=["user"],
                condition=Q(channel="in_app", read_at__isnull=True),
                name="delivery_user_unread",
            ),
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(status__in=["pending", "sending"]),
                name="delivery_waiting",
            ),
            # One address's e-mails still to send, in event order: the line each claim checks.
            models.Index(
                fields=["email", "event"],
                condition=Q(channel="email", status__in=["pending", "sending"]),
                name="delivery_email_in_line",
            ),
            # Staff's delivery list, newest first: all, by status; a search by address.
            models.Index(fields=["created_at", "id"], name="delivery_created_id"),
            models.Index(fields=["status", "created_at", "id"], name="delivery_status_created_id"),
            models.Index(
                fields=["channel", "created_at", "id"], name="delivery_channel_created_id"
            ),
            models.Index(fields=["email"], condition=~Q(email=""), name="delivery_email"),
        ]

    get_channel_display = choice_display("channel", Channel.choices)

    def __str__(self):
        return f"{self.event} → {self.email or self.user} ({self.get_channel_display()})"


class Preference(models.Model):
    """A user's language for e-mails and which kinds of event they want by e-mail."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notification_preference",
        verbose_name=_("user"),
    )
    language = models.CharField(
        _("language of e-mails"), max_length=10, choices=settings.LANGUAGES, blank=True
    )
    # {kind: true/false} where the user differs from the default (EMAIL_OFF_BY_DEFAULT).
    email_kinds = models.JSONField(_("e-mail by kind of event"), default=dict, blank=True)

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")

    def __str__(self):
        return str(self.user)

    def wants_email(self, kind: str) -> bool:
        # Only the settings page writes it (a dict of booleans); anything else is read as no
        # choice made, so one odd row never stops the fan-out of its partner's events.
        kinds = self.email_kinds if isinstance(self.email_kinds, dict) else {}
        chosen = kinds.get(kind)
        return chosen if isinstance(chosen, bool) else kind not in EMAIL_OFF_BY_DEFAULT


class Activity(models.Model):
    """One entry of the activity log: who did what, when, to which object, with the values
    before and after. Written by the services, in the transaction of the change itself
    (`notifications.activity.record_activity`), never edited. Staff read all of it in admin;
    a partner's admins read their organisation's at /team/activity/.
    """

    created_at = models.DateTimeField(_("when"), default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("who"),
    )
    # Where the change came from: the portal, admin, the API, the worker or a command.
    via = models.CharField(_("via"), max_length=10, blank=True)
    # The organisation the change concerns (none for staff-only data such as products).
    partner = models.ForeignKey(
        "partners.Partner",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("partner"),
    )
    # A dotted code ("team.role_changed"); its label lives in notifications.activity.
    action = models.CharField(_("what"), max_length=60)
    content_type = models.ForeignKey(
        "contenttypes.ContentType",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("kind of object"),
    )
    object_id = models.CharField(_("object id"), max_length=40, blank=True)
    # The object as it read at the time (it may be renamed or deleted later).
    object_repr = models.CharField(_("object"), max_length=200, blank=True)
    # {"field": [before, after]} for each value the change changed.
    changes = models.JSONField(_("changes"), default=dict, blank=True)
    # Anything else worth keeping: a reason, a comment, a count.
    data = models.JSONField(_("details"), default=dict, blank=True)
    # The request that caused it (X-Request-ID), to follow a change through the logs.
    request_id = models.CharField(_("request id"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("activity")
        verbose_name_plural = _("activity log")
        ordering = ("-created_at", "-pk")
        indexes = [
            models.Index(fields=["partner", "-created_at", "-id"], name="activity_partner_recent"),
            models.Index(fields=["actor", "-created_at", "-id"], name="activity_actor_recent"),
            models.Index(fields=["action", "-created_at", "-id"], name="activity_action_recent"),
            models.Index(fields=["content_type", "object_id"], name="activity_object"),
            # The whole log newest first (staff's unfiltered list): a b-tree is read backwards
            # as cheaply as forwards. A rare "via" (admin, a command) has its own.
            models.Index(fields=["created_at", "id"], name="activity_created_id"),
            models.Index(fields=["via", "created_at", "id"], name="activity_via_created_id"),
        ]

    def __str__(self):
        # The action as the log names it ("Sent back"), as admin's page title reads it.
        from notifications.activity import action_label

        return f"{action_label(self.action)} {self.object_repr}".strip()


# The webhook channel's models live with its code (notifications/webhooks/); Django finds an
# app's models through this module.
from notifications.webhooks.models import (  # noqa: E402, F401
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)
