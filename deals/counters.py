"""The dashboard's deal counters: kept in the transaction of every change to a deal.

A partner's dashboard shows how many deals are open, won, waiting for review or sent back,
and the open pipeline by stage with its value. Counting that from the deals costs time in
proportion to the partner's whole history; instead each service that creates a deal or
changes its stage, review status, value or closing calls `record(before, deal)` in its
transaction, and the dashboard reads at most a few dozen DealCounter rows.

The same call keeps the WonCounter rows: the deals won in each month (by the local day they
closed) and their value, from which the dashboard's "won this quarter" and "won last quarter"
are summed (at most six rows instead of every deal closed in two quarters).

`rebuild()` (the `rebuild_deal_counters` command) recomputes every counter from the deals,
for data loaded in bulk or repaired by hand.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import transaction
from django.db.models import BooleanField, Count, ExpressionWrapper, Q, Sum
from django.db.models.functions import TruncMonth

from deals.models import OPEN_STAGES, Deal, DealCounter, WonCounter
from discounts.counters import add_to_counter, month_start, truncated_month


@dataclass(frozen=True)
class Snapshot:
    """Where a deal counts: its bucket and its estimated value."""

    partner_id: int
    stage: str
    status: str
    is_open: bool
    value: Decimal
    # The first day of the local month the deal was won in; None unless it is won.
    won_month: date | None = None

    @property
    def bucket(self) -> tuple:
        return (self.partner_id, self.stage, self.status, self.is_open)


def snapshot(deal: Deal) -> Snapshot:
    won = deal.stage == Deal.Stage.WON and deal.closed_at is not None
    return Snapshot(
        deal.partner_id,
        deal.stage,
        deal.status,
        deal.closed_at is None,
        deal.estimated_value,
        month_start(deal.closed_at) if won else None,
    )


def record(before: Snapshot | None, deal: Deal) -> None:
    """Move `deal` from the bucket it counted in (`before`, None for a new deal) to its
    current one. Call inside the transaction that saves the change."""
    after = snapshot(deal)
    deltas: dict[tuple, list] = defaultdict(lambda: [0, Decimal(0)])
    if before is not None:
        deltas[before.bucket][0] -= 1
        deltas[before.bucket][1] -= before.value
    deltas[after.bucket][0] += 1
    deltas[after.bucket][1] += after.value
    # Always the same order, so two transactions never wait for each other's rows crosswise.
    for bucket in sorted(deltas):
        count, value = deltas[bucket]
        if count or value:
            _add(bucket, count, value)
    # The won months after the buckets, in month order: the same order in every transaction.
    won: dict[tuple, list] = defaultdict(lambda: [0, Decimal(0)])
    if before is not None and before.won_month is not None:
        won[(before.partner_id, before.won_month)][0] -= 1
        won[(before.partner_id, before.won_month)][1] -= before.value
    if after.won_month is not None:
        won[(after.partner_id, after.won_month)][0] += 1
        won[(after.partner_id, after.won_month)][1] += after.value
    for partner_id, month in sorted(won):
        count, value = won[(partner_id, month)]
        if count or value:
            add_to_counter(
                WonCounter, {"partner_id": partner_id, "month": month}, count=count, value=value
            )


def _add(bucket: tuple, count: int, value: Decimal) -> None:
    partner_id, stage, status, is_open = bucket
    key = {"partner_id": partner_id, "stage": stage, "status": status, "is_open": is_open}
    add_to_counter(DealCounter, key, count=count, value=value)


def dashboard_figures(partner) -> tuple[dict, list[dict]]:
    """(counts, pipeline) for the dashboard, from one query over the partner's counters."""
    counts = {"open": 0, "won": 0, "pending": 0, "action_required": 0}
    pipeline = {stage: {"count": 0, "value": Decimal(0)} for stage in OPEN_STAGES}
    for row in DealCounter.objects.filter(partner=partner, count__gt=0):
        counts["open"] += row.count if row.is_open else 0
        counts["won"] += row.count if row.stage == Deal.Stage.WON else 0
        counts["pending"] += row.count if row.status == Deal.Status.PENDING else 0
        if row.status == Deal.Status.ACTION_REQUIRED:
            counts["action_required"] += row.count
        if row.is_open and row.status == Deal.Status.APPROVED and row.stage in pipeline:
            pipeline[row.stage]["count"] += row.count
            pipeline[row.stage]["value"] += row.value
    rows = [
        {"stage": stage, "label": Deal.Stage(stage).label, **pipeline[stage]}
        for stage in OPEN_STAGES
    ]
    return counts, rows


def fresh_counts(partner_ids=None) -> dict[tuple, tuple[int, Decimal]]:
    """The counters as the deals say they should be: {bucket: (count, value)}."""
    deals = Deal.objects.order_by()
    if partner_ids is not None:
        deals = deals.filter(partner_id__in=partner_ids)
    is_open = ExpressionWrapper(Q(closed_at__isnull=True), output_field=BooleanField())
    rows = (
        deals.annotate(is_open=is_open)
        .values("partner_id", "stage", "status", "is_open")
        .annotate(n=Count("pk"), v=Sum("estimated_value"))
    )
    return {
        (r["partner_id"], r["stage"], r["status"], r["is_open"]): (r["n"], r["v"] or 0)
        for r in rows
    }


def fresh_won() -> dict[tuple, tuple[int, Decimal]]:
    """The won months as the deals say they should be: {(partner id, month): (count, value)}."""
    counts: dict[tuple, list] = defaultdict(lambda: [0, Decimal(0)])
    won = (
        Deal.objects.order_by()
        .filter(stage=Deal.Stage.WON, closed_at__isnull=False)
        .annotate(m=TruncMonth("closed_at"))
        .values("partner_id", "m")
        .annotate(n=Count("pk"), v=Sum("estimated_value"))
    )
    for row in won:
        entry = counts[(row["partner_id"], truncated_month(row["m"]))]
        entry[0] += row["n"]
        entry[1] += row["v"] or 0
    return {key: (n, v) for key, (n, v) in counts.items()}


def stored_won() -> dict[tuple, tuple[int, Decimal]]:
    return {
        (c.partner_id, c.month): (c.count, c.value)
        for c in WonCounter.objects.all()
        if c.count or c.value
    }


def stored_counts(partner_ids=None) -> dict[tuple, tuple[int, Decimal]]:
    counters = DealCounter.objects.filter(count__gt=0)
    if partner_ids is not None:
        counters = counters.filter(partner_id__in=partner_ids)
    return {(c.partner_id, c.stage, c.status, c.is_open): (c.count, c.value) for c in counters}


@transaction.atomic
def rebuild() -> int:
    """Recompute every counter from the deals; returns how many counter rows there are."""
    DealCounter.objects.all().delete()
    counters = [
        DealCounter(
            partner_id=partner_id, stage=stage, status=status, is_open=is_open, count=n, value=v
        )
        for (partner_id, stage, status, is_open), (n, v) in fresh_counts().items()
    ]
    DealCounter.objects.bulk_create(counters, batch_size=1000)
    WonCounter.objects.all().delete()
    won = [
        WonCounter(partner_id=partner_id, month=month, count=n, value=v)
        for (partner_id, month), (n, v) in fresh_won().items()
    ]
    WonCounter.objects.bulk_create(won, batch_size=1000)
    return len(counters) + len(won)
