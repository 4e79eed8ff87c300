"""Webhook deliveries: each partner event POSTed to each of its endpoints that asked for it.

`notifications.services.fan_out` calls `create_deliveries` under its lock on the event, next to
the e-mail and in-app rows, so there is one WebhookDelivery per (event, endpoint) (the unique
constraint guards it too). `deliver` claims a row by a compare-and-set update before sending,
so two workers given the same row send once. A failed attempt is retried with exponential
backoff (WEBHOOK_RETRY_SECONDS doubling, at most an hour apart) for WEBHOOK_RETRY_HOURS, then
the row is failed; "Redeliver" starts it again.

Ordered per endpoint: an endpoint receives its events one at a time, in the order they
happened (event id). A delivery is claimed only when no earlier delivery to the same endpoint
is waiting or being sent (its retries included), and, while an earlier event of the partner
is still being fanned out (for at most FAN_OUT_WAIT), it waits for it too. When a delivery
ends (delivered or failed for good) the caller hands the endpoint's next one on
(`next_in_line`); the sweep hands on only the first in each line.
"""

import json
import logging
import time
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone

from notifications.models import Event
from notifications.webhooks.events import event_type, payload
from notifications.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from notifications.webhooks.transport import (
    DELIVERY_HEADER,
    EVENT_HEADER,
    SIGNATURE_HEADER,
    send,
    signature,
    standard_headers,
)
from web import metrics

logger = logging.getLogger(__name__)
Status = WebhookDelivery.Status
ENDPOINT_DELETED = "endpoint deleted"  # last_error of the deliveries never sent for that reason


# An earlier event of the partner not yet fanned out holds its later deliveries back (its own
# may go to the same endpoint or address) this long at most; one stuck longer is passed over.
FAN_OUT_WAIT = timedelta(minutes=10)
# How soon a delivery held back by such an event is tried again.
FAN_OUT_RETRY_SECONDS = 2
WAITING = (Status.PENDING, Status.SENDING)


def give_up_at(now):
    return now + timedelta(hours=settings.WEBHOOK_RETRY_HOURS)


def waits_for_fan_out(*, event_id: int, partner_id: int | None, now) -> bool:
    """An earlier event of the same partner, recent, is still without its deliveries."""
    if partner_id is None:
        return False
    return Event.objects.filter(
        partner_id=partner_id,
        pk__lt=event_id,
        fanned_out_at__isnull=True,
        created_at__gte=now - FAN_OUT_WAIT,
    ).exists()


def _earlier_waiting():
    """For a delivery (the outer row): an earlier event's delivery to the same endpoint that is
    still waiting or being sent."""
    return WebhookDelivery.objects.filter(
        endpoint_id=OuterRef("endpoint_id"), event_id__lt=OuterRef("event_id"), status__in=WAITING
    )


def _endpoint_paused():
    """For a delivery (the outer row): its endpoint, paused (its deliveries are held). A
    condition on the row itself, not a join: the sender's claim stays one UPDATE of the row
    (see `deliver`)."""
    return WebhookEndpoint.objects.filter(pk=OuterRef("endpoint_id"), paused=True)


def first_in_line():
    """The pending deliveries no earlier one to the same endpoint holds back."""
    return WebhookDelivery.objects.filter(status=Status.PENDING).filter(
        ~Exists(_endpoint_paused()), ~Exists(_earlier_waiting())
    )


def _due(now) -> Q:
    return Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)


def next_in_line(delivery_id: int) -> int | None:
    """After `delivery_id` ended (delivered or failed): its endpoint's next delivery, if it is
    first in line and due now (one waiting for its retry is handed on by that retry)."""
    ended = (
        WebhookDelivery.objects.filter(pk=delivery_id)
        .exclude(status__in=WAITING)
        .values_list("endpoint_id", flat=True)
        .first()
    )
    if ended is None:
        return None
    return (
        first_in_line()
        .filter(endpoint_id=ended)
        .filter(_due(timezone.now()))
        .order_by("event_id")
        .values_list("pk", flat=True)
        .first()
    )


