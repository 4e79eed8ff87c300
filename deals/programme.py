"""The programme view's figures (`/admin/programme/`): the whole partner programme at a glance
for VNG's channel managers. Reads for staff only, across every partner.

Each figure reads counters the services keep or one range of an index, never the whole
history:
- the open pipeline, by stage and by partner: the DealCounter rows (`deals.counters`), kept in
  the transaction of every change, so it is always current;
- partners with no activity: each partner's newest history entry, one probe of the
  (partner, at, id) index per partner; always current;
- registrations per week (`deal_created_at`), review times (`deal_reviewed_figures`, read
  alone), win rate and days to win (`deal_closed_figures`), discounts per month: each one
  aggregate over a window of 12 weeks or 12 months. These are computed together and cached
  for CACHE_SECONDS; the page says when they were computed.

The sandboxes' test data (`partners.selectors.production`) is in no figure.

Every figure carries the admin change-list parameters of exactly its rows (Django admin's own
`?field__lookup=value` parameters), so a number is a link to the rows behind it.
"""

import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.core.cache import cache
from django.db import connection
from django.db.models import (
    Aggregate,
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    FloatField,
    OuterRef,
    Q,
    Subquery,
)
from django.db.models.functions import Coalesce, TruncDate, TruncMonth, TruncWeek
from django.utils import timezone

from deals.business_days import Calendar, midnight, sla_days
from deals.models import OPEN_STAGES, Deal, DealCounter, StageChange
from deals.reports import REPORT_MONTHS, month_starts
from discounts.models import Discount
from partners.models import Partner
from partners.selectors import production, production_partners
from web.digests import sha256_hex

CACHE_SECONDS = 10 * 60
WEEKS = 12
INACTIVE_DAYS = 90
# The partner tables on the page show the first rows; their CSV has every partner.
TOP_PARTNERS = 15
DECIDED = (Deal.Status.APPROVED, Deal.Status.ACTION_REQUIRED, Deal.Status.REJECTED)


def _iso(moment: datetime) -> str:
    """A moment as admin's URL parameters take it (with its offset: no naive datetimes)."""
    return timezone.localtime(moment).isoformat()


def _between(name: str, first: date, after: date) -> dict:
    return {f"{name}__gte": _iso(midnight(first)), f"{name}__lt": _iso(midnight(after))}


OPEN_PIPELINE = {"status__exact": Deal.Status.APPROVED, "stage__in": ",".join(OPEN_STAGES)}


# --- the open pipeline (counters, live) -------------------------------------------------------


@dataclass(frozen=True)
class PipelineRow:
    key: str  # the stage, or the partner's id
    label: str
    count: int
    value: int
    weighted: int
    params: dict
    probability: int | None = None


def open_counters() -> list[tuple]:
    """Approved, open deals by partner and stage: (partner id, partner name, stage, count,
    value) from the counters, one query for both pipeline tables."""
    return list(
        production(
            DealCounter.objects.filter(
                is_open=True, status=Deal.Status.APPROVED, stage__in=OPEN_STAGES, count__gt=0
            )
        ).values_list("partner_id", "partner__name", "stage", "count", "value")
    )


def _weighted(value, stage) -> int:
    return int(value or 0) * Deal.PROBABILITY[stage] // 100


def pipeline_by_stage(counters: list[tuple] | None = None) -> list[PipelineRow]:
    """The open pipeline (approved, open deals) of every partner by stage, weighted by the
    stage's probability, as the partners' dashboard weighs it."""
    counters = open_counters() if counters is None else counters
    totals = {stage: [0, 0] for stage in OPEN_STAGES}
    for _partner, _name, stage, count, value in counters:
        totals[stage][0] += count
        totals[stage][1] += int(value)
    return [
        PipelineRow(
            key=stage,
            label=str(Deal.Stage(stage).label),
            count=count,
            value=value,
            weighted=_weighted(value, stage),
            probability=Deal.PROBABILITY[stage],
            params={"stage__exact": stage, "status__exact": Deal.Status.APPROVED},
        )
        for stage, (count, value) in totals.items()
    ]


def pipeline_by_partner(counters: list[tuple] | None = None) -> list[PipelineRow]:
    """Every partner's open pipeline, heaviest weighted value first."""
    counters = open_counters() if counters is None else counters
    totals = defaultdict(lambda: [0, 0, 0])
    names = {}
    for partner_id, name, stage, count, value in counters:
        names[partner_id] = name
        totals[partner_id][0] += count
        totals[partner_id][1] += int(value)
        totals[partner_id][2] += _weighted(value, stage)
    rows = [
        PipelineRow(
            key=str(pk),
            label=names.get(pk, str(pk)),
            count=count,
            value=value,
            weighted=weighted,
            params={"partner__id__exact": pk, **OPEN_PIPELINE},
        )
        for pk, (count, value, weighted) in totals.items()
    ]
    return sorted(rows, key=lambda row: (-row.weighted, row.label))


