"""Drafting statements: one per partner and month, exactly once, recomputed while a draft."""

import calendar
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

from django.db import connection, transaction
from django.db.models import Sum
from django.utils import timezone

from deals.models import Product
from notifications.activity import record_activity
from partners.models import Customer, Partner
from partners.selectors import sandbox_partners
from statements.models import Adjustment, Consumption, Statement, StatementLine
from statements.rates import ZERO, Rates, share


def month_start(day: date) -> date:
    return day.replace(day=1)


def month_end(month: date) -> date:
    return month.replace(day=calendar.monthrange(month.year, month.month)[1])


def next_month(month: date) -> date:
    return month_end(month) + timedelta(days=1)


def previous_month(today: date | None = None) -> date:
    today = today or timezone.localdate()
    return month_start(month_start(today) - timedelta(days=1))


# The advisory locks' namespace (high bits of the 64-bit key): "ST".
_LOCK_SPACE = 0x5354 << 44


def lock_month(partner_id: int, month: date) -> None:
    """Serialise everything that reads or changes one partner's month (drafting, re-drafting,
    sending, storing consumption or an adjustment for it) until the transaction ends.

    The statement row cannot be the lock: it may not exist yet, and a batch of consumption
    stored while the month is being drafted would otherwise be read by neither. PostgreSQL's
    transaction-level advisory lock (re-entrant in one transaction); SQLite writes one at a
    time anyway.
    """
    if connection.vendor != "postgresql":
        return
    key = _LOCK_SPACE | (int(partner_id) << 16) | (month.year * 12 + month.month - 1) % 65536
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key])


@dataclass
class _Group:
    customer_id: int
    product_id: int
    partner_rate: object
    customer_rate: object
    first_day: date
    last_day: date
    consumption: object = ZERO


def consumption_lines(partner_id, month: date) -> list[StatementLine]:
    """The month's consumption of the partner's customers' accounts (the days it held each),
    by customer and product, one line per pair of rates in force (unsaved lines)."""
    last = month_end(month)
    days = (
        Consumption.objects.filter(partner_id=partner_id, day__gte=month, day__lte=last)
        .values("customer_id", "product_id", "day")
        .annotate(amount=Sum("amount"))
        .order_by("customer_id", "product_id", "day")
    )
    days = list(days)
    if not days:
        return []
    rates = Rates(partner_id, {row["customer_id"] for row in days}, month, last)
    groups: dict[tuple, _Group] = {}
    for row in days:
        customer, product, day = row["customer_id"], row["product_id"], row["day"]
        pr = rates.partner_rate(customer, product, day)
        cr = rates.customer_rate(customer, product, day)
        key = (customer, product, pr, cr)
        group = groups.get(key)
        if group is None:
            group = groups[key] = _Group(customer, product, pr, cr, day, day)
        group.last_day = day
        group.consumption += row["amount"]
    lines = []
    for group in groups.values():
        partner_discount = share(group.consumption, group.partner_rate)
        customer_discount = share(group.consumption, group.customer_rate)
        lines.append(
            StatementLine(
                kind=StatementLine.Kind.CONSUMPTION,
                customer_id=group.customer_id,
                product_id=group.product_id,
                first_day=group.first_day,
                last_day=group.last_day,
                consumption=group.consumption,
                partner_rate=group.partner_rate,
                partner_discount=partner_discount,
                customer_rate=group.customer_rate,
                customer_discount=customer_discount,
                amount=partner_discount - customer_discount,
            )
        )
    return lines


def _reading_order(lines: list[StatementLine]):
    """The order the statement is read in (`selectors.lines_of`): adjustments, then by
    customer and product name and first day. Lines are created in it, so a page of lines is
    a range of ids (`selectors.line_page`)."""
    customers = dict(
        Customer.objects.filter(pk__in={line.customer_id for line in lines}).values_list(
            "pk", "name"
        )
    )
    products = dict(Product.objects.values_list("pk", "name"))

    def key(line):
        return (
            line.kind,
            customers.get(line.customer_id, ""),
            line.customer_id or 0,
            products.get(line.product_id, ""),
            line.first_day or date.min,
        )

    return key


