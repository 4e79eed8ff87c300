"""Writes on API tokens and webhook endpoints; the team pages and the API call these."""

import hashlib
import secrets
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from api.deliveries import ENDPOINT_DELETED, give_up_at
from api.models import ApiToken, IdempotencyKey, WebhookDelivery, WebhookEndpoint
from api.webhooks import EVENT_TYPES, vetted_addresses
from notifications.services import enqueue_webhook
from partners.models import Membership, Partner

TOKEN_PREFIX = "pp_"
# last_used_at is written at most this often per token, not on every request.
LAST_USED_RESOLUTION = timedelta(minutes=1)
IDEMPOTENCY_TTL = timedelta(hours=24)


def hash_key(secret: str) -> str:
    """SHA-256 is enough: the secret has 256 random bits, so no one can guess it from the hash."""
    return hashlib.sha256(secret.encode()).hexdigest()


def _check_admin(partner: Partner, by) -> None:
    """The partner's admins manage its tokens and webhooks; staff may step in (a leak)."""
    if by.is_staff:
        return
    if not Membership.objects.filter(user=by, partner=partner, role=Membership.Role.ADMIN).exists():
        raise ValidationError(
            _("Only an admin of your organisation can manage API tokens."), code="forbidden"
        )


@transaction.atomic
def create_api_token(
    *, partner: Partner, by, name: str, access: str = ApiToken.Access.READ
) -> tuple[ApiToken, str]:
    """Create a token for `partner`; returns it with its secret (the only time it exists).

    Effects: `by` must be an admin of `partner` (ValidationError "forbidden" otherwise); a
    name is required and access must be read or read_write; one ApiToken is saved with the
    SHA-256 of the secret and its first characters (to recognise it in the list). The token
    acts as `by` from then on.
    """
    _check_admin(partner, by)
    name = " ".join((name or "").split())
    errors = {}
    if not name:
        errors["name"] = _("Give the token a name, e.g. the system that will use it.")
    if access not in ApiToken.Access.values:
        errors["access"] = _("Choose read only or read and write.")
    if errors:
        raise ValidationError(errors)
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        partner=partner,
        name=name[:100],
        access=access,
        key_hash=hash_key(secret),
        prefix=secret[: len(TOKEN_PREFIX) + 6],
        created_by=by,
    )
    return token, secret


@transaction.atomic
def revoke_api_token(token: ApiToken, *, by) -> ApiToken:
    """Revoke a token now: the next request that carries it answers 401.

    Effects: `by` must be an admin of the token's partner (or staff); revoked_at/revoked_by are set by a
    compare-and-set, so a second revocation is refused (ValidationError) and changes nothing.
    """
    _check_admin(token.partner, by)
    changed = ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
        revoked_at=timezone.now(), revoked_by=by
    )
    token.refresh_from_db()
    if not changed:
        raise ValidationError(_("This token was already revoked."), code="already_revoked")
    return token


def touch_token(token: ApiToken, *, now=None) -> None:
    """Record the token's use, at most once a minute (one UPDATE, no read)."""
    now = now or timezone.now()
    if token.last_used_at and now - token.last_used_at < LAST_USED_RESOLUTION:
        return
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    token.last_used_at = now


def purge_idempotency_keys(*, now=None) -> int:
    """Delete the idempotency keys older than 24 hours; returns how many went."""
    cutoff = (now or timezone.now()) - IDEMPOTENCY_TTL
    deleted, _by_model = IdempotencyKey.objects.filter(created_at__lt=cutoff).delete()
    return deleted


@transaction.atomic
def create_webhook_endpoint(
    *, partner: Partner, by, url: str, event_types: list[str]
) -> WebhookEndpoint:
    """Register a URL that will receive the partner's events; returns it (with its secret).

    Effects: `by` must be an admin of `partner`; the URL must pass `vetted_addresses` (http(s),
    resolves to public addresses only, https unless allow-listed) and at least one known event
    type is needed (ValidationError keyed "url" / "event_types" otherwise); one
    WebhookEndpoint is saved with a new random signing secret.
    """
    _check_admin(partner, by)
    url = (url or "").strip()
    errors = {}
    try:
        vetted_addresses(url)
    except ValidationError as exc:
        errors["url"] = exc.messages
    chosen = sorted(set(event_types or ()))
    if not chosen or not set(chosen) <= set(EVENT_TYPES):
        errors["event_types"] = [_("Choose at least one event from the list.")]
    if errors:
        raise ValidationError(errors)
    return WebhookEndpoint.objects.create(
        partner=partner,
        url=url,
        secret="whsec_" + secrets.token_urlsafe(32),
        event_types=chosen,
        created_by=by,
    )


@transaction.atomic
def delete_webhook_endpoint(endpoint: WebhookEndpoint, *, by) -> None:
    """Stop sending events to the endpoint; its deliveries stay in the partner's log.

    Effects: `by` must be an admin of its partner; the endpoint is marked deleted (deleted_at,
    deleted_by; deleting it again changes nothing), so no new delivery is made for it and the
    page no longer lists it; its deliveries still waiting become `failed` with the last error
    "endpoint deleted" (one being sent at this moment is failed by `deliver` if it needs a
    retry). Redeliver refuses its deliveries.
    """
    _check_admin(endpoint.partner, by)
    WebhookEndpoint.objects.filter(pk=endpoint.pk, deleted_at__isnull=True).update(
        deleted_at=timezone.now(), deleted_by=by
    )
    WebhookDelivery.objects.filter(endpoint=endpoint, status=WebhookDelivery.Status.PENDING).update(
        status=WebhookDelivery.Status.FAILED, next_attempt_at=None, last_error=ENDPOINT_DELETED
    )
    endpoint.refresh_from_db()


@transaction.atomic
def redeliver_webhook(delivery: WebhookDelivery, *, by) -> WebhookDelivery:
    """Send a delivery again ("Redeliver"): the same event, signed anew, to the same endpoint.

    Effects: `by` must be an admin of the endpoint's partner (or staff); a delivery of a
    deleted endpoint (ValidationError "deleted") or one being sent right now ("sending") is
    refused; otherwise, by a compare-and-set,
    it goes back to `pending` with no wait, its attempts at 0 and a new 24-hour retry window
    (last error and code kept until the next attempt), and is handed to the worker after
    commit (without a broker: sent in this process).
    """
    _check_admin(delivery.endpoint.partner, by)
    if delivery.endpoint.deleted_at is not None:
        raise ValidationError(
            _("This endpoint was deleted: nothing is sent to it any more."), code="deleted"
        )
    Status = WebhookDelivery.Status
    now = timezone.now()
    changed = (
        WebhookDelivery.objects.filter(pk=delivery.pk)
        .exclude(status=Status.SENDING)
        .update(status=Status.PENDING, attempts=0, next_attempt_at=None, give_up_at=give_up_at(now))
    )
    if not changed:
        raise ValidationError(
            _("This delivery is being sent right now; try again in a minute."), code="sending"
        )
    transaction.on_commit(lambda: enqueue_webhook(delivery.pk))
    delivery.refresh_from_db()
    return delivery