# --- partners with no activity (live) ----------------------------------------------------------


@dataclass(frozen=True)
class InactivePartner:
    pk: int
    name: str
    joined: datetime
    last_activity: datetime | None
    params: dict


def inactive_partners(today: date | None = None) -> list[InactivePartner]:
    """Active partners with no registration, stage change or review in INACTIVE_DAYS days
    (nor since they joined, when that is longer ago), longest quiet first."""
    today = today or timezone.localdate()
    cutoff = midnight(today - timedelta(days=INACTIVE_DAYS))
    newest = StageChange.objects.filter(partner=OuterRef("pk")).order_by("-at", "-pk")
    partners = (
        production_partners()
        .filter(status=Partner.Status.ACTIVE, created_at__lt=cutoff)
        .annotate(last=Subquery(newest.values("at")[:1]))
        .filter(Q(last__lt=cutoff) | Q(last__isnull=True))
        .order_by(F("last").asc(nulls_first=True), "name", "pk")
    )
    return [
        InactivePartner(
            pk=p.pk,
            name=p.name,
            joined=p.created_at,
            last_activity=p.last,
            params={"partner__id__exact": p.pk},
        )
        for p in partners
    ]


# --- the windows' figures (cached) -------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """A week or a month: its first day, the first day after it, and its figure(s)."""

    first: date
    after: date
    count: int
    params: dict


def week_starts(today: date, weeks: int = WEEKS) -> list[date]:
    """The Mondays of the last `weeks` weeks, oldest first, this week's last."""
    monday = today - timedelta(days=today.weekday())
    return [monday - timedelta(weeks=i) for i in range(weeks - 1, -1, -1)]


def _day(value) -> date:
    if isinstance(value, datetime):
        return timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    return value


def registrations_by_week(today: date) -> list[Period]:
    """Deals registered in each of the last WEEKS weeks (Monday to Sunday)."""
    weeks = week_starts(today)
    rows = (
        production(Deal.objects.filter(created_at__gte=midnight(weeks[0])))
        .annotate(week=TruncWeek("created_at"))
        .values("week")
        .annotate(n=Count("pk"))
        .order_by()
    )
    counts = {_day(row["week"]): row["n"] for row in rows}
    return [
        Period(
            first=monday,
            after=monday + timedelta(weeks=1),
            count=counts.get(monday, 0),
            params=_between("created_at", monday, monday + timedelta(weeks=1)),
        )
        for monday in weeks
    ]


@dataclass(frozen=True)
class ReviewPeriod:
    first: date
    after: date
    reviews: int
    median_days: float | None
    within: int
    params: dict

    @property
    def within_share(self) -> int | None:
        return round(100 * self.within / self.reviews) if self.reviews else None


def _review_spans(since: date) -> list[tuple[date, date, int]]:
    """(submitted day, reviewed day, how many) of the registrations whose latest review
    (approve, send back, reject) fell on or after `since`: one aggregate over the
    `deal_reviewed_figures` index."""
    rows = (
        production(Deal.objects.filter(reviewed_at__gte=midnight(since), status__in=DECIDED))
        .annotate(
            submitted=TruncDate(Coalesce("submitted_at", "created_at")),
            reviewed=TruncDate("reviewed_at"),
        )
        .values("submitted", "reviewed")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return [(_day(r["submitted"]), _day(r["reviewed"]), r["n"]) for r in rows]


def _median(days: list[tuple[int, int]]) -> float | None:
    """The median of (value, how many) pairs."""
    values = [value for value, n in sorted(days) for _ in range(n)]
    return statistics.median(values) if values else None


def review_times(cal: Calendar, today: date) -> tuple[list[ReviewPeriod], ReviewPeriod]:
    """Per week of the last WEEKS weeks, and over all of them: the registrations reviewed,
    the median business days from submission to review, and how many were reviewed within
    REVIEW_SLA_BUSINESS_DAYS."""
    weeks = week_starts(today)
    sla = sla_days()
    by_week = defaultdict(list)
    for submitted, reviewed, n in _review_spans(weeks[0]):
        monday = reviewed - timedelta(days=reviewed.weekday())
        by_week[monday].append((cal.count(submitted, reviewed), n))
    periods = [
        _review_period(monday, monday + timedelta(weeks=1), by_week[monday], sla)
        for monday in weeks
    ]
    everything = [item for monday in weeks for item in by_week[monday]]
    return periods, _review_period(weeks[0], weeks[-1] + timedelta(weeks=1), everything, sla)


def _review_period(first, after, days, sla) -> ReviewPeriod:
    return ReviewPeriod(
        first=first,
        after=after,
        reviews=sum(n for _days, n in days),
        median_days=_median(days),
        within=sum(n for spent, n in days if spent <= sla),
        params={**_between("reviewed_at", first, after), "status__in": ",".join(DECIDED)},
    )


@dataclass(frozen=True)
class PartnerResult:
    pk: int
    name: str
    won: int
    lost: int
    median_days_to_win: float | None

    @property
    def median_days(self) -> int | None:
        """Rounded as the partner's reports page rounds it."""
        return None if self.median_days_to_win is None else round(self.median_days_to_win)

    won_params: dict
    lost_params: dict
    closed_params: dict

    @property
    def closed(self) -> int:
        return self.won + self.lost

    @property
    def win_rate(self) -> int | None:
        return round(100 * self.won / self.closed) if self.closed else None


class _MedianDays(Aggregate):
    """PostgreSQL's median of a span's whole days (PERCENTILE_CONT over the sorted values)."""

    function = "PERCENTILE_CONT"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY EXTRACT(DAY FROM %(expressions)s))"
    output_field = FloatField()


