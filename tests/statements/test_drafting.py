"""Consumption in, statements out: the figures, corrections, ownership moving mid-month."""

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from notifications.models import Activity, Event
from partners.services import transfer_ownership
from statements.models import Adjustment, Consumption, Statement, StatementLine
from statements.services.consumption import add_adjustment, import_csv
from statements.services.drafting import draft_statement, draft_statements, previous_month
from statements.services.workflow import (
    add_message,
    confirm_statement,
    dispute_statement,
    mark_paid,
    send_statement,
)
from tests.statements.conftest import OCTOBER, at, month_of, send

NOVEMBER = date(2026, 11, 1)
pytestmark = pytest.mark.django_db


def _rounded(value) -> Decimal:
    return Decimal(value).quantize(Decimal(1), rounding=ROUND_HALF_UP)


def test_statement_figures_recomputed_from_consumption_and_discounts(
    alpha, account, october_discounts, vserver, vstorage
):
    report = send(
        month_of("acc-0001", "vserver", 100_000)
        + [("acc-0001", date(2026, 10, 5), "vstorage", 33_333)]
    )
    assert report.created == 32 and not report.errors

    assert draft_statements(OCTOBER) == 1
    statement = Statement.objects.get(partner=alpha, month=OCTOBER)

    # By hand: 15 days at 10 %, 16 days at 12 % of which 5 % passed on; vStorage at 0 %.
    assert statement.consumption == Decimal(3_133_333)
    assert statement.partner_discount == Decimal(150_000 + 192_000)
    assert statement.customer_discount == Decimal(80_000)
    assert statement.total == Decimal(262_000)
    lines = list(statement.lines.order_by("product__name", "first_day"))
    assert [
        (line.product.code, line.first_day.day, line.last_day.day, line.partner_rate, line.amount)
        for line in lines
    ] == [
        ("vserver", 1, 15, Decimal(10), Decimal(150_000)),
        ("vserver", 16, 31, Decimal(12), Decimal(112_000)),
        ("vstorage", 5, 5, Decimal(0), Decimal(0)),
    ]
    # Each line is its consumption times its rates, whole đồng; the totals are the lines'.
    for line in lines:
        assert line.partner_discount == _rounded(line.consumption * line.partner_rate / 100)
        assert line.customer_discount == _rounded(line.consumption * line.customer_rate / 100)
        assert line.amount == line.partner_discount - line.customer_discount
    assert sum(line.amount for line in lines) == statement.total
    assert Activity.objects.filter(action="statement.drafted", partner=alpha).count() == 1


def test_a_second_run_drafts_nothing_more(alpha, account, vserver):
    send(month_of("acc-0001", "vserver", 1000))
    assert draft_statements(OCTOBER) == 1
    assert draft_statements(OCTOBER) == 0
    _statement, created = draft_statement(alpha, OCTOBER)
    assert not created
    assert Statement.objects.filter(partner=alpha).count() == 1


def test_a_correction_redrafts_a_draft(alpha, account, october_discounts, vserver):
    send(month_of("acc-0001", "vserver", 100_000))
    draft_statements(OCTOBER)
    report = send([("acc-0001", date(2026, 10, 20), "vserver", 200_000)])
    assert (report.corrected, report.redrafted, report.adjustments) == (1, 1, 0)
    statement = Statement.objects.get(partner=alpha, month=OCTOBER)
    assert statement.consumption == Decimal(3_200_000)
    # +100,000 on a day at 12 % - 5 %.
    assert statement.total == Decimal(262_000 + 7_000)
    assert statement.drafts == 2
    assert Consumption.objects.get(day=date(2026, 10, 20)).corrections == 1
    # The same value again changes nothing (idempotent).
    again = send([("acc-0001", date(2026, 10, 20), "vserver", 200_000)])
    assert (again.unchanged, again.corrected, again.redrafted) == (1, 0, 0)


