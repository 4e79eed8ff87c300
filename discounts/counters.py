"""The reports page's discount counters: kept in the transaction that creates a discount or a
customer discount.

The reports page shows how many discounts the partner was issued and how many customer
discounts it passed on in the last 12 months. Counting those rows costs time in proportion to
the partner's history (100,000 discounts for the busiest partner at a million deals); instead
`issue_discount` and `create_customer_discount` call `record_issued` / `record_passed_on`, and
the page sums at most 12 DiscountCounter rows. Neither is ever deleted (a revoked one still
counts: it was issued), so the counters only grow.

`rebuild()` (run by `rebuild_deal_counters`) recomputes them from the rows, for data loaded in
bulk or after a deploy whose previous release did not keep them.
"""

from collections import defaultdict
from datetime import date

from django.db import transaction
from django.db.models import Count, F
from django.db.models.functions import TruncMonth
from django.utils import timezone

from discounts.models import CustomerDiscount, Discount, DiscountCounter


def month_start(moment) -> date:
    """The first day of the local month of an aware datetime: the month a counter row holds."""
    return timezone.localtime(moment).date().replace(day=1)


def record_issued(discount: Discount) -> None:
    _add(discount.partner_id, month_start(discount.created_at), issued=1)


def record_passed_on(customer_discount: CustomerDiscount, partner_id: int) -> None:
    _add(partner_id, month_start(customer_discount.created_at), passed_on=1)


def _add(partner_id: int, month: date, *, issued: int = 0, passed_on: int = 0) -> None:
    add_to_counter(
        DiscountCounter,
        {"partner_id": partner_id, "month": month},
        issued=issued,
        passed_on=passed_on,
    )


def add_to_counter(model, key: dict, **deltas) -> None:
    """Add `deltas` to the counter row of `model` named by `key` (its unique fields), in the
    caller's transaction: an UPDATE, or for the key's first change the row is created first
    (a concurrent creator wins harmlessly: ignore_conflicts) and then updated. The deal,
    won-deal and discount counters all keep their rows this way."""
    changes = {field: F(field) + delta for field, delta in deltas.items()}
    if model.objects.filter(**key).update(**changes):
        return
    model.objects.bulk_create([model(**key)], ignore_conflicts=True)
    model.objects.filter(**key).update(**changes)


def figures_since(partner, first_month: date) -> tuple[int, int]:
    """(issued, passed_on) from `first_month` on: one query over at most a year of rows."""
    issued = passed_on = 0
    for row in DiscountCounter.objects.filter(partner=partner, month__gte=first_month):
        issued += row.issued
        passed_on += row.passed_on
    return issued, passed_on


def fresh_counts() -> dict[tuple[int, date], list[int]]:
    """The counters as the rows say they should be: {(partner id, month): [issued, passed_on]}."""
    counts: dict[tuple[int, date], list[int]] = defaultdict(lambda: [0, 0])
    issued = (
        Discount.objects.order_by()
        .annotate(m=TruncMonth("created_at"))
        .values("partner_id", "m")
        .annotate(n=Count("pk"))
    )
    for row in issued:
        counts[(row["partner_id"], truncated_month(row["m"]))][0] += row["n"]
    passed_on = (
        CustomerDiscount.objects.order_by()
        .annotate(m=TruncMonth("created_at"))
        .values("discount__partner_id", "m")
        .annotate(n=Count("pk"))
    )
    for row in passed_on:
        counts[(row["discount__partner_id"], truncated_month(row["m"]))][1] += row["n"]
    return dict(counts)


def stored_counts() -> dict[tuple[int, date], list[int]]:
    return {
        (c.partner_id, c.month): [c.issued, c.passed_on]
        for c in DiscountCounter.objects.all()
        if c.issued or c.passed_on
    }


def truncated_month(value) -> date:
    """A TruncMonth value as the first day of its month: TruncMonth gives an aware datetime in
    the current time zone (a date on SQLite, sometimes)."""
    if hasattr(value, "date"):
        value = timezone.localtime(value) if timezone.is_aware(value) else value
        return value.date().replace(day=1)
    return value.replace(day=1)


@transaction.atomic
def rebuild() -> int:
    """Recompute every discount counter; returns how many counter rows there are."""
    DiscountCounter.objects.all().delete()
    rows = [
        DiscountCounter(partner_id=partner_id, month=month, issued=i, passed_on=p)
        for (partner_id, month), (i, p) in fresh_counts().items()
    ]
    DiscountCounter.objects.bulk_create(rows, batch_size=1000)
    return len(rows)
