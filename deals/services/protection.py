"""The protection clock: "expiring soon" and "expired" events, once per deal and date."""

from datetime import date, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from deals.models import Deal
from notifications.models import Event, Kind
from notifications.services import record_events

# A claim that expired longer ago than this is old news: the first run after a deployment
# does not announce every claim that ever expired.
EXPIRED_LOOKBACK_DAYS = 7


def protection_key(kind: str, deal_pk: int, until: date) -> str:
    """One event per (kind, deal, protected_until): a new date arms the reminders again."""
    return f"{kind}:{deal_pk}:{until.isoformat()}"


def protection_reminders(*, today: date | None = None) -> dict:
    """Write the protection events that are due on `today` (default: today); run hourly.

    Effects: for each approved, open deal whose `protected_until` lies within the next
    PROTECTION_REMINDER_DAYS days, one "protection expiring" event; for each whose
    `protected_until` passed (within the last week), one "protection expired" event. Each is
    keyed by (kind, deal, date), so running again writes nothing new, and a changed date
    (staff extended it) arms both again. Returns how many of each were written.
    """
    today = today or timezone.localdate()
    soon = today + timedelta(days=settings.PROTECTION_REMINDER_DAYS)
    claims = Deal.objects.filter(
        status=Deal.Status.APPROVED, closed_at__isnull=True, protected_until__isnull=False
    )
    expiring = claims.filter(protected_until__gte=today, protected_until__lte=soon)
    expired = claims.filter(
        protected_until__lt=today,
        protected_until__gte=today - timedelta(days=EXPIRED_LOOKBACK_DAYS),
    )
    return {
        "expiring": _write(Kind.PROTECTION_EXPIRING, expiring),
        "expired": _write(Kind.PROTECTION_EXPIRED, expired),
    }


def _write(kind: str, deals) -> int:
    written = 0
    deals = deals.select_related("partner").order_by("pk")
    for chunk in _chunks(deals.iterator(chunk_size=500), 500):
        keys = {deal.pk: protection_key(kind, deal.pk, deal.protected_until) for deal in chunk}
        done = set(Event.objects.filter(key__in=keys.values()).values_list("key", flat=True))
        specs = [
            {
                "kind": kind,
                "deal": deal,
                "key": keys[deal.pk],
                "params": {"date": deal.protected_until.isoformat()},
            }
            for deal in chunk
            if keys[deal.pk] not in done
        ]
        with transaction.atomic():
            written += len(record_events(specs))
    return written


def _chunks(iterable, size):
    chunk = []
    for item in iterable:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