def test_a_correction_leaves_a_sent_statement_frozen_and_adjusts_the_next(
    alpha, staff, account, october_discounts, vserver
):
    send(month_of("acc-0001", "vserver", 100_000))
    draft_statements(OCTOBER)
    sent = send_statement(Statement.objects.get(partner=alpha, month=OCTOBER), by=staff)
    frozen = (sent.consumption, sent.total, list(sent.lines.values_list("amount", flat=True)))

    report = send([("acc-0001", date(2026, 10, 20), "vserver", 200_000)])
    assert report.adjustments == 1

    sent.refresh_from_db()
    assert (sent.consumption, sent.total, list(sent.lines.values_list("amount", flat=True))) == (
        frozen
    )
    adjustment = Adjustment.objects.get(partner=alpha)
    assert (adjustment.month, adjustment.about_month) == (NOVEMBER, OCTOBER)
    assert (adjustment.consumption, adjustment.amount) == (Decimal(100_000), Decimal(7_000))

    # November's statement carries it as its own line.
    send([("acc-0001", date(2026, 11, 2), "vserver", 50_000)])
    draft_statements(NOVEMBER)
    november = Statement.objects.get(partner=alpha, month=NOVEMBER)
    line = november.lines.get(kind=StatementLine.Kind.ADJUSTMENT)
    assert line.amount == Decimal(7_000) and "corrected" in line.description
    assert november.adjustments == Decimal(7_000)
    assert november.total == Decimal(6_000 - 2_500 + 7_000)


def test_ownership_moving_mid_month_splits_the_month(alpha, beta, account, alpha_customer, vserver):
    # Beta wins the customer on 11 October at noon: the account follows from then.
    transfer_ownership(customer=alpha_customer, partner=beta, at=at(date(2026, 10, 11), 12))
    send(month_of("acc-0001", "vserver", 1000))

    assert draft_statements(OCTOBER) == 2
    by_partner = {
        s.partner_id: s for s in Statement.objects.filter(month=OCTOBER).prefetch_related("lines")
    }
    alpha_days = Consumption.objects.filter(partner=alpha).values_list("day", flat=True)
    assert max(alpha_days) == date(2026, 10, 10)  # the 11th went to the one holding it last
    assert by_partner[alpha.pk].consumption == Decimal(10 * 1000)
    assert by_partner[beta.pk].consumption == Decimal(21 * 1000)
    (beta_line,) = by_partner[beta.pk].lines.all()
    assert (beta_line.first_day, beta_line.last_day) == (
        date(2026, 10, 11),
        OCTOBER.replace(day=31),
    )


def test_rows_are_refused_one_by_one(account, vserver):
    report = send(
        [
            ("acc-0001", date(2026, 10, 1), "vserver", 10),
            ("nope-123", date(2026, 10, 1), "vserver", 10),
            ("acc-0001", date(2026, 10, 1), "unknown", 10),
            ("acc-0001", date(2999, 1, 1), "vserver", 10),
            ("acc-0001", date(2026, 10, 2), "vserver", -1),
            ("acc-0001", date(2026, 10, 1), "vserver", 12),
        ]
    )
    assert report.created == 1
    assert [row for row, _error in report.errors] == [2, 3, 4, 5, 6]
    assert "nope-123" in report.errors[0][1]


def test_consumption_before_the_link_reaches_no_partner(alpha, account, vserver):
    from billing.models import CloudAccountLink

    CloudAccountLink.objects.filter(cloud_account=account).update(started_at=at(date(2026, 10, 20)))
    send(month_of("acc-0001", "vserver", 1000))
    assert Consumption.objects.filter(partner__isnull=True).count() == 19
    draft_statements(OCTOBER)
    assert Statement.objects.get(partner=alpha).consumption == Decimal(12 * 1000)


def test_csv_import_reports_each_row(staff, alice, account, vserver):
    data = (
        b"account_id,day,product,amount\n"
        b"acc-0001,2026-10-01,vserver,1000\n"
        b"acc-0001,2026-10-xx,vserver,1000\n"
        b"acc-0001,2026-10-02,vserver,abc\n"
    )
    report = import_csv(data, by=staff)
    assert report.created == 1
    assert [row for row, _error in report.errors] == [2, 3]
    with pytest.raises(PermissionDenied):
        import_csv(data, by=alice)