def _fill(statement: Statement) -> Statement:
    """(Re)compute a draft's lines and totals (the caller holds the statement's row)."""
    lines = consumption_lines(statement.partner_id, statement.month)
    for adjustment in Adjustment.objects.filter(
        partner_id=statement.partner_id, month=statement.month
    ).order_by("created_at", "pk"):
        lines.append(
            StatementLine(
                kind=StatementLine.Kind.ADJUSTMENT,
                consumption=adjustment.consumption,
                amount=adjustment.amount,
                adjustment=adjustment,
                description=adjustment.reason,
            )
        )
    for line in lines:
        line.statement = statement
    lines.sort(key=_reading_order(lines))
    StatementLine.objects.filter(statement=statement).delete()
    StatementLine.objects.bulk_create(lines)
    consumption_only = [line for line in lines if line.kind == StatementLine.Kind.CONSUMPTION]
    statement.consumption = sum((line.consumption for line in lines), ZERO)
    statement.partner_discount = sum((line.partner_discount for line in consumption_only), ZERO)
    statement.customer_discount = sum((line.customer_discount for line in consumption_only), ZERO)
    statement.adjustments = sum(
        (line.amount for line in lines if line.kind == StatementLine.Kind.ADJUSTMENT), ZERO
    )
    statement.total = statement.partner_discount - statement.customer_discount
    statement.total += statement.adjustments
    statement.save(
        update_fields=[
            "consumption",
            "partner_discount",
            "customer_discount",
            "adjustments",
            "total",
            "drafted_at",
            "drafts",
        ]
    )
    return statement


@transaction.atomic
def draft_statement(partner: Partner, month: date) -> tuple[Statement, bool]:
    """The partner's statement of `month`, drafted if it did not exist.

    Effects: at most one Statement per (partner, month), whatever runs at the same time (the
    unique constraint; a second drafter waits for the first's insert and then finds it);
    lines and totals computed by the drafter that created it; activity `statement.drafted`.
    Returns (statement, created).
    """
    month = month_start(month)
    lock_month(partner.pk, month)
    statement, created = Statement.objects.get_or_create(partner=partner, month=month)
    if created:
        _fill(statement)
        record_activity(
            action="statement.drafted",
            obj=statement,
            partner=partner,
            data={"month": f"{month:%Y-%m}", "total": statement.total},
        )
    return statement, created


def redraft(statement: Statement) -> bool:
    """Recompute a statement if it is still a draft (in the caller's transaction, the row
    locked here); a sent statement stays as it was sent. True if it was recomputed."""
    key = Statement.objects.filter(pk=statement.pk).values_list("partner_id", "month").get()
    lock_month(*key)
    locked = Statement.objects.select_for_update().get(pk=statement.pk)
    if locked.status != Statement.Status.DRAFT:
        return False
    locked.drafted_at = timezone.now()
    locked.drafts += 1
    _fill(locked)
    record_activity(
        action="statement.redrafted",
        obj=locked,
        partner=locked.partner,
        data={"month": f"{locked.month:%Y-%m}", "total": locked.total},
    )
    return True


def partners_to_draft(month: date) -> list[int]:
    """Real partners with consumption or adjustments in `month` and no statement of it yet."""
    month = month_start(month)
    ids = set(
        Consumption.objects.filter(day__gte=month, day__lte=month_end(month), partner__isnull=False)
        .values_list("partner_id", flat=True)
        .distinct()
    )
    ids |= set(Adjustment.objects.filter(month=month).values_list("partner_id", flat=True))
    ids -= set(Statement.objects.filter(month=month).values_list("partner_id", flat=True))
    # A sandbox holds no real money: it is never drafted, whatever reached it.
    ids -= set(sandbox_partners().values_list("pk", flat=True))
    return sorted(ids)


def draft_statements(month: date | None = None) -> int:
    """The beat job: draft every partner's statement of `month` (default: the previous month)
    that does not exist yet, each in its own transaction. Returns how many this run created;
    two runs at once create each statement once."""
    month = month_start(month) if month else previous_month()
    created = 0
    for partner_id in partners_to_draft(month):
        _statement, made = draft_statement(Partner(pk=partner_id), month)
        created += made
    return created


def drafts_by_partner_month(keys) -> dict:
    """{(partner_id, month): Statement} for the given keys (one query)."""
    found = defaultdict(list)
    for partner_id, month in keys:
        found[month].append(partner_id)
    result = {}
    for month, partner_ids in found.items():
        for statement in Statement.objects.filter(month=month, partner_id__in=partner_ids):
            result[(statement.partner_id, month)] = statement
    return result
