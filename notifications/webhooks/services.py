"""Writes on the partner's webhook endpoints and their deliveries; the team pages, the API
and admin call these."""

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from notifications.activity import record_activity
from notifications.models import Event, Kind
from notifications.services import enqueue_webhook
from notifications.webhooks.deliveries import ENDPOINT_DELETED, first_in_line, give_up_at
from notifications.webhooks.events import EVENT_TYPES
from notifications.webhooks.models import WebhookDelivery, WebhookEndpoint
from notifications.webhooks.transport import new_secret, vetted_addresses, wire_url
from partners.access import check_partner_admin
from partners.models import Partner
from web.versions import check_version

ADMINS_ONLY = gettext_lazy("Only an admin of your organisation can manage webhooks.")


def create_webhook_endpoint(
    *, partner: Partner, by, url: str, event_types: list[str]
) -> WebhookEndpoint:
    """Register a URL that will receive the partner's events; returns it (with its secret).

    Effects: `by` must be an admin of `partner`; the URL is kept as it goes on the wire
    (`wire_url`: a non-ASCII host in IDNA, other letters %-encoded) and must pass
    `vetted_addresses` (http(s), resolves to public addresses only, https unless allow-listed,
    port 443 or from 1024), be no other live endpoint's of the partner (checked under
    `_one_per_url`'s lock), and at least one known event type is needed (ValidationError
    keyed "url" / "event_types" otherwise); one WebhookEndpoint is saved with a new Standard
    Webhooks secret (`whsec_` + base64 of 32 random bytes); an activity entry
    "webhook.endpoint_created".
    """
    check_partner_admin(partner, by, ADMINS_ONLY)
    url, chosen = _checked(url, event_types)  # its DNS asked outside the transaction
    secret = new_secret()
    with transaction.atomic():
        _one_per_url(partner.pk, url)
        endpoint = WebhookEndpoint.objects.create(
            partner=partner,
            url=url,
            # The previous release signs with `secret`: the same string keeps it harmless.
            secret=secret,
            signing_secret=secret,
            event_types=chosen,
            created_by=by,
        )
        record_activity(
            action="webhook.endpoint_created", actor=by, obj=endpoint, data={"events": chosen}
        )
    return endpoint


URL_MAX_LENGTH = WebhookEndpoint._meta.get_field("url").max_length


def _checked(url, event_types, *, check_url: bool = True) -> tuple[str, list[str]]:
    """The URL as it goes on the wire (transport.wire_url) and the chosen events, or a
    ValidationError keyed by field: a URL that vetted_addresses refuses (`check_url`; its DNS
    is asked before the service's transaction), or too long once encoded; no event, or an
    unknown one."""
    url = (url or "").strip()
    errors = {}
    if check_url:
        try:
            url = wire_url(url)
            vetted_addresses(url)
        except ValidationError as exc:
            errors["url"] = exc.messages
        else:
            if len(url) > URL_MAX_LENGTH:
                errors["url"] = [
                    _("Keep the URL to %(max)d characters (written out in ASCII).")
                    % {"max": URL_MAX_LENGTH}
                ]
    chosen = sorted(set(event_types or ()))
    if not chosen or not set(chosen) <= set(EVENT_TYPES):
        errors["event_types"] = [_("Choose at least one event from the list.")]
    if errors:
        raise ValidationError(errors)
    return url, chosen


def _one_per_url(partner_id: int, url: str, exclude=None) -> None:
    """Refuse `url` if one of the partner's live endpoints (but `exclude`) has it: each
    event would be sent to it twice. The partner's row is locked first (FOR NO KEY UPDATE,
    so rows that only point at the partner, an event or an activity entry written by another
    endpoint's change, do not wait for it): two admins adding the same URL at once make one
    endpoint. Called before the endpoint's own row is locked, always in that order."""
    Partner.objects.select_for_update(no_key=True).filter(pk=partner_id).first()
    taken = WebhookEndpoint.objects.filter(partner_id=partner_id, url=url, deleted_at=None)
    if taken.exclude(pk=exclude).exists():
        raise ValidationError(
            {
                "url": _(
                    "An endpoint for this URL exists already: change its events instead "
                    "of adding another (each event would be sent twice)."
                )
            },
            code="duplicate",
        )


def _live(endpoint: WebhookEndpoint, expected_version: str | None = None) -> WebhookEndpoint:
    """The endpoint's row, locked (two admins may change it at once), if not deleted and, with
    `expected_version` (the API's If-Match), still at that version (code "stale")."""
    locked = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
    if locked.deleted_at is not None:
        raise ValidationError(
            _("This endpoint was deleted: nothing is sent to it any more."), code="deleted"
        )
    message = _("This endpoint changed since you read it; read it again and repeat your change.")
    check_version(locked.version, expected_version, message)
    return locked


