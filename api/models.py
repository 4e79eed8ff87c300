"""API tokens and the idempotency keys of their POSTs.

A token belongs to one partner and acts as the admin who created it: the services check that
person's membership and role exactly as they would for a click in the portal. It works only
while that person is an active admin of the partner (`ApiToken.stopped_because`).
"""

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework.utils.encoders import JSONEncoder

from partners.models import Membership
from web.models import SecretToken


class ApiToken(SecretToken):
    class Access(models.TextChoices):
        READ = "read", _("Read only")
        READ_WRITE = "read_write", _("Read and write")

    partner = models.ForeignKey(
        "partners.Partner",
        on_delete=models.CASCADE,
        related_name="api_tokens",
        verbose_name=_("partner"),
    )
    # A sandbox token acts on the partner's sandbox organisation (`partner.sandbox`), never on
    # its real data; the token still belongs to the partner and follows its creator's role.
    is_sandbox = models.BooleanField(_("sandbox"), default=False, db_default=False)
    access = models.CharField(
        _("access"), max_length=20, choices=Access.choices, default=Access.READ
    )

    class Meta(SecretToken.Meta):
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        constraints = [
            models.CheckConstraint(
                condition=Q(revoked_at__isnull=True) | Q(revoked_at__gte=models.F("created_at")),
                name="api_token_revoked_after_created",
            ),
        ]

    @property
    def acting_partner(self):
        """The organisation the token reads and changes: the partner, or its sandbox."""
        return self.partner.sandbox if self.is_sandbox else self.partner

    @property
    def can_write(self):
        return self.access == self.Access.READ_WRITE

    @property
    def stopped_because(self) -> str:
        """Why the token does not work although it is not revoked: "" while its creator is an
        active admin of its partner; "not_admin" while they are a member only (made an admin
        again, the token works again); "creator_gone" when they left or were deactivated.

        Checked on every request (api.authentication), so a change of role counts from the
        next one, whichever way it was made (team page, admin, a race with a running request).
        """
        user = self.created_by
        membership = getattr(user, "membership", None)
        if not user.is_active or membership is None or membership.partner_id != self.partner_id:
            return "creator_gone"
        if membership.role != Membership.Role.ADMIN:
            return "not_admin"
        return ""


class IdempotencyKey(models.Model):
    """The first answer to a POST sent with an Idempotency-Key, replayed for a repeat.

    The row is inserted in the transaction of the write it guards: a concurrent duplicate
    waits on the unique index, then finds the committed row and replays its answer.
    """

    token = models.ForeignKey(
        ApiToken, on_delete=models.CASCADE, related_name="+", verbose_name=_("API token")
    )
    key = models.CharField(_("key"), max_length=255)
    fingerprint = models.CharField(_("request fingerprint"), max_length=64)
    status_code = models.PositiveSmallIntegerField(_("status code"))
    response = models.JSONField(_("response"), encoder=JSONEncoder, null=True)
    location = models.CharField(_("location"), max_length=500, blank=True)
    # The answer's ETag (a deal's or an endpoint's new version), replayed with it. db_default:
    # rows the previous release inserts during a deploy get the empty value.
    etag = models.CharField(_("ETag"), max_length=100, blank=True, default="", db_default="")
    created_at = models.DateTimeField(_("created at"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("idempotency key")
        verbose_name_plural = _("idempotency keys")
        constraints = [
            models.UniqueConstraint(fields=["token", "key"], name="one_idempotency_key_per_token"),
        ]

    def __str__(self):
        return self.key