def create_deliveries(event, *, now) -> int:
    """One pending delivery per endpoint of the event's partner that subscribed to its type.

    Called inside `fan_out`'s transaction (the event row is locked); a row already there is
    kept (ignore_conflicts on the unique pair). Returns how many endpoints subscribe.
    """
    name = event_type(event.kind)
    if name is None or event.partner_id is None:
        return 0
    endpoints = [
        endpoint
        for endpoint in WebhookEndpoint.objects.filter(
            partner_id=event.partner_id, deleted_at__isnull=True, paused=False
        )
        if name in endpoint.event_types
    ]
    WebhookDelivery.objects.bulk_create(
        [
            WebhookDelivery(event=event, endpoint=endpoint, give_up_at=give_up_at(now))
            for endpoint in endpoints
        ],
        ignore_conflicts=True,
    )
    return len(endpoints)


def pending_ids(event_id: int) -> list[int]:
    return list(
        WebhookDelivery.objects.filter(event_id=event_id, status=Status.PENDING).values_list(
            "pk", flat=True
        )
    )


def retry_delay(attempts: int) -> int:
    """Seconds before the next try: doubling from WEBHOOK_RETRY_SECONDS, at most an hour."""
    return min(settings.WEBHOOK_RETRY_SECONDS * 2 ** max(attempts - 1, 0), 3600)


def body(delivery: WebhookDelivery) -> bytes:
    return json.dumps(payload(delivery.event), separators=(",", ":")).encode()


def deliver(*, delivery_id: int) -> int | None:
    """POST one webhook delivery, signed with its endpoint's secret; at most one sender.

    Effects: the row is claimed (pending, due, and first in its endpoint's line → sending,
    attempts + 1, claimed_at) by a compare-and-set update, so of two workers only one sends
    and an endpoint gets its events in order (not first in line: nothing happens, the earlier
    delivery hands it on when it ends; an earlier event of the partner still being fanned out:
    FAN_OUT_RETRY_SECONDS is returned, no attempt counted; its endpoint paused: held, not
    claimed); the event JSON is POSTed with `transport.send` (URL vetted again, the Standard
    Webhooks headers of `headers`) and the attempt is logged (one WebhookAttempt: number, time,
    duration, code, error). A 2xx
    answer makes it `delivered` (delivered_at, last_response_code); any other answer, a
    network error or a refused URL records last_error (and the code) and puts it back to
    `pending` with the next attempt's time, or `failed` once the next attempt would fall
    after give_up_at. A delivery whose endpoint was deleted is failed unsent. Returns the
    seconds until the next attempt when one is due, else None.
    """
    now = timezone.now()
    waiting = (
        WebhookDelivery.objects.filter(pk=delivery_id, status=Status.PENDING)
        .filter(_due(now))
        .values("event_id", "event__partner_id")
        .first()
    )
    if waiting is None:
        return None
    if waits_for_fan_out(
        event_id=waiting["event_id"], partner_id=waiting["event__partner_id"], now=now
    ):
        return FAN_OUT_RETRY_SECONDS
    # One UPDATE of this row alone, no join: PostgreSQL re-checks a row's own conditions (the
    # status still pending) after waiting for another claim's lock. With a join (the
    # endpoint's `paused` as `endpoint__paused`) Django writes `id IN (SELECT ...)`, whose
    # status is read before the wait: two racing claims both won and the event was POSTed
    # twice (tests/api/test_webhook_delivery.py).
    claimed = (
        WebhookDelivery.objects.filter(pk=delivery_id, status=Status.PENDING)
        .filter(_due(now), ~Exists(_endpoint_paused()), ~Exists(_earlier_waiting()))
        .update(status=Status.SENDING, claimed_at=now, attempts=F("attempts") + 1)
    )
    if not claimed:
        return None
    delivery = WebhookDelivery.objects.select_related("event", "endpoint").get(pk=delivery_id)
    if delivery.endpoint.deleted_at is not None:  # deleted while this row waited or was retried
        WebhookDelivery.objects.filter(pk=delivery_id, status=Status.SENDING).update(
            status=Status.FAILED, last_error=ENDPOINT_DELETED, next_attempt_at=None
        )
        return None
    code, error, started = None, "", timezone.now()
    clock = time.monotonic()
    try:
        code = send(
            delivery.endpoint.url,
            body(delivery),
            timeout=settings.WEBHOOK_TIMEOUT_SECONDS,
            headers=headers(delivery, body(delivery), now=started),
        )
    except ValidationError as exc:
        error = "refused: " + " ".join(exc.messages)
    except Exception as exc:  # noqa: BLE001 - any network or TLS error is retried
        error = f"{type(exc).__name__}: {exc}"
    else:
        if not 200 <= code < 300:
            error = f"HTTP {code}"
    WebhookAttempt.objects.create(
        delivery=delivery,
        number=delivery.attempts,
        started_at=started,
        duration_ms=round((time.monotonic() - clock) * 1000),
        response_code=code,
        error=error[:2000],
    )
    if not error:
        WebhookDelivery.objects.filter(pk=delivery_id, status=Status.SENDING).update(
            status=Status.DELIVERED,
            delivered_at=timezone.now(),
            last_response_code=code,
            last_error="",
        )
        logger.info(
            "webhook delivery %s of event %s delivered (HTTP %s)",
            delivery_id,
            delivery.event_id,
            code,
        )
        metrics.DELIVERY_ATTEMPTS.labels("webhook", "sent").inc()
        return None
    return _failed(delivery, error[:2000], code)