def test_the_statement_life(alpha, alice, sam, staff, account, vserver):
    send(month_of("acc-0001", "vserver", 1000))
    draft_statements(OCTOBER)
    statement = Statement.objects.get(partner=alpha)
    with pytest.raises(PermissionDenied):
        send_statement(statement, by=alice)
    with pytest.raises(ValidationError):
        confirm_statement(statement, by=alice)  # a draft
    send_statement(statement, by=staff)
    with pytest.raises(PermissionDenied):
        dispute_statement(statement, by=sam, reason="no")  # a member, not an admin
    with pytest.raises(ValidationError):
        dispute_statement(statement, by=alice, reason="  ")
    dispute_statement(statement, by=alice, reason="Ngày 20 tính hai lần")
    add_message(statement, by=staff, text="We checked: it was once.")
    add_message(statement, by=sam, text="OK")
    with pytest.raises(ValidationError):
        mark_paid(statement, by=staff)  # disputed, not confirmed
    confirm_statement(statement, by=alice)
    with pytest.raises(ValidationError) as unnamed:
        mark_paid(statement, by=staff, reference="  ")  # which transfer paid it?
    assert unnamed.value.error_dict["reference"][0].code == "required"
    assert Statement.objects.get(pk=statement.pk).status == Statement.Status.CONFIRMED
    paid = mark_paid(statement, by=staff, reference="UNC-77\u200b ")  # pasted with a ZWSP
    assert (paid.status, paid.payment_reference) == (Statement.Status.PAID, "UNC-77")
    assert [m.from_staff for m in statement.messages.all()] == [False, True, False]
    kinds = list(Event.objects.filter(partner=alpha).order_by("pk").values_list("kind", flat=True))
    assert [k for k in kinds if k.startswith("statement")] == [
        "statement_sent",
        "statement_disputed",
        "statement_confirmed",
        "statement_paid",
    ]
    actions = set(Activity.objects.filter(partner=alpha).values_list("action", flat=True))
    assert {"statement.sent", "statement.disputed", "statement.confirmed", "statement.paid"} <= (
        actions
    )


def test_staff_adjustment_goes_on_the_next_open_statement(alpha, staff, account, vserver):
    send(month_of("acc-0001", "vserver", 1000))
    draft_statements(OCTOBER)
    add_adjustment(partner=alpha, month=OCTOBER, amount=-500, reason="Credit note", by=staff)
    statement = Statement.objects.get(partner=alpha, month=OCTOBER)
    assert statement.adjustments == Decimal(-500)
    send_statement(statement, by=staff)
    later = add_adjustment(partner=alpha, month=OCTOBER, amount=300, reason="Bonus", by=staff)
    # November, or last month once November is past and was never drafted (no consumption).
    assert later.month == max(NOVEMBER, previous_month())


def test_an_adjustment_about_a_sent_month_passes_over_months_nobody_drafts(alpha, staff):
    """August sent, no statement for September (no consumption): drafting will never make
    one, so the adjustment goes to the first draft after it or to last month's statement."""
    august, september = date(2026, 8, 1), date(2026, 9, 1)
    from django.utils import timezone

    Statement.objects.create(
        partner=alpha, month=august, status=Statement.Status.SENT, sent_at=timezone.now()
    )

    made = add_adjustment(partner=alpha, month=august, amount=300, reason="Bonus", by=staff)
    Statement.objects.create(partner=alpha, month=september, status=Statement.Status.DRAFT)
    to_draft = add_adjustment(partner=alpha, month=august, amount=200, reason="More", by=staff)

    assert (made.about_month, made.month) == (august, max(september, previous_month()))
    assert made.month != september or previous_month() == september
    assert to_draft.month == september  # an unsent draft after it is used first


@pytest.mark.parametrize(
    "month, amount, field",
    [
        (date(9999, 12, 1), 500, "month"),
        (None, 0, "amount"),
        (None, -(10**15), "amount"),
        (None, "12.5", "amount"),
        (None, "NaN", "amount"),
    ],
    ids=["future", "zero", "huge", "fraction", "nan"],
)
def test_an_adjustment_no_statement_could_carry_is_refused(alpha, staff, month, amount, field):
    from django.utils import timezone

    month = month or timezone.localdate().replace(day=1)

    with pytest.raises(ValidationError) as refused:
        add_adjustment(partner=alpha, month=month, amount=amount, reason="x", by=staff)

    assert set(refused.value.error_dict) == {field}
    assert not Adjustment.objects.exists()


def test_an_adjustment_about_a_month_nobody_drafts_goes_on_the_next_statement(
    alpha, staff, account, vserver
):
    """A month before last month with no statement is never drafted again: the adjustment
    waits on the first statement still to come (last month's), not on that month forever."""
    from statements.services.drafting import previous_month

    made = add_adjustment(
        partner=alpha, month=date(2019, 5, 1), amount=-500, reason="Old credit", by=staff
    )

    assert (made.about_month, made.month) == (date(2019, 5, 1), previous_month())
    draft_statements(previous_month())
    assert Statement.objects.get(partner=alpha, month=previous_month()).adjustments == -500


def test_the_command_and_the_task_draft_once(alpha, account, vserver):
    from django.core.management import call_command

    from statements.tasks import draft_statements as task

    send(month_of("acc-0001", "vserver", 1000))
    call_command("draft_statements", "--month", "2026-10")
    assert task("2026-10-01") == 0
    assert Statement.objects.filter(partner=alpha, month=OCTOBER).count() == 1
