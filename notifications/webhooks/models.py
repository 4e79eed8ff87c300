"""The partner's webhook endpoints and the log of each event POSTed to each of them."""

import base64
from datetime import UTC

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from web.versions import version_of_values


class WebhookEndpoint(models.Model):
    """A URL of the partner's that receives its events, signed by the Standard Webhooks scheme.

    The secret is kept as written: the portal needs it to sign every delivery. `signing_secret`
    is the Standard Webhooks one (`whsec_` + base64 of the key); endpoints made before it
    existed (or by the previous release during a deploy) have it empty, and their key is the
    bytes of `secret`, the string the partner was shown then (`standard_secret`). After a
    rotation the previous secret still signs, beside the new one, until
    `previous_secret_expires_at`. Deleting an endpoint only marks it (`deleted_at`): nothing is
    sent to it again, and its deliveries stay in the partner's log. A paused endpoint gets no
    new deliveries and its waiting ones are held until it is resumed.
    """

    partner = models.ForeignKey(
        "partners.Partner",
        on_delete=models.CASCADE,
        related_name="webhook_endpoints",
        verbose_name=_("partner"),
    )
    url = models.URLField(_("URL"), max_length=500)
    # The previous release's key (X-Portal-Signature); kept filled so it can still run.
    secret = models.CharField(_("signing secret"), max_length=100, editable=False)
    # db_default: rows the previous release inserts during a deploy get the empty value.
    signing_secret = models.CharField(
        _("Standard Webhooks secret"), max_length=100, editable=False, default="", db_default=""
    )
    previous_signing_secret = models.CharField(
        _("previous secret"), max_length=100, editable=False, default="", db_default=""
    )
    previous_secret_expires_at = models.DateTimeField(
        _("previous secret valid until"), null=True, blank=True
    )
    event_types = models.JSONField(_("event types"), default=list)
    paused = models.BooleanField(_("paused"), default=False, db_default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    deleted_at = models.DateTimeField(_("deleted at"), null=True, blank=True)
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("deleted by"),
    )

    class Meta:
        # The tables they have had since they lived in the api app.
        db_table = "api_webhookendpoint"
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")
        ordering = ("-created_at", "-pk")

    def __str__(self):
        return self.url

    @property
    def version(self) -> str:
        """Its version for optimistic concurrency (the API's ETag and If-Match): a digest of
        what its JSON shows that can change. A rotation moves `previous_secret_expires_at`,
        so it changes the version too; the secrets themselves are not in it."""
        expires = self.previous_secret_expires_at
        return version_of_values(
            self.url,
            self.event_types,
            self.paused,
            expires.astimezone(UTC).isoformat() if expires else None,
            self.deleted_at is not None,
        )

    @property
    def standard_secret(self) -> str:
        if self.signing_secret:
            return self.signing_secret
        return "whsec_" + base64.b64encode(self.secret.encode()).decode()

    def secrets_valid_at(self, now) -> list[str]:
        """The secrets that sign a delivery sent at `now`: the current one, and the previous
        one during its grace period."""
        valid = [self.standard_secret]
        expires = self.previous_secret_expires_at
        if self.previous_signing_secret and expires is not None and now < expires:
            valid.append(self.previous_signing_secret)
        return valid


class WebhookDelivery(models.Model):
    """One event POSTed to one endpoint: never two rows for the pair (the constraint).

    Claimed (pending → sending) by one worker before each attempt; retried with backoff until
    `give_up_at` (24 h after it was created or redelivered), then failed.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting to be sent")
        SENDING = "sending", _("Being sent")
        DELIVERED = "delivered", _("Delivered")
        FAILED = "failed", _("Failed")

    event = models.ForeignKey(
        "notifications.Event",
        on_delete=models.CASCADE,
        related_name="webhook_deliveries",
        verbose_name=_("event"),
    )
    endpoint = models.ForeignKey(
        WebhookEndpoint,
        on_delete=models.CASCADE,
        related_name="deliveries",
        verbose_name=_("endpoint"),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    # `attempts` when it was last redelivered: the backoff starts again from there.
    attempts_at_redelivery = models.PositiveSmallIntegerField(
        _("attempts before the last redelivery"), default=0, db_default=0
    )
    next_attempt_at = models.DateTimeField(_("next attempt at"), null=True, blank=True)
    give_up_at = models.DateTimeField(_("retried until"))
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    last_response_code = models.PositiveSmallIntegerField(
        _("last response code"), null=True, blank=True
    )
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        db_table = "api_webhookdelivery"
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ("-created_at", "-pk")
        constraints = [
            models.UniqueConstraint(
                fields=["event", "endpoint"], name="one_webhook_delivery_per_event_endpoint"
            ),
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(status__in=["pending", "sending"]),
                name="webhook_delivery_waiting",
            ),
            # One endpoint's deliveries still to send, in event order: the line each claim checks.
            models.Index(
                fields=["endpoint", "event"],
                condition=Q(status__in=["pending", "sending"]),
                name="webhook_delivery_in_line",
            ),
            # The partner's log on /team/webhooks/: newest first per endpoint.
            models.Index(fields=["endpoint", "-created_at"], name="webhook_delivery_log"),
            # Staff's webhook delivery list, newest first: all, by status.
            models.Index(fields=["created_at", "id"], name="webhook_created_id"),
            models.Index(fields=["status", "created_at", "id"], name="webhook_status_created_id"),
        ]

    def __str__(self):
        return f"{self.event} → {self.endpoint}"

    @property
    def event_type(self) -> str:
        from notifications.webhooks.events import event_type

        return event_type(self.event.kind) or self.event.kind


class WebhookAttempt(models.Model):
    """One POST of a delivery: the history a redelivery adds to instead of resetting."""

    delivery = models.ForeignKey(
        WebhookDelivery,
        on_delete=models.CASCADE,
        related_name="attempt_log",
        verbose_name=_("delivery"),
    )
    number = models.PositiveSmallIntegerField(_("attempt"))
    started_at = models.DateTimeField(_("sent at"))
    duration_ms = models.PositiveIntegerField(_("duration (ms)"))
    response_code = models.PositiveSmallIntegerField(_("response code"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        db_table = "api_webhookattempt"
        verbose_name = _("webhook attempt")
        verbose_name_plural = _("webhook attempts")
        ordering = ("delivery", "number")
        # Not unique: the previous release's Redeliver reset `attempts` to 0, so during a
        # deploy a number may come twice; the times tell them apart.
        indexes = [models.Index(fields=["delivery", "number"], name="webhook_attempt_delivery")]

    def __str__(self):
        return f"{self.delivery_id} #{self.number}"

    @property
    def succeeded(self) -> bool:
        return self.response_code is not None and 200 <= self.response_code < 300
