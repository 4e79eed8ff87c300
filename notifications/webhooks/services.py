"""Writes on the partner's webhook endpoints and their deliveries; the team pages, the API
and admin call these."""

import secrets

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from notifications.activity import record_activity
from notifications.services import enqueue_webhook
from notifications.webhooks.deliveries import ENDPOINT_DELETED, give_up_at
from notifications.webhooks.events import EVENT_TYPES
from notifications.webhooks.models import WebhookDelivery, WebhookEndpoint
from notifications.webhooks.transport import vetted_addresses
from partners.access import check_partner_admin
from partners.models import Partner

ADMINS_ONLY = gettext_lazy("Only an admin of your organisation can manage webhooks.")


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
    check_partner_admin(partner, by, ADMINS_ONLY)
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
    endpoint = WebhookEndpoint.objects.create(
        partner=partner,
        url=url,
        secret="whsec_" + secrets.token_urlsafe(32),
        event_types=chosen,
        created_by=by,
    )
    record_activity(
        action="webhook.endpoint_created", actor=by, obj=endpoint, data={"events": chosen}
    )
    return endpoint


@transaction.atomic
def delete_webhook_endpoint(endpoint: WebhookEndpoint, *, by) -> None:
    """Stop sending events to the endpoint; its deliveries stay in the partner's log.

    Effects: `by` must be an admin of its partner; the endpoint is marked deleted (deleted_at,
    deleted_by; deleting it again changes nothing), so no new delivery is made for it and the
    page no longer lists it; its deliveries still waiting become `failed` with the last error
    "endpoint deleted" (one being sent at this moment is failed by `deliver` if it needs a
    retry). Redeliver refuses its deliveries.
    """
    check_partner_admin(endpoint.partner, by, ADMINS_ONLY)
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
    """Send a delivery again ("Redeliver"): the same event, signed anew, to the same endpoint.

    Effects: `by` must be an admin of the endpoint's partner (or staff); a delivery of a
    deleted endpoint (ValidationError "deleted") or one being sent right now ("sending") is
    refused; otherwise, by a compare-and-set,
    it goes back to `pending` with no wait, its attempts at 0 and a new 24-hour retry window
    (last error and code kept until the next attempt), and is handed to the worker after
    commit (without a broker: sent in this process).
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
        .update(status=Status.PENDING, attempts=0, next_attempt_at=None, give_up_at=give_up_at(now))
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
