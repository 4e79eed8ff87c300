"""Writing events (the outbox) and delivering them.

Every service that changes state calls `record_event` inside its own transaction: the Event
row commits with the change or not at all. After commit the event is handed to the Celery
worker (`notifications.tasks`), or, without a broker, delivered in-process by the same code.

Delivery is at most once per (event, recipient, channel): `fan_out` creates the rows under a
lock on the event and the unique constraints; `send_email` claims a row with a
compare-and-set update before sending, so two workers given the same task send one e-mail.

In order per address: one address receives its e-mails one at a time, in the order the events
happened (event id), as an endpoint receives its webhooks (`notifications.webhooks.deliveries`):
an e-mail is claimed only when no earlier one to the same address is waiting or being sent (its
retries included); when one ends, the caller hands the next on (`next_email_in_line`).
"""

import logging
from contextlib import contextmanager
from datetime import timedelta

from celery import current_app
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.db.models import Exists, F, OuterRef, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django_guid import get_guid, set_guid

from notifications.activity import record_activity
from notifications.messages import message, title
from notifications.models import Delivery, Event, Preference
from notifications.recipients import recipients_for
from notifications.webhooks import deliveries as webhooks
from notifications.webhooks.events import build_data
from partners.models import Membership
from web import metrics

logger = logging.getLogger(__name__)
Channel = Delivery.Channel
Status = Delivery.Status

FAN_OUT_TASK = "notifications.tasks.fan_out_event"
SEND_TASK = "notifications.tasks.send_email_delivery"
WEBHOOK_TASK = "notifications.tasks.send_webhook_delivery"


# --- writing events (inside the caller's transaction) --------------------------------------


def record_event(
    kind: str, *, deal=None, partner=None, actor=None, params: dict | None = None, key=None
) -> Event | None:
    """Write one Event in the caller's transaction; hand it to delivery after commit.

    Effects: one Event row (kind, partner, deal, actor, params, and the `data` partners get:
    `webhooks.events.build_data`); after the transaction
    commits, `enqueue_event`. With a `key` (a scheduled event: kind, deal, date) a second
    event with the same key is not written and None is returned.
    """
    return (
        record_events(
            [dict(kind=kind, deal=deal, partner=partner, actor=actor, params=params, key=key)]
        )
        or [None]
    )[0]


def record_events(specs: list[dict]) -> list[Event]:
    """Several events in one INSERT (a win writes "won" and "discount issued" together),
    each with the id of the request or task that caused it."""
    request_id = (get_guid() or "")[:64]
    events = [
        Event(
            kind=spec["kind"],
            deal=spec.get("deal"),
            partner=spec.get("partner") or getattr(spec.get("deal"), "partner", None),
            actor=spec.get("actor"),
            params=spec.get("params") or {},
            key=spec.get("key"),
            request_id=request_id,
        )
        for spec in specs
    ]
    for event, data in zip(events, build_data(events), strict=True):
        event.data = data
    if any(event.key for event in events):
        events = [event for event in events if _insert_keyed(event)]
    else:
        events = Event.objects.bulk_create(events)
    for event in events:
        transaction.on_commit(lambda pk=event.pk: enqueue_event(pk))
    transaction.on_commit(lambda kinds=[e.kind for e in events]: _count_events(kinds))
    return events


def _count_events(kinds: list[str]) -> None:
    for kind in kinds:
        metrics.EVENTS_RECORDED.labels(kind).inc()


def _insert_keyed(event: Event) -> bool:
    # A savepoint: a duplicate key must not abort the caller's transaction.
    try:
        with transaction.atomic():
            event.save()
    except IntegrityError:
        return False
    return True


# --- handing over to the worker -----------------------------------------------------------


def broker_configured() -> bool:
    return bool(settings.CELERY_BROKER_URL)