def update_webhook_endpoint(
    endpoint: WebhookEndpoint,
    *,
    by,
    url: str | None = None,
    event_types: list[str] | None = None,
    paused: bool | None = None,
    expected_version: str | None = None,
) -> WebhookEndpoint:
    """Change an endpoint's URL, events or pause (None: unchanged); returns it.

    Effects: `by` must be an admin of its partner; a deleted endpoint is refused ("deleted"),
    and so is one changed since `expected_version` when it is given ("stale", checked on the
    locked row);
    the URL (only when it changes) and the events are checked as on creation; the row is saved
    with what changed and one activity entry "webhook.endpoint_updated" lists the changes
    (none: nothing is written). Paused: no new delivery is made for it and its waiting ones are
    held; resumed: the first one waiting is handed to the worker after commit.
    """
    check_partner_admin(endpoint.partner, by, ADMINS_ONLY)
    new_url = endpoint.url if url is None else url.strip()
    new_url, chosen = _checked(
        new_url,
        endpoint.event_types if event_types is None else event_types,
        check_url=new_url != endpoint.url,  # vetted when it was stored
    )
    with transaction.atomic():  # the checks above, DNS included, outside it
        # As on creation: one endpoint per URL (the partner's lock first, then the row's).
        if url is not None:
            _one_per_url(endpoint.partner_id, new_url, exclude=endpoint.pk)
        locked = _live(endpoint, expected_version)
        # What the call leaves alone is the row's as it is now (another admin may have
        # changed it since `endpoint` was read).
        if url is None:
            new_url = locked.url
        if event_types is None:
            chosen = locked.event_types
        wanted = {"url": new_url, "event_types": chosen}
        if paused is not None:
            wanted["paused"] = paused
        changes = {
            name: [getattr(locked, name), value]
            for name, value in wanted.items()
            if getattr(locked, name) != value
        }
        if changes:
            for name, (_before, after) in changes.items():
                setattr(locked, name, after)
            locked.save(update_fields=list(changes))
            record_activity(
                action="webhook.endpoint_updated", actor=by, obj=locked, changes=changes
            )
        if changes.get("paused", [None, True])[1] is False:
            _hand_on_first(locked)
        return locked


def _hand_on_first(endpoint: WebhookEndpoint) -> None:
    first = (
        first_in_line()
        .filter(endpoint=endpoint)
        .order_by("event_id")
        .values_list("pk", flat=True)
        .first()
    )
    if first is not None:
        transaction.on_commit(lambda: enqueue_webhook(first))


@transaction.atomic
def rotate_webhook_secret(endpoint: WebhookEndpoint, *, by) -> WebhookEndpoint:
    """Give the endpoint a new signing secret; the old one keeps signing for a grace period.

    Effects: `by` must be an admin of its partner; a deleted endpoint is refused; the current
    secret becomes the previous one, valid until now + WEBHOOK_SECRET_GRACE_HOURS (deliveries
    until then carry two signatures, one per secret, so the receiver can switch at its pace;
    a previous secret still in its grace period is dropped); a new secret is made; an activity
    entry "webhook.secret_rotated" (without the secrets). Returns the endpoint, whose
    `signing_secret` is the new one, shown once.
    """
    check_partner_admin(endpoint.partner, by, ADMINS_ONLY)
    locked = _live(endpoint)
    grace = timedelta(hours=settings.WEBHOOK_SECRET_GRACE_HOURS)
    locked.previous_signing_secret = locked.standard_secret
    locked.previous_secret_expires_at = timezone.now() + grace
    locked.signing_secret = locked.secret = new_secret()
    locked.save(
        update_fields=[
            "previous_signing_secret",
            "previous_secret_expires_at",
            "signing_secret",
            "secret",
        ]
    )
    record_activity(
        action="webhook.secret_rotated",
        actor=by,
        obj=locked,
        data={"previous_valid_until": locked.previous_secret_expires_at.isoformat()},
    )
    return locked


TEST_MESSAGE = "A test event from the VNG Cloud Partner Portal."


