"""Consumption from billing (internal API) or staff (CSV import): checked row by row, stored
once per (account, day, product), a correction replacing the day's value.

Each row's partner is fixed on arrival from the account's link history: the partner whose link
covered that day (if the link moved during the day, the one that took it last that day). A
change to a month whose statement is a draft re-drafts it; a change to a month whose statement
was already sent leaves it frozen and becomes an adjustment on the partner's next statement
not yet sent.
"""

import csv
import io
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from billing.models import CloudAccount, CloudAccountLink
from deals.models import Product
from notifications.activity import record_activity
from partners.access import require_staff
from statements.models import Adjustment, Consumption, Statement
from statements.rates import ZERO, Rates, share
from statements.services.drafting import (
    lock_month,
    month_end,
    month_start,
    next_month,
    previous_month,
    redraft,
)

MAX_ROWS = 5000
MAX_AMOUNT = Decimal(10) ** 15
STAFF_ONLY_IMPORT = gettext_lazy("Only VNG Cloud staff can import consumption.")


@dataclass
class Report:
    """What a batch did: rows created, changed and unchanged, and each refused row's reason
    (row numbers from 1, a CSV's header not counted)."""

    created: int = 0
    corrected: int = 0
    unchanged: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)
    redrafted: int = 0
    adjustments: int = 0

    def as_dict(self) -> dict:
        return {
            "created": self.created,
            "corrected": self.corrected,
            "unchanged": self.unchanged,
            "redrafted": self.redrafted,
            "adjustments": self.adjustments,
            "errors": [{"row": row, "error": error} for row, error in self.errors],
        }


@dataclass
class _Row:
    number: int
    account: CloudAccount
    partner_id: int | None
    day: date
    product: Product
    amount: Decimal


def _day_bounds(day: date) -> tuple[datetime, datetime]:
    start = timezone.make_aware(datetime.combine(day, time.min))
    return start, start + timedelta(days=1)


def _parse_day(value) -> date:
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value or "").strip())


def _parse_amount(value) -> Decimal:
    text = str(value if value is not None else "").strip().replace(" ", "")
    amount = Decimal(text)
    if not amount.is_finite():
        raise InvalidOperation
    return amount


class _Resolver:
    """Accounts, their links and products for a batch, in three queries."""

    def __init__(self, account_ids, product_codes):
        self.accounts = defaultdict(list)
        for account in CloudAccount.objects.filter(account_id__in=account_ids).order_by(
            "-created_at", "-pk"
        ):
            self.accounts[account.account_id].append(account)
        self.links = defaultdict(list)
        for link in CloudAccountLink.objects.filter(
            cloud_account__account_id__in=account_ids
        ).select_related("cloud_account"):
            self.links[link.cloud_account.account_id].append(link)
        self.products = {p.code: p for p in Product.objects.filter(code__in=product_codes)}

    def holder(self, account_id: str, day: date) -> tuple[CloudAccount | None, int | None]:
        """The account row and the partner holding it that day (None: nobody)."""
        start, end = _day_bounds(day)
        covering = [
            link
            for link in self.links.get(account_id, ())
            if link.started_at < end and (link.ended_at is None or link.ended_at > start)
        ]
        if covering:
            link = max(covering, key=lambda link: (link.started_at, link.pk))
            return link.cloud_account, link.partner_id
        rows = self.accounts.get(account_id)
        return (rows[0] if rows else None), None


def _check_rows(rows, report: Report) -> list[_Row]:
    rows = list(rows)
    resolver = _Resolver(
        {str(row.get("account_id") or "").strip() for row in rows},
        {str(row.get("product") or "").strip() for row in rows},
    )
    today = timezone.localdate()
    checked, seen = [], {}
    for number, row in enumerate(rows, start=1):
        account_id = str(row.get("account_id") or "").strip()
        code = str(row.get("product") or "").strip()
        try:
            day = _parse_day(row.get("day"))
        except (TypeError, ValueError):
            report.errors.append((number, _("The day is not a date (YYYY-MM-DD).")))
            continue
        try:
            amount = _parse_amount(row.get("amount"))
        except (InvalidOperation, ValueError):
            report.errors.append((number, _("The amount is not a number.")))
            continue
        if day > today:
            report.errors.append((number, _("The day is in the future.")))
            continue
        if amount < 0 or amount != amount.to_integral_value() or amount >= MAX_AMOUNT:
            report.errors.append(
                (number, _("The amount must be a whole number of đồng, 0 or more."))
            )
            continue
        product = resolver.products.get(code)
        if product is None:
            report.errors.append((number, _("Unknown product code “%(code)s”.") % {"code": code}))
            continue
        account, partner_id = resolver.holder(account_id, day)
        if account is None:
            report.errors.append(
                (number, _("Unknown cloud account “%(id)s”.") % {"id": account_id[:64]})
            )
            continue
        key = (account.pk, day, product.pk)
        if key in seen:
            report.errors.append(
                (
                    number,
                    _("The same account, day and product as row %(row)s.") % {"row": seen[key]},
                )
            )
            continue
        seen[key] = number
        checked.append(_Row(number, account, partner_id, day, product, amount))
    return checked


