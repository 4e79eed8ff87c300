"""Reads for the dashboard's and the reports page's figures, scoped to one partner.

Each figure is one query over at most a year: the won value by month sums the partner's
won-deal counters (12 rows), the discount figures its discount counters (12 rows); the win
rate and the median days to win read the deals closed in the window from the
`deal_closed_figures` index alone on PostgreSQL, never the partner's whole history. Those
read a year of closed deals (65 ms for the busiest partner at 1M deals), so
`closed_deal_figures` keeps them in the cache until one of the partner's deals closes.
"""

import statistics
from dataclasses import dataclass
from datetime import date, timedelta

from django.core.cache import cache
from django.db.models import Count, DurationField, ExpressionWrapper, F, Q
from django.utils import timezone

from deals.models import Deal, DealCounter, WonCounter
from discounts import counters as discount_counters
from web.digests import sha256_hex

REPORT_MONTHS = 12


@dataclass(frozen=True)
class MonthValue:
    month: date
    value: int
    count: int


def month_starts(today: date, months: int = REPORT_MONTHS) -> list[date]:
    """The first day of each of the last `months` months, oldest first, this month last."""
    first = today.replace(day=1)
    starts = [first]
    for _ in range(months - 1):
        first = (first - timedelta(days=1)).replace(day=1)
        starts.append(first)
    return starts[::-1]


def window_start(today: date, months: int = REPORT_MONTHS):
    """The moment the report window opens: midnight, local time, on its first month's day 1."""
    first = month_starts(today, months)[0]
    return timezone.make_aware(timezone.datetime(first.year, first.month, 1))


def _closed_in_window(partner, start):
    return Deal.objects.filter(partner=partner, closed_at__gte=start)


def won_by_month(partner, today: date | None = None) -> list[MonthValue]:
    """Won value and count per month (by the day the deal was won), the last 12 months: from
    the partner's won-deal counters (at most 12 rows, `deals.counters`), not its closed deals."""
    months = month_starts(today or timezone.localdate())
    by_month = {
        row.month: row for row in WonCounter.objects.filter(partner=partner, month__gte=months[0])
    }
    return [
        MonthValue(
            month=month,
            value=int(by_month[month].value) if month in by_month else 0,
            count=by_month[month].count if month in by_month else 0,
        )
        for month in months
    ]


@dataclass(frozen=True)
class ClosingFigures:
    won: int
    lost: int
    win_rate: int | None  # per cent, None without a closed deal
    median_days: int | None  # from registration to win


def closing_figures(partner, today: date | None = None) -> ClosingFigures:
    """Win rate and median days to close over the deals closed in the last 12 months."""
    today = today or timezone.localdate()
    closed = _closed_in_window(partner, window_start(today)).filter(stage__in=Deal.CLOSING_STAGES)
    counts = closed.aggregate(
        won=Count("pk", filter=Q(stage=Deal.Stage.WON)),
        lost=Count("pk", filter=Q(stage=Deal.Stage.LOST)),
    )
    won, total = counts["won"], counts["won"] + counts["lost"]
    # The median of the wins' days from registration to win: the database sorts them and
    # sends the middle one or two (not every win of the window).
    spans = (
        closed.filter(stage=Deal.Stage.WON)
        .annotate(span=ExpressionWrapper(F("closed_at") - F("created_at"), DurationField()))
        .order_by("span")
        .values_list("span", flat=True)
    )
    middle = [span.days for span in spans[(won - 1) // 2 : won // 2 + 1]] if won else []
    return ClosingFigures(
        won=won,
        lost=counts["lost"],
        win_rate=round(100 * won / total) if total else None,
        median_days=round(statistics.median(middle)) if middle else None,
    )


@dataclass(frozen=True)
class DiscountFigures:
    issued: int
    passed_on: int


def discount_figures(partner, today: date | None = None) -> DiscountFigures:
    """Discounts issued to the partner and customer discounts it passed on, last 12 months:
    from the discount counters (at most 12 rows), not by counting the discounts."""
    first_month = month_starts(today or timezone.localdate())[0]
    issued, passed_on = discount_counters.figures_since(partner, first_month)
    return DiscountFigures(issued=issued, passed_on=passed_on)


@dataclass(frozen=True)
class ClosedDealFigures:
    months: list[MonthValue]
    closing: ClosingFigures


# The key changes with the day and with any closed deal, so the time only bounds memory.
CACHE_SECONDS = 24 * 60 * 60


def closed_deal_figures(partner, today: date | None = None) -> ClosedDealFigures:
    """`won_by_month` and `closing_figures`, from the cache while the partner's closed deals
    are unchanged: the key holds the partner's closed-deal counters (deals.counters), which
    the services change in the same transaction as the deals, so a close is in the next
    report. (A closed deal is never corrected or deleted, and a voided win stays won.)"""
    today = today or timezone.localdate()
    closed = (
        DealCounter.objects.filter(partner=partner, is_open=False, count__gt=0)
        .order_by("stage", "status")
        .values_list("stage", "status", "count", "value")
    )
    state = sha256_hex(repr(list(closed)))[:20]
    # The version: a release that changes these classes must not read an older one's.
    key = f"reports:v1:{partner.pk}:{today.isoformat()}:{state}"
    figures = cache.get(key)
    if figures is None:
        figures = ClosedDealFigures(won_by_month(partner, today), closing_figures(partner, today))
        cache.set(key, figures, CACHE_SECONDS)
    return figures