def _send_task(name: str, args: list, countdown: float | None = None) -> bool:
    """Publish a task; a broker outage is logged, not raised (the sweep catches up)."""
    try:
        current_app.send_task(name, args=args, countdown=countdown)
    except Exception as exc:  # noqa: BLE001 - any broker error; the change is committed
        logger.warning("could not enqueue %s%s: %s; the sweep will retry", name, args, exc)
        return False
    return True


@contextmanager
def _request_id(request_id: str):
    """Tasks published inside carry `request_id` (django-guid reads it when publishing)."""
    outer = get_guid()
    set_guid(request_id or outer)
    try:
        yield
    finally:
        set_guid(outer)


def enqueue_event(event_id: int) -> None:
    """After commit: the worker fans the event out, or without a broker this process does."""
    if broker_configured():
        _send_task(FAN_OUT_TASK, [event_id])
        return
    for delivery_id in fan_out(event_id=event_id):
        enqueue_delivery(delivery_id)
    for delivery_id in webhooks.pending_ids(event_id):
        enqueue_webhook(delivery_id)


def enqueue_delivery(delivery_id: int, countdown: float | None = None) -> None:
    """Hand one e-mail delivery to the worker; without a broker, send it now and then the ones
    it holds back (retries then come from the sweep)."""
    if broker_configured():
        _send_task(SEND_TASK, [delivery_id], countdown)
    elif countdown is None:
        _send_in_line(delivery_id, send_email, next_email_in_line)


def enqueue_webhook(delivery_id: int, countdown: float | None = None) -> None:
    """Hand one webhook delivery to the worker; without a broker, send it now and then the ones
    it holds back (retries then come from the sweep)."""
    if broker_configured():
        _send_task(WEBHOOK_TASK, [delivery_id], countdown)
    elif countdown is None:
        _send_in_line(delivery_id, send_webhook, webhooks.next_in_line)


def _send_in_line(delivery_id: int | None, send, next_in_line) -> None:
    # A loop, not recursion: a backlog of thousands for one address is sent one after another.
    while delivery_id is not None:
        if send(delivery_id=delivery_id) is not None:
            return  # a retry is due later
        delivery_id = next_in_line(delivery_id)


def send_webhook(*, delivery_id: int) -> int | None:
    """POST one webhook delivery once (`notifications.webhooks.deliveries.deliver`: claim, sign, send, log)."""
    return webhooks.deliver(delivery_id=delivery_id)


# --- fan-out: one delivery per recipient and channel ------------------------------------------


def fan_out(*, event_id: int) -> list[int]:
    """Create the event's deliveries (once) and return the e-mail deliveries still to send.

    Effects: the event row is locked, so two workers fanning out one event queue here and
    the second finds it done; one in-app Delivery per recipient user (ready to read) and one
    e-mail Delivery per recipient who has an address and wants this kind by e-mail; one
    pending WebhookDelivery per endpoint of the partner subscribed to the event's type
    (`notifications.webhooks.deliveries.create_deliveries`; the caller sends `webhooks.pending_ids`);
    `fanned_out_at` is set. A missing event (its change rolled back) is ignored.
    """
    now = timezone.now()
    with transaction.atomic():
        event = Event.objects.select_for_update().filter(pk=event_id).first()
        if event is None:
            return []
        if event.fanned_out_at is None:
            rows = _deliveries(event, now)
            Delivery.objects.bulk_create(rows, ignore_conflicts=True)
            webhooks.create_deliveries(event, now=now)
            event.fanned_out_at = now
            event.save(update_fields=["fanned_out_at"])
    return list(
        Delivery.objects.filter(
            event_id=event_id, channel=Channel.EMAIL, status=Status.PENDING
        ).values_list("pk", flat=True)
    )


def _deliveries(event: Event, now) -> list[Delivery]:
    rows = []
    for person in recipients_for(event):
        if person.user is not None:
            rows.append(
                Delivery(
                    event=event,
                    channel=Channel.IN_APP,
                    user=person.user,
                    language=person.language,
                    status=Status.SENT,
                    sent_at=now,
                )
            )
        if person.email and person.wants_email:
            rows.append(
                Delivery(
                    event=event,
                    channel=Channel.EMAIL,
                    user=person.user,
                    email=person.email.lower(),
                    language=person.language,
                )
            )
        elif not person.email:
            logger.info("event %s: %s has no e-mail address; in-app only", event.pk, person.user)
    return rows