def _days_to_win(wins) -> dict[int, float]:
    """Each partner's median days from registration to win, in whole days, exactly as the
    partner's own reports page counts it (`deals.reports.closing_figures`)."""
    span = ExpressionWrapper(F("closed_at") - F("created_at"), DurationField())
    if connection.vendor == "postgresql":
        rows = wins.values("partner_id").annotate(median=_MedianDays(span)).order_by()
        return {r["partner_id"]: r["median"] for r in rows}
    spans = defaultdict(list)
    for partner_id, value in wins.annotate(span=span).values_list("partner_id", "span"):
        spans[partner_id].append(value.days)
    return {pk: statistics.median(values) for pk, values in spans.items()}


def partner_results(today: date) -> list[PartnerResult]:
    """Per partner, over the deals closed in the last REPORT_MONTHS months: won, lost, the
    win rate and the median days to win; most closed first."""
    first = month_starts(today, REPORT_MONTHS)[0]
    since = {"closed_at__gte": _iso(midnight(first))}
    closed = production(
        Deal.objects.filter(closed_at__gte=midnight(first), stage__in=Deal.CLOSING_STAGES)
    )
    counts = (
        closed.values("partner_id", "partner__name")
        .annotate(
            won=Count("pk", filter=Q(stage=Deal.Stage.WON)),
            lost=Count("pk", filter=Q(stage=Deal.Stage.LOST)),
        )
        .order_by()
    )
    medians = _days_to_win(closed.filter(stage=Deal.Stage.WON))
    rows = [
        PartnerResult(
            pk=r["partner_id"],
            name=r["partner__name"],
            won=r["won"],
            lost=r["lost"],
            median_days_to_win=medians.get(r["partner_id"]),
            won_params={
                "partner__id__exact": r["partner_id"],
                "stage__exact": Deal.Stage.WON,
                **since,
            },
            lost_params={
                "partner__id__exact": r["partner_id"],
                "stage__exact": Deal.Stage.LOST,
                **since,
            },
            closed_params={
                "partner__id__exact": r["partner_id"],
                "stage__in": ",".join(Deal.CLOSING_STAGES),
                **since,
            },
        )
        for r in counts
    ]
    return sorted(rows, key=lambda row: (-row.closed, row.name))


def discounts_by_month(today: date) -> list[Period]:
    """Partner discounts issued in each of the last REPORT_MONTHS months."""
    months = month_starts(today, REPORT_MONTHS)
    rows = (
        production(Discount.objects.filter(created_at__gte=midnight(months[0])))
        .annotate(month=TruncMonth("created_at"))
        .values("month")
        .annotate(n=Count("pk"))
        .order_by()
    )
    counts = {_day(row["month"]).replace(day=1): row["n"] for row in rows}
    ends = [*months[1:], (months[-1] + timedelta(days=32)).replace(day=1)]
    return [
        Period(
            first=first,
            after=after,
            count=counts.get(first, 0),
            params=_between("created_at", first, after),
        )
        for first, after in zip(months, ends, strict=True)
    ]


@dataclass(frozen=True)
class WindowFigures:
    computed_at: datetime
    registrations: list[Period]
    reviews: list[ReviewPeriod]
    reviews_total: ReviewPeriod
    partners: list[PartnerResult]
    discounts: list[Period]
    sla: int = field(default=0)


def window_figures(cal: Calendar, today: date | None = None) -> WindowFigures:
    """The figures over the last weeks and months, from the cache when computed in the last
    CACHE_SECONDS for the same day, promise and days off."""
    today = today or timezone.localdate()
    sla = sla_days()
    days_off = sha256_hex(repr(sorted(cal.extra)))[:16]
    # The version: a release that changes these classes must not read an older one's.
    key = f"programme:v1:{today.isoformat()}:{sla}:{days_off}"
    figures = cache.get(key)
    if figures is None:
        reviews, total = review_times(cal, today)
        figures = WindowFigures(
            computed_at=timezone.now(),
            registrations=registrations_by_week(today),
            reviews=reviews,
            reviews_total=total,
            partners=partner_results(today),
            discounts=discounts_by_month(today),
            sla=sla,
        )
        cache.set(key, figures, CACHE_SECONDS)
    return figures
