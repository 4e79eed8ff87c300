"""The one model of the HTTP edge: the first answer to a portal form sent with a one-time key.

web imports no app of the portal; the user is named through AUTH_USER_MODEL.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class SubmissionKey(models.Model):
    """A form that creates something, sent once: where its answer went and what it said.

    The row is inserted in the transaction of the write it guards (web/submissions.py), so a
    repeat of the same submission waits on the unique index, then finds the committed row and
    is sent where the first one went; a failed write takes its row with it.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("user"),
    )
    key = models.CharField(_("key"), max_length=64)
    fingerprint = models.CharField(_("submission fingerprint"), max_length=64)
    url = models.CharField(_("answered with"), max_length=500, blank=True)
    message = models.TextField(_("message"), blank=True)
    level = models.PositiveSmallIntegerField(_("message level"), default=25)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("form submission")
        verbose_name_plural = _("form submissions")
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="one_submission_per_user_key"),
        ]

    def __str__(self):
        return self.key


class SecretToken(models.Model):
    """What every bearer token of the portal holds: a name, the SHA-256 of its secret (the
    secret itself is shown once, when made; web/tokens.py), the first characters to recognise
    it by, who made it, when it was last used and who revoked it. Partners' API tokens and
    billing's service tokens are both this, with their own tables."""

    name = models.CharField(_("name"), max_length=100)
    key_hash = models.CharField(_("key hash"), max_length=64, unique=True, editable=False)
    prefix = models.CharField(_("prefix"), max_length=12, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
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
        abstract = True
        ordering = ("-created_at", "-pk")

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self):
        return self.revoked_at is None