# --- sending one e-mail -------------------------------------------------------------------------


def retry_delay(attempts: int) -> int:
    """Seconds before the next try: doubling from NOTIFICATION_RETRY_SECONDS, at most 1 hour."""
    return min(settings.NOTIFICATION_RETRY_SECONDS * 2 ** max(attempts - 1, 0), 3600)


def _due(now) -> Q:
    return Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)


def _earlier_email_waiting():
    """For an e-mail delivery (the outer row): an earlier event's e-mail to the same address
    that is still waiting or being sent."""
    return Delivery.objects.filter(
        channel=Channel.EMAIL,
        email=OuterRef("email"),
        event_id__lt=OuterRef("event_id"),
        status__in=(Status.PENDING, Status.SENDING),
    )


def emails_first_in_line():
    """The pending e-mail deliveries no earlier one to the same address holds back."""
    return Delivery.objects.filter(channel=Channel.EMAIL, status=Status.PENDING).filter(
        ~Exists(_earlier_email_waiting())
    )


def next_email_in_line(delivery_id: int) -> int | None:
    """After `delivery_id` ended (sent or failed): the next e-mail to the same address, if it is
    first in line and due now (one waiting for its retry is handed on by that retry)."""
    ended = (
        Delivery.objects.filter(pk=delivery_id, channel=Channel.EMAIL)
        .filter(status__in=(Status.SENT, Status.FAILED))
        .values_list("email", flat=True)
        .first()
    )
    if ended is None:
        return None
    return (
        emails_first_in_line()
        .filter(email=ended)
        .filter(_due(timezone.now()))
        .order_by("event_id")
        .values_list("pk", flat=True)
        .first()
    )


def send_email(*, delivery_id: int) -> int | None:
    """Send one e-mail delivery, once, in its address's order.

    Effects: the row is claimed (pending, due, and first in its address's line → sending,
    attempts + 1) by a compare-and-set update, so of two workers only one sends and an address
    gets its e-mails in event order (not first in line: nothing happens, the earlier one hands
    it on when it ends; an earlier event of the partner still being fanned out: a short wait is
    returned, no attempt counted); on success it becomes `sent` with sent_at; on an error it
    goes back to `pending` with the error and the next attempt's time, or `failed` after
    NOTIFICATION_MAX_ATTEMPTS. Returns the seconds until the next attempt when one is due,
    otherwise None (sent, failed, held back, or claimed by somebody else).
    """
    now = timezone.now()
    pending = Delivery.objects.filter(pk=delivery_id, channel=Channel.EMAIL, status=Status.PENDING)
    waiting = pending.filter(_due(now)).values("event_id", "event__partner_id").first()
    if waiting is None:
        return None
    if webhooks.waits_for_fan_out(
        event_id=waiting["event_id"], partner_id=waiting["event__partner_id"], now=now
    ):
        return webhooks.FAN_OUT_RETRY_SECONDS
    claimed = (
        pending.filter(_due(now))
        .filter(~Exists(_earlier_email_waiting()))
        .update(status=Status.SENDING, claimed_at=now, attempts=F("attempts") + 1)
    )
    if not claimed:
        return None
    delivery = Delivery.objects.select_related(
        "event__deal__customer", "event__partner", "user"
    ).get(pk=delivery_id)
    try:
        _email(delivery).send()
    except Exception as exc:  # noqa: BLE001 - any SMTP or rendering error is retried
        return _failed(delivery, exc)
    Delivery.objects.filter(pk=delivery_id, status=Status.SENDING).update(
        status=Status.SENT, sent_at=timezone.now(), last_error=""
    )
    logger.info("e-mail delivery %s of event %s sent", delivery.pk, delivery.event_id)
    metrics.DELIVERY_ATTEMPTS.labels("email", "sent").inc()
    return None


