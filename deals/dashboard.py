"""The dashboard's figures beyond the counters: what needs attention now, and this quarter.

Every figure is one count over an index range whose size is bounded by the partner's open
deals or by a date window, never by its whole history: the open-deal figures read partial
indexes holding open deals only, each counted no further than COUNT_CAP; the quarters sum
the partner's won-deal counters for six months (kept by the services, `deals.counters`); the
discounts read (partner, valid_until). Each figure names the deal or discount list view that
lists the same rows (`deal_view_filter` here, `discounts.selectors.ending_soon_filter`), so
the number and the list always agree.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from deals.models import Deal, WonCounter
from discounts.models import Discount
from discounts.selectors import ending_soon_filter
from partners.models import Partner
from web.paging import COUNT_CAP, CappedCount

SOON_DAYS = 30
STALE_DAYS = 30
PROTECTION_SOON_DAYS = 14


def open_deals(partner):
    return Deal.objects.filter(partner=partner, closed_at__isnull=True)


def deal_view_filter(view: str, today: date | None = None) -> Q | None:
    """The rows of a named deal list view, or None for an unknown name."""
    today = today or timezone.localdate()
    views = {
        "open-pipeline": Q(closed_at__isnull=True, status=Deal.Status.APPROVED),
        "pending": Q(status=Deal.Status.PENDING),
        "action-required": Q(status=Deal.Status.ACTION_REQUIRED),
        "closing-soon": Q(
            closed_at__isnull=True,
            expected_close_date__gte=today,
            expected_close_date__lte=today + timedelta(days=SOON_DAYS),
        ),
        "stale": Q(
            closed_at__isnull=True,
            updated_at__lt=_midnight(today - timedelta(days=STALE_DAYS - 1)),
        ),
        "protection-ending": Q(
            closed_at__isnull=True,
            status=Deal.Status.APPROVED,
            protected_until__gte=today,
            protected_until__lte=today + timedelta(days=PROTECTION_SOON_DAYS),
        ),
        "won-this-quarter": Q(stage=Deal.Stage.WON, **_closed_between(*quarter(today, 0))),
        "won-last-quarter": Q(stage=Deal.Stage.WON, **_closed_between(*quarter(today, -1))),
    }
    return views.get(view)


def _midnight(day: date):
    return timezone.make_aware(datetime(day.year, day.month, day.day))


def _closed_between(first: date, last: date) -> dict:
    return {"closed_at__gte": _midnight(first), "closed_at__lt": _midnight(last + timedelta(1))}


def quarter(today: date, offset: int) -> tuple[date, date]:
    """First and last day of the quarter `offset` quarters from today's (0 this, -1 last)."""
    index = today.year * 4 + (today.month - 1) // 3 + offset
    year, q = divmod(index, 4)
    first = date(year, q * 3 + 1, 1)
    next_index = index + 1
    next_first = date(next_index // 4, (next_index % 4) * 3 + 1, 1)
    return first, next_first - timedelta(days=1)


@dataclass(frozen=True)
class Attention:
    """Each figure counted no further than COUNT_CAP; `more` names those with more."""

    closing_soon: int
    stale: int
    protection_ending: int
    discounts_ending: int
    more: frozenset = frozenset()


def attention(partner, today: date | None = None) -> Attention:
    """Open deals expected to close within 30 days, not updated for 30 days, and whose
    protection ends within 14 days, and active discounts ending within 30 days (the Discount
    list's `?ending=soon`): one query, each figure a capped count over its own index (one
    aggregate over all open deals read every one of them)."""
    today = today or timezone.localdate()
    rows = {
        key.replace("-", "_"): open_deals(partner).filter(deal_view_filter(key, today))
        for key in ("closing-soon", "stale", "protection-ending")
    }
    rows["discounts_ending"] = Discount.objects.filter(partner=partner).filter(
        ending_soon_filter(today)
    )
    # The partner's own row carries the four counts, so they come back in one query.
    counts = (
        Partner.objects.filter(pk=partner.pk)
        .values(**{name: CappedCount(qs, cap=COUNT_CAP) for name, qs in rows.items()})
        .get()
    )
    more = frozenset(name for name, count in counts.items() if count > COUNT_CAP)
    return Attention(**{name: min(count, COUNT_CAP) for name, count in counts.items()}, more=more)


@dataclass(frozen=True)
class Quarters:
    this_count: int
    this_value: int
    last_count: int
    last_value: int
    this_first: date
    last_first: date

    @property
    def change(self) -> int | None:
        """Per cent change of the won value against last quarter; None without a base."""
        if not self.last_value:
            return None
        return round(100 * (self.this_value - self.last_value) / self.last_value)


def won_quarters(partner, today: date | None = None) -> Quarters:
    """Deals won this quarter and last, with their value: summed from the partner's won-deal
    counters for those six months (`deals.counters`), the same deals the "won-this-quarter"
    and "won-last-quarter" list views show."""
    today = today or timezone.localdate()
    this_q, last_q = quarter(today, 0), quarter(today, -1)
    this_count = this_value = last_count = last_value = 0
    for row in WonCounter.objects.filter(
        partner=partner, month__gte=last_q[0], month__lte=this_q[1]
    ):
        if row.month >= this_q[0]:
            this_count, this_value = this_count + row.count, this_value + row.value
        else:
            last_count, last_value = last_count + row.count, last_value + row.value
    return Quarters(
        this_count=this_count,
        this_value=int(this_value),
        last_count=last_count,
        last_value=int(last_value),
        this_first=this_q[0],
        last_first=last_q[0],
    )


DEAL_VIEW_LABELS = {
    "open-pipeline": _("Open pipeline (approved, open)"),
    "pending": _("Waiting for review"),
    "action-required": _("Action required"),
    "closing-soon": _("Expected to close within 30 days"),
    "stale": _("Not updated for 30 days"),
    "protection-ending": _("Protection ends within 14 days"),
    "won-this-quarter": _("Won this quarter"),
    "won-last-quarter": _("Won last quarter"),
}


def weighted_pipeline(pipeline: list[dict]) -> list[dict]:
    """The counters' pipeline rows with each stage's probability and weighted value."""
    rows = []
    for row in pipeline:
        probability = Deal.PROBABILITY[row["stage"]]
        weighted = int(row["value"] or 0) * probability // 100
        rows.append({**row, "probability": probability, "weighted": weighted})
    return rows
