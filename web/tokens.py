"""The life of a bearer token (web.models.SecretToken), whichever API it opens: a secret
made once, found by its hash, revoked once, its use noted at most once a minute.

The apps' services (api/services.py, billing/services/tokens.py) keep their own rules (who may
make one, for which partner, the activity entry) and call these for the mechanics.
"""

import secrets
from datetime import timedelta

from django.utils import timezone

from web.digests import sha256_hex

# last_used_at is written at most this often per token, not on every request.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def new_secret(prefix: str) -> dict:
    """A new secret (256 random bits after `prefix`) and the fields a token keeps of it:
    {"secret", "key_hash", "prefix"} (the prefix plus 6 characters, to recognise it)."""
    secret = prefix + secrets.token_urlsafe(32)
    return {"secret": secret, "key_hash": sha256_hex(secret), "prefix": secret[: len(prefix) + 6]}


def active_with_secret(queryset, secret: str):
    """The active token of `queryset` with this secret, or None."""
    return queryset.filter(key_hash=sha256_hex(secret), revoked_at__isnull=True).first()


def revoke(token, *, by) -> bool:
    """Revoke now by compare-and-set: False (and nothing changed) if it already was."""
    changed = (
        type(token)
        .objects.filter(pk=token.pk, revoked_at__isnull=True)
        .update(revoked_at=timezone.now(), revoked_by=by)
    )
    token.refresh_from_db()
    return bool(changed)


def touch(token, *, now=None) -> None:
    """Note the token's use, at most once a minute (one UPDATE, no read)."""
    now = now or timezone.now()
    if token.last_used_at and now - token.last_used_at < LAST_USED_RESOLUTION:
        return
    type(token).objects.filter(pk=token.pk).update(last_used_at=now)
    token.last_used_at = now