def _failed(delivery: Delivery, exc: Exception) -> int | None:
    error = f"{type(exc).__name__}: {exc}"[:2000]
    if delivery.attempts >= settings.NOTIFICATION_MAX_ATTEMPTS:
        logger.error("delivery %s failed for good: %s", delivery.pk, error)
        metrics.DELIVERY_ATTEMPTS.labels("email", "failed").inc()
        Delivery.objects.filter(pk=delivery.pk).update(status=Status.FAILED, last_error=error)
        return None
    delay = retry_delay(delivery.attempts)
    metrics.DELIVERY_ATTEMPTS.labels("email", "retry").inc()
    logger.warning(
        "delivery %s failed (try %s), again in %ss: %s",
        delivery.pk,
        delivery.attempts,
        delay,
        error,
    )
    Delivery.objects.filter(pk=delivery.pk).update(
        status=Status.PENDING,
        last_error=error,
        next_attempt_at=timezone.now() + timedelta(seconds=delay),
    )
    return delay


def reads_in_admin(user) -> bool:
    """Staff without a partner (and bare staff addresses) follow links into admin."""
    if user is None:
        return True
    return user.is_staff and not Membership.objects.filter(user=user).exists()


def link_for(event: Event, *, in_admin: bool) -> str:
    """Where the notification leads: the deal (statement, cloud account) page, or for staff
    the same in admin."""
    account = (event.params or {}).get("cloud_account")
    if event.deal_id is None and account:  # cloud_account.* events (the billing app's URLs)
        if in_admin:
            return reverse("admin:billing_cloudaccount_change", args=[account])
        if event.kind == event.Kind.CLOUD_ACCOUNT_MOVED and not (event.params or {}).get("to_you"):
            return reverse("cloud_account_list")  # it is no longer the partner's to open
        return reverse("cloud_account_detail", args=[account])
    statement = (event.params or {}).get("statement")
    if event.deal_id is None and statement:  # statement.* events (the statements app's URLs)
        if in_admin:
            return reverse("admin:statements_statement_change", args=[statement])
        return reverse("statement_detail", args=[statement])
    if event.deal_id is None:
        return reverse("notification_list")
    if in_admin:
        return reverse("admin:deals_deal_change", args=[event.deal_id])
    return event.deal.get_absolute_url()


# kind -> renderer(delivery) -> EmailMultiAlternatives: an e-mail an app above writes its own
# way (the customer's confirmation link, `billing`), still sent, retried and kept here.
_email_renderers: dict = {}


def register_email_renderer(kind: str, renderer) -> None:
    _email_renderers[str(kind)] = renderer


def _email(delivery: Delivery) -> EmailMultiAlternatives:
    event = delivery.event
    if event.kind in _email_renderers:
        return _email_renderers[event.kind](delivery)
    with translation.override(delivery.language or settings.LANGUAGE_CODE):
        ctx = {
            "title": title(event),
            "message": message(event),
            "url": settings.SITE_URL.rstrip("/")
            + link_for(event, in_admin=reads_in_admin(delivery.user)),
            "preferences_url": settings.SITE_URL.rstrip("/") + reverse("notification_settings"),
            "user": delivery.user,
        }
        subject = render_to_string("notifications/email/subject.txt", ctx).strip()
        body = render_to_string("notifications/email/body.txt", ctx)
    return EmailMultiAlternatives(" ".join(subject.split()), body, None, [delivery.email])


# --- the sweep and staff retries --------------------------------------------------------------