def record_consumption(rows, *, source: str, token=None, by=None) -> Report:
    """Store a batch of consumption rows ({account_id, day, product, amount}).

    Effects: each row checked (refused ones reported with their number, the others stored);
    one row per (account, day, product): a new value replaces the old one; the accounts'
    rows locked (in id order) so two batches for one account wait for each other; drafts of
    the months changed re-drafted; changes to months already sent become adjustments on the
    partner's next statement not yet sent; one activity entry for the batch.
    """
    report = Report()
    rows = list(rows)
    if len(rows) > MAX_ROWS:
        report.errors.append((0, _("At most %(max)s rows at once.") % {"max": MAX_ROWS}))
        return report
    checked = _check_rows(rows, report)
    if not checked:
        return report
    with transaction.atomic():
        _store(checked, source, report)
        record_activity(
            action="consumption.received" if token is not None else "consumption.imported",
            actor=by,
            obj=token,
            partner=None,
            data={
                "created": report.created,
                "corrected": report.corrected,
                "unchanged": report.unchanged,
                "refused": len(report.errors),
            },
        )
    return report


def _store(checked: list[_Row], source: str, report: Report) -> None:
    account_ids = sorted({row.account.pk for row in checked})
    list(CloudAccount.objects.select_for_update().filter(pk__in=account_ids).order_by("pk"))
    days = {row.day for row in checked}
    existing = {
        (c.cloud_account_id, c.day, c.product_id): c
        for c in Consumption.objects.filter(
            cloud_account_id__in=account_ids, day__in=days
        ).select_for_update()
    }
    now = timezone.now()
    new, changed = [], []
    deltas = []  # (partner_id, customer_id, product_id, day, delta)
    for row in checked:
        key = (row.account.pk, row.day, row.product.pk)
        old = existing.get(key)
        if old is None:
            new.append(
                Consumption(
                    cloud_account=row.account,
                    day=row.day,
                    product=row.product,
                    amount=row.amount,
                    partner_id=row.partner_id,
                    customer_id=row.account.customer_id,
                    source=source,
                    received_at=now,
                )
            )
            report.created += 1
            delta = row.amount
        elif old.amount == row.amount:
            report.unchanged += 1
            continue
        else:
            delta = row.amount - old.amount
            old.amount, old.source, old.received_at = row.amount, source, now
            old.corrections += 1
            changed.append(old)
            report.corrected += 1
        if row.partner_id is not None and delta:
            deltas.append((row.partner_id, row.account.customer_id, row.product.pk, row.day, delta))
    Consumption.objects.bulk_create(new)
    Consumption.objects.bulk_update(changed, ["amount", "source", "received_at", "corrections"])
    _settle(deltas, report)


def _settle(deltas, report: Report) -> None:
    """Re-draft the drafts the changes touch; turn changes to sent months into adjustments."""
    by_month = defaultdict(list)
    for partner_id, customer_id, product_id, day, delta in deltas:
        by_month[(partner_id, month_start(day))].append((customer_id, product_id, day, delta))
    to_redraft = set()
    for (partner_id, month), changes in sorted(by_month.items()):
        lock_month(partner_id, month)
        statement = (
            Statement.objects.select_for_update().filter(partner_id=partner_id, month=month).first()
        )
        if statement is None:
            continue  # drafted later from the stored rows
        if statement.status == Statement.Status.DRAFT:
            to_redraft.add(statement.pk)
            continue
        target = _adjust(partner_id, month, changes)
        report.adjustments += 1
        if target is not None:
            to_redraft.add(target.pk)
    for pk in sorted(to_redraft):
        report.redrafted += redraft(Statement(pk=pk))


def first_open_month(partner_id, after: date) -> tuple[date, Statement | None]:
    """The first month after `after` whose statement is not sent yet and that drafting still
    reaches (and that draft, if any), its row locked. A month before last month that has no
    statement is never drafted (drafting makes last month's), so an adjustment left there
    would wait forever: such months are passed over, to the first draft after them or to
    last month."""
    last = previous_month()
    month = next_month(after)
    while True:
        if month < last:
            draft = (
                Statement.objects.filter(
                    partner_id=partner_id,
                    month__gte=month,
                    month__lt=last,
                    status=Statement.Status.DRAFT,
                )
                .order_by("month")
                .values_list("month", flat=True)
                .first()
            )
            month = draft or last
        lock_month(partner_id, month)
        statement = (
            Statement.objects.select_for_update().filter(partner_id=partner_id, month=month).first()
        )
        if statement is None or statement.status == Statement.Status.DRAFT:
            return month, statement
        month = next_month(month)