@transaction.atomic
def send_test_webhook(endpoint: WebhookEndpoint, *, by) -> WebhookDelivery:
    """Send a `webhook.test` event to this endpoint only; returns its delivery.

    Effects: `by` must be an admin of its partner; a deleted endpoint is refused (a paused one
    too: "paused"); one Event of kind webhook_test (data: a message and the endpoint's id;
    marked fanned out, so nobody else hears of it) and one pending WebhookDelivery to the
    endpoint, signed and retried like any other and shown in the log; an activity entry
    "webhook.test_sent"; after commit the delivery is handed to the worker.
    """
    check_partner_admin(endpoint.partner, by, ADMINS_ONLY)
    locked = _live(endpoint)
    if locked.paused:
        raise ValidationError(
            _("This endpoint is paused: resume it to send it a test event."), code="paused"
        )
    now = timezone.now()
    event = Event.objects.create(
        kind=Kind.WEBHOOK_TEST,
        partner_id=locked.partner_id,
        actor=by,
        data={"message": TEST_MESSAGE, "endpoint": locked.pk},
        fanned_out_at=now,
    )
    delivery = WebhookDelivery.objects.create(
        event=event, endpoint=locked, give_up_at=give_up_at(now)
    )
    record_activity(
        action="webhook.test_sent",
        actor=by,
        obj=locked,
        data={"event": event.pk, "delivery": delivery.pk},
    )
    transaction.on_commit(lambda: enqueue_webhook(delivery.pk))
    return delivery


@transaction.atomic
def delete_webhook_endpoint(
    endpoint: WebhookEndpoint, *, by, expected_version: str | None = None
) -> None:
    """Stop sending events to the endpoint; its deliveries stay in the partner's log.

    Effects: `by` must be an admin of its partner; with `expected_version` (the API's
    If-Match), an endpoint changed since is refused ("stale", checked on the locked row); the
    endpoint is marked deleted (deleted_at, deleted_by; deleting it again changes nothing), so
    no new delivery is made for it and the page no longer lists it; its deliveries still
    waiting become `failed` with the last error "endpoint deleted" (one being sent at this
    moment is failed by `deliver` if it needs a retry). Redeliver refuses its deliveries.
    """
    check_partner_admin(endpoint.partner, by, ADMINS_ONLY)
    if expected_version is not None:
        try:
            _live(endpoint, expected_version)
        except ValidationError as refusal:
            if refusal.code != "deleted":  # deleting it again changes nothing
                raise
    deleted = WebhookEndpoint.objects.filter(pk=endpoint.pk, deleted_at__isnull=True).update(
        deleted_at=timezone.now(), deleted_by=by
    )
    if deleted:
        record_activity(action="webhook.endpoint_deleted", actor=by, obj=endpoint)
    WebhookDelivery.objects.filter(endpoint=endpoint, status=WebhookDelivery.Status.PENDING).update(
        status=WebhookDelivery.Status.FAILED, next_attempt_at=None, last_error=ENDPOINT_DELETED
    )
    endpoint.refresh_from_db()


@transaction.atomic
def redeliver_webhook(delivery: WebhookDelivery, *, by) -> WebhookDelivery:
    """Send a delivery again ("Redeliver"): a new attempt of the same event (the same
    `webhook-id`, for the receiver to deduplicate on), signed anew, to the same endpoint.

    Effects: `by` must be an admin of the endpoint's partner (or staff); a delivery of a
    deleted endpoint (ValidationError "deleted") or one being sent right now ("sending") is
    refused; otherwise, by a compare-and-set, it goes back to `pending` with no wait and a new
    24-hour retry window; its attempts keep counting and their log (WebhookAttempt) stays, the
    backoff starts again from here (`attempts_at_redelivery`); last error and code are kept
    until the next attempt; an activity entry "webhook.redelivered"; it is handed to the
    worker after commit (without a broker: sent in this process).
    """
    check_partner_admin(delivery.endpoint.partner, by, ADMINS_ONLY)
    if delivery.endpoint.deleted_at is not None:
        raise ValidationError(
            _("This endpoint was deleted: nothing is sent to it any more."), code="deleted"
        )
    Status = WebhookDelivery.Status
    now = timezone.now()
    changed = (
        WebhookDelivery.objects.filter(pk=delivery.pk)
        .exclude(status=Status.SENDING)
        .update(
            status=Status.PENDING,
            attempts_at_redelivery=F("attempts"),
            next_attempt_at=None,
            give_up_at=give_up_at(now),
        )
    )
    if not changed:
        raise ValidationError(
            _("This delivery is being sent right now; try again in a minute."), code="sending"
        )
    record_activity(
        action="webhook.redelivered",
        actor=by,
        obj=delivery.endpoint,
        data={"event": delivery.event_id, "delivery": delivery.pk},
    )
    transaction.on_commit(lambda: enqueue_webhook(delivery.pk))
    delivery.refresh_from_db()
    return delivery
