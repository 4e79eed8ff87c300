"""Billing's service tokens for the internal API: created and revoked by staff only."""

import secrets

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from billing.models import ServiceToken
from notifications.activity import record_activity
from partners.access import require_staff
from web.digests import sha256_hex

# Another prefix than the partners' API tokens: a secret says which API it belongs to.
TOKEN_PREFIX = "vbill_"  # + 6 characters: the 12 the prefix column holds
STAFF_ONLY_TOKENS = gettext_lazy("Only VNG Cloud staff can manage billing's service tokens.")


hash_key = sha256_hex  # the secret has 256 random bits: its SHA-256 is enough (web.digests)


@transaction.atomic
def create_service_token(*, by, name: str) -> tuple[ServiceToken, str]:
    """A token for billing; returns it with its secret (shown once, only its hash is kept).

    Effects: staff only (a partner's person never gets one); a name required; one
    ServiceToken; activity `service_token.created`.
    """
    require_staff(by, STAFF_ONLY_TOKENS)
    name = " ".join((name or "").split())[:100]
    if not name:
        raise ValidationError(
            {"name": _("Give the token a name, e.g. the system that will use it.")}
        )
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ServiceToken.objects.create(
        name=name,
        key_hash=hash_key(secret),
        prefix=secret[: len(TOKEN_PREFIX) + 6],
        created_by=by,
    )
    record_activity(action="service_token.created", actor=by, obj=token, data={"name": name})
    return token, secret


@transaction.atomic
def revoke_service_token(token: ServiceToken, *, by) -> ServiceToken:
    """Revoke now (compare-and-set: a second revocation is refused); activity entry."""
    require_staff(by, STAFF_ONLY_TOKENS)
    now = timezone.now()
    changed = ServiceToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
        revoked_at=now, revoked_by=by
    )
    if not changed:
        raise ValidationError(_("This token is already revoked."), code="already_revoked")
    token.refresh_from_db()
    record_activity(action="service_token.revoked", actor=by, obj=token)
    return token


def token_for_secret(secret: str) -> ServiceToken | None:
    """The active token with this secret, or None."""
    return ServiceToken.objects.filter(key_hash=hash_key(secret), revoked_at__isnull=True).first()


def touch_token(token: ServiceToken) -> None:
    """Note the use, at most once a minute (no write per request)."""
    now = timezone.now()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ServiceToken.objects.filter(pk=token.pk).update(last_used_at=now)