def _adjust(partner_id, month: date, changes) -> Statement | None:
    """One adjustment per (customer, product) for changes to a sent month: the commission the
    sent statement would have had minus the one it has, at the rates of each day."""
    rates = Rates(partner_id, {c[0] for c in changes}, month, month_end(month))
    grouped = defaultdict(lambda: [ZERO, ZERO])
    for customer_id, product_id, day, delta in changes:
        commission = share(delta, rates.partner_rate(customer_id, product_id, day)) - share(
            delta, rates.customer_rate(customer_id, product_id, day)
        )
        grouped[(customer_id, product_id)][0] += delta
        grouped[(customer_id, product_id)][1] += commission
    target_month, target = first_open_month(partner_id, month)
    from partners.models import Customer

    names = dict(Customer.objects.filter(pk__in={c for c, _p in grouped}).values_list("pk", "name"))
    products = {p.pk: p for p in Product.objects.filter(pk__in={p for _c, p in grouped})}
    for (customer_id, product_id), (consumption, amount) in grouped.items():
        Adjustment.objects.create(
            partner_id=partner_id,
            month=target_month,
            about_month=month,
            kind=Adjustment.Kind.CORRECTION,
            consumption=consumption,
            amount=amount,
            reason=_(
                "Consumption of %(customer)s, %(product)s in %(month)s corrected after its "
                "statement was sent"
            )
            % {
                "customer": names.get(customer_id, "-"),
                "product": products[product_id].name,
                "month": date_format(month, "YEAR_MONTH_FORMAT"),
            },
        )
    return target


def check_adjustment(month: date, amount) -> None:
    """An adjustment staff type: about this month or an earlier one, a whole number of đồng
    that is not 0 and under MAX_AMOUNT either way (ValidationError keyed by field)."""
    errors = {}
    if month_start(month) > month_start(timezone.localdate()):
        errors["month"] = ValidationError(
            _("An adjustment is about this month or an earlier one."), code="future"
        )
    try:
        amount = Decimal(amount)
        whole = amount.is_finite() and amount == amount.to_integral_value()
    except (InvalidOperation, TypeError, ValueError):
        whole = False
    if not whole or not amount or abs(amount) >= MAX_AMOUNT:
        errors["amount"] = ValidationError(
            _("The change must be a whole number of đồng, not 0, under 10^15 either way."),
            code="invalid",
        )
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def add_adjustment(*, partner, month: date, amount, reason: str, by) -> Adjustment:
    """Staff's own adjustment on the partner's statement of `month` (or the first one after it
    not sent yet); re-drafts that statement if it exists; activity `statement.adjusted`.

    Refused (`check_adjustment`): a month after this one, an amount that is not a whole,
    non-zero number of đồng under MAX_AMOUNT either way. About a month before last month that
    has no statement (drafting will not come back to it), the adjustment goes on the first
    draft after it or on last month's statement, as for a sent month (`first_open_month`):
    it never waits on a month nobody drafts."""
    require_staff(by, STAFF_ONLY_IMPORT)
    check_adjustment(month, amount)
    month = month_start(month)
    lock_month(partner.pk, month)
    statement = Statement.objects.select_for_update().filter(partner=partner, month=month).first()
    target_month, target = month, statement
    if statement is not None and statement.status != Statement.Status.DRAFT:
        target_month, target = first_open_month(partner.pk, month)
    elif statement is None and month < previous_month():
        # A month drafting will not come back to: the first draft after it, or last month.
        target_month, target = first_open_month(partner.pk, previous_month(month))
    adjustment = Adjustment.objects.create(
        partner=partner,
        month=target_month,
        about_month=month,
        kind=Adjustment.Kind.STAFF,
        amount=Decimal(amount),
        reason=" ".join(str(reason).split())[:500],
        created_by=by,
    )
    if target is not None:
        redraft(target)
    record_activity(
        action="statement.adjusted",
        actor=by,
        obj=adjustment,
        partner=partner,
        data={"month": f"{target_month:%Y-%m}", "amount": adjustment.amount},
    )
    return adjustment


CSV_COLUMNS = ("account_id", "day", "product", "amount")


def import_csv(data: bytes, *, by) -> Report:
    """Staff's CSV import (columns account_id, day, product, amount; UTF-8, a header row)."""
    if not getattr(by, "is_staff", False):
        raise PermissionDenied(str(STAFF_ONLY_IMPORT))
    report = Report()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        report.errors.append((0, _("The file is not UTF-8 text.")))
        return report
    reader = csv.DictReader(io.StringIO(text))
    try:
        missing = [c for c in CSV_COLUMNS if c not in (reader.fieldnames or ())]
        rows = [] if missing else list(reader)
    except csv.Error as error:  # a field past the csv module's limit, a bare CR in a field
        report.errors.append(
            (
                reader.line_num,
                _("The file is not CSV the import can read: %(error)s.") % {"error": error},
            )
        )
        return report
    if missing:
        report.errors.append(
            (0, _("Missing columns: %(columns)s.") % {"columns": ", ".join(missing)})
        )
        return report
    return record_consumption(rows, source=Consumption.Source.IMPORT, by=by)