def headers(delivery: WebhookDelivery, body: bytes, *, now) -> dict[str, str]:
    """The Standard Webhooks headers (the id is the event's: the same on every attempt and
    redelivery, for the receiver to deduplicate on), signed with every valid secret, and the
    previous release's headers (deprecated)."""
    endpoint, event = delivery.endpoint, delivery.event
    return {
        **standard_headers(endpoint.secrets_valid_at(now), message_id(event), body),
        EVENT_HEADER: event_type(event.kind) or "",
        DELIVERY_HEADER: str(delivery.pk),
        SIGNATURE_HEADER: signature(endpoint.secret, body),
    }


def message_id(event) -> str:
    return str(event.pk)


def _failed(delivery: WebhookDelivery, error: str, code: int | None) -> int | None:
    delay = retry_delay(delivery.attempts - delivery.attempts_at_redelivery)
    now = timezone.now()
    if now + timedelta(seconds=delay) > delivery.give_up_at:
        logger.error("webhook delivery %s failed for good: %s", delivery.pk, error)
        metrics.DELIVERY_ATTEMPTS.labels("webhook", "failed").inc()
        WebhookDelivery.objects.filter(pk=delivery.pk, status=Status.SENDING).update(
            status=Status.FAILED, last_error=error, last_response_code=code, next_attempt_at=None
        )
        return None
    metrics.DELIVERY_ATTEMPTS.labels("webhook", "retry").inc()
    logger.warning(
        "webhook delivery %s failed (try %s), again in %ss: %s",
        delivery.pk,
        delivery.attempts,
        delay,
        error,
    )
    WebhookDelivery.objects.filter(pk=delivery.pk, status=Status.SENDING).update(
        status=Status.PENDING,
        last_error=error,
        last_response_code=code,
        next_attempt_at=now + timedelta(seconds=delay),
    )
    return delay


def sweep(*, now, grace: timedelta) -> tuple[list[int], int]:
    """For the notifications sweep: rows `sending` for 15 minutes (their worker died) go back to
    pending; returns the ids of pending rows first in their endpoint's line whose time has come
    (and whose own retry did not fire), oldest event first, and how many were stale."""
    stale = WebhookDelivery.objects.filter(
        status=Status.SENDING, claimed_at__lte=now - timedelta(minutes=15)
    ).update(status=Status.PENDING, next_attempt_at=now - grace)
    due = list(
        first_in_line()
        .filter(
            Q(next_attempt_at__lte=now - grace)
            | Q(next_attempt_at__isnull=True, created_at__lte=now - grace)
        )
        .order_by("event_id", "pk")
        .values_list("pk", flat=True)[:1000]
    )
    return due, stale