def sweep(*, now=None) -> dict:
    """Re-enqueue what a lost hand-off left behind; run every minute by beat.

    Effects: events older than NOTIFICATION_SWEEP_GRACE_SECONDS without deliveries are
    enqueued again, oldest first; e-mail and webhook deliveries `sending` for longer than 15
    minutes (their worker died) go back to `pending`; pending e-mail and webhook deliveries
    first in their address's or endpoint's line whose time has come (and whose own retry did
    not fire) are enqueued, oldest event first. Duplicated hand-offs are harmless: fan-out
    and the claim make each delivery happen once. Returns counts.
    """
    now = now or timezone.now()
    grace = timedelta(seconds=settings.NOTIFICATION_SWEEP_GRACE_SECONDS)
    events = list(
        Event.objects.filter(fanned_out_at__isnull=True, created_at__lte=now - grace)
        .order_by("created_at")
        .values_list("pk", "request_id")[:1000]
    )
    for event_id, request_id in events:
        # The worker's lines for it carry the id of the request that caused it, not the sweep's.
        with _request_id(request_id):
            enqueue_event(event_id)
    stale = Delivery.objects.filter(
        status=Status.SENDING, claimed_at__lte=now - timedelta(minutes=15)
    ).update(status=Status.PENDING, next_attempt_at=now - grace)
    due = list(
        emails_first_in_line()
        .filter(
            Q(next_attempt_at__lte=now - grace)
            | Q(next_attempt_at__isnull=True, created_at__lte=now - grace)
        )
        .order_by("event_id", "pk")
        .values_list("pk", flat=True)[:1000]
    )
    for delivery_id in due:
        enqueue_delivery(delivery_id)
    due_webhooks, stale_webhooks = webhooks.sweep(now=now, grace=grace)
    for delivery_id in due_webhooks:
        enqueue_webhook(delivery_id)
    return {
        "events": len(events),
        "deliveries": len(due),
        "stale": stale,
        "webhooks": len(due_webhooks),
        "stale_webhooks": stale_webhooks,
    }


def retry_deliveries(deliveries, *, by) -> int:
    """Staff send failed e-mail deliveries again (admin action).

    Effects: each failed e-mail delivery goes back to `pending` with its attempts reset and
    is enqueued after commit; an activity entry "notifications.emails_retried" with how many
    (staff's log: no partner's). Returns how many.
    """
    ids = list(
        deliveries.filter(channel=Channel.EMAIL, status=Status.FAILED).values_list("pk", flat=True)
    )
    with transaction.atomic():
        retried = Delivery.objects.filter(pk__in=ids, status=Status.FAILED).update(
            status=Status.PENDING, attempts=0, next_attempt_at=None, last_error=""
        )
        for delivery_id in ids:
            transaction.on_commit(lambda pk=delivery_id: enqueue_delivery(pk))
        if retried:
            record_activity(
                action="notifications.emails_retried", actor=by, data={"count": retried}
            )
    logger.info("%s re-queued %s failed deliveries", by, len(ids))
    return len(ids)


# --- the reader's side ---------------------------------------------------------------------------


def mark_read(delivery: Delivery, *, by) -> Delivery:
    """Mark one of `by`'s notifications read (already read: unchanged)."""
    Delivery.objects.filter(pk=delivery.pk, user=by, read_at__isnull=True).update(
        read_at=timezone.now()
    )
    delivery.refresh_from_db()
    return delivery


def mark_all_read(*, user, except_newest: int = 0) -> int:
    """Mark every unread notification of `user` read, but the newest `except_newest` (the
    demo keeps a morning's few); returns how many."""
    unread = Delivery.objects.filter(user=user, channel=Channel.IN_APP, read_at__isnull=True)
    if except_newest:
        newest = unread.order_by("-created_at", "-pk").values("pk")[:except_newest]
        unread = unread.exclude(pk__in=list(newest.values_list("pk", flat=True)))
    return unread.update(read_at=timezone.now())


def save_preference(*, user, language: str, email_kinds: dict[str, bool]) -> Preference:
    """Store the user's e-mail language and their e-mail choice per kind of event."""
    preference, _created = Preference.objects.update_or_create(
        user=user, defaults={"language": language, "email_kinds": email_kinds}
    )
    return preference
