"""The review promise's alarm: one "review overdue" event per registration that passed it."""

from datetime import date, timedelta
from itertools import islice

from django.db import transaction
from django.utils import timezone

from deals.business_days import calendar, overdue_before, sla_days
from deals.models import Deal
from notifications.models import Event, Kind
from notifications.services import record_events
from partners.selectors import production

# A registration that became overdue longer ago than this is old news: the first run after a
# deployment (or after beat was down) does not announce the whole backlog; the queue shows it.
OVERDUE_LOOKBACK_DAYS = 7


def overdue_key(deal_pk: int, submitted_at) -> str:
    """One event per (deal, submission): a resubmission that runs late again is news again."""
    return f"{Kind.REVIEW_OVERDUE}:{deal_pk}:{int(submitted_at.timestamp())}"


def review_overdue_events(*, today: date | None = None) -> int:
    """Write a "review overdue" event for each registration waiting for review whose due day
    (REVIEW_SLA_BUSINESS_DAYS business days after its submission) passed before `today`
    (default: today); run by beat every 15 minutes. Returns how many were written.

    Effects: one Event (kind review_overdue, staff audience: the reviewers group and their
    bell and e-mail preferences) per registration and submission, keyed by
    (deal, submitted_at), so running again writes nothing new; registrations overdue for
    more than OVERDUE_LOOKBACK_DAYS are skipped.
    """
    today = today or timezone.localdate()
    cal = calendar()
    cutoff = overdue_before(cal, today)
    since = overdue_before(cal, today - timedelta(days=OVERDUE_LOOKBACK_DAYS))
    # The sandboxes' registrations approve themselves: no reviewer is late with them.
    late = production(
        Deal.objects.filter(
            status=Deal.Status.PENDING, submitted_at__lt=cutoff, submitted_at__gte=since
        )
    )
    written = 0
    sla = sla_days()
    deals = late.select_related("partner").order_by("submitted_at", "pk")
    rows = deals.iterator(chunk_size=500)
    while chunk := list(islice(rows, 500)):
        keys = {deal.pk: overdue_key(deal.pk, deal.submitted_at) for deal in chunk}
        done = set(Event.objects.filter(key__in=keys.values()).values_list("key", flat=True))
        specs = [
            {
                "kind": Kind.REVIEW_OVERDUE,
                "deal": deal,
                "key": keys[deal.pk],
                "params": {
                    "sla": sla,
                    "date": cal.add(timezone.localdate(deal.submitted_at), sla).isoformat(),
                },
            }
            for deal in chunk
            if keys[deal.pk] not in done
        ]
        with transaction.atomic():
            written += len(record_events(specs))
    return written
