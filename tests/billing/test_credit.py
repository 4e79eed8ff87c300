"""The credit ledger and top-ups: payments, balance never below zero, billing's answer."""

from decimal import Decimal
from html import unescape

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Sum
from django.urls import reverse

from billing.models import CreditEntry, PartnerCredit, TopUp
from billing.services.credit import apply_top_up, fail_top_up, record_payment, top_up
from notifications.models import Activity, Event

pytestmark = pytest.mark.django_db


def ledger(partner):
    return list(
        CreditEntry.objects.filter(partner=partner)
        .order_by("created_at", "pk")
        .values_list("kind", "amount", "balance_after")
    )


def assert_balanced(partner):
    total = CreditEntry.objects.filter(partner=partner).aggregate(t=Sum("amount"))["t"] or 0
    assert PartnerCredit.objects.get(partner=partner).balance == total


def test_staff_record_a_payment_once_per_reference(alpha, staff):
    entry = record_payment(
        partner=alpha, amount="5000000", reference="UNC-9", by=staff, reason="Q1"
    )
    assert (entry.kind, entry.amount, entry.balance_after, entry.created_by) == (
        "payment",
        Decimal(5_000_000),
        Decimal(5_000_000),
        staff,
    )
    with pytest.raises(ValidationError) as refused:
        record_payment(partner=alpha, amount="5000000", reference="UNC-9", by=staff)
    assert refused.value.error_dict["reference"][0].code == "duplicate"
    assert PartnerCredit.objects.get(partner=alpha).balance == Decimal(5_000_000)
    assert Activity.objects.filter(action="credit.payment_recorded").count() == 1


@pytest.mark.parametrize("typed", ["unc-9", "UNC-9\u200b", " UNC-9 ", "\ufeffUnc-9"])
def test_a_reference_in_another_case_or_with_invisible_characters_is_the_same_payment(
    alpha, staff, typed
):
    """A walk credited a partner twice with "REF-A1" and "ref-a1" (and with a zero-width
    space pasted after it): the bank means one transfer."""
    record_payment(partner=alpha, amount="5000000", reference="UNC-9", by=staff)

    with pytest.raises(ValidationError) as refused:
        record_payment(partner=alpha, amount="5000000", reference=typed, by=staff)

    assert refused.value.error_dict["reference"][0].code == "duplicate"
    assert PartnerCredit.objects.get(partner=alpha).balance == Decimal(5_000_000)
    assert list(CreditEntry.objects.values_list("reference", flat=True)) == ["UNC-9"]


def test_a_partner_cannot_record_a_payment(alpha, alice):
    with pytest.raises(PermissionDenied):
        record_payment(partner=alpha, amount="1000", reference="x", by=alice)


# Python's Decimal reads "1_000_000", "1e5" and other scripts' digits; no form here does.
@pytest.mark.parametrize(
    "amount",
    ["0", "-5", "12.5", "abc", "1e30", "1e5", "1_000_000", "١٢٣٤٥", "5.000,000", "0.500"],
)
def test_amounts_are_whole_positive_vnd(alpha, staff, amount):
    with pytest.raises(ValidationError) as refused:
        record_payment(partner=alpha, amount=amount, reference="r", by=staff)
    assert "amount" in refused.value.message_dict
    assert CreditEntry.objects.count() == 0


@pytest.mark.parametrize(
    "typed, amount",
    [("5000000", 5_000_000), ("5.000.000", 5_000_000), ("5,000,000", 5_000_000), (" 700 ", 700)],
)
def test_amounts_may_be_grouped_by_thousands(alpha, staff, typed, amount):
    entry = record_payment(partner=alpha, amount=typed, reference=f"r{amount}", by=staff)
    assert entry.amount == Decimal(amount)


def test_top_up_takes_from_the_balance_and_records_the_event(
    alpha, alice, alpha_account, alpha_credit
):
    made = top_up(alpha_account, partner=alpha, amount="3000000", by=alice, note="March")
    assert (made.status, made.amount) == ("pending", Decimal(3_000_000))
    assert ledger(alpha) == [
        ("payment", Decimal(10_000_000), Decimal(10_000_000)),
        ("top_up", Decimal(-3_000_000), Decimal(7_000_000)),
    ]
    event = Event.objects.get(kind="credit_topped_up")
    assert event.partner == alpha
    assert event.params == {
        "top_up": made.pk,
        "amount": "3000000",
        "account": "acc-0001",
        "customer": "Công ty Mặt Trời",
    }
    assert Activity.objects.filter(action="credit.topped_up", partner=alpha).count() == 1
    assert_balanced(alpha)


def test_top_up_above_the_balance_is_refused_and_changes_nothing(
    alpha, alice, alpha_account, alpha_credit
):
    with pytest.raises(ValidationError) as refused:
        top_up(alpha_account, partner=alpha, amount="10000001", by=alice)
    assert refused.value.code == "insufficient"
    assert TopUp.objects.count() == 0
    assert PartnerCredit.objects.get(partner=alpha).balance == Decimal(10_000_000)


def test_a_member_cannot_top_up(alpha, sam, alpha_account, alpha_credit):
    with pytest.raises(PermissionDenied):
        top_up(alpha_account, partner=alpha, amount="1000", by=sam)


def test_applied_top_up_adds_to_the_account_and_a_replay_changes_nothing(
    alpha, alice, staff, alpha_account, alpha_credit
):
    made = top_up(alpha_account, partner=alpha, amount="2000000", by=alice)
    applied, changed = apply_top_up(made, by=staff, reference="BILL-1")
    again, changed_again = apply_top_up(made, by=staff, reference="BILL-1")
    alpha_account.refresh_from_db()
    assert (changed, changed_again) == (True, False)
    assert (again.status, again.billing_reference) == ("applied", "BILL-1")
    assert alpha_account.credit == Decimal(2_000_000)
    with pytest.raises(ValidationError) as refused:
        fail_top_up(made, by=staff, reason="late")
    assert refused.value.code == "already_applied"
    assert Event.objects.filter(kind="credit_top_up_applied").count() == 1


def test_a_failed_top_up_returns_the_credit_once(alpha, alice, staff, alpha_account, alpha_credit):
    made = top_up(alpha_account, partner=alpha, amount="4000000", by=alice)
    fail_top_up(made, by=staff, reason="Account suspended at VNG Cloud")
    _same, changed = fail_top_up(made, by=staff, reason="again")
    assert changed is False
    assert ledger(alpha)[-2:] == [
        ("top_up", Decimal(-4_000_000), Decimal(6_000_000)),
        ("top_up_returned", Decimal(4_000_000), Decimal(10_000_000)),
    ]
    made.refresh_from_db()
    assert (made.status, made.failure_reason) == ("failed", "Account suspended at VNG Cloud")
    with pytest.raises(ValidationError):
        apply_top_up(made, by=staff)
    alpha_account.refresh_from_db()
    assert alpha_account.credit == 0
    assert_balanced(alpha)


def test_a_moved_account_cannot_be_topped_up_by_its_old_partner(
    alpha, alice, beta, bob, alpha_account, alpha_credit, vserver
):
    from tests.billing.test_accounts import _won_by

    _won_by(beta, bob, alpha_account.customer, vserver)
    with pytest.raises(ValidationError) as refused:
        top_up(alpha_account, partner=alpha, amount="1000", by=alice)
    assert refused.value.code == "not_linked"


def test_the_top_up_form_writes_once_per_submission_key(
    alice_client, alpha, alpha_account, alpha_credit
):
    url = reverse("cloud_account_top_up", args=[alpha_account.pk])
    form = {"amount": "1500000", "note": "", "submission_key": "topup-key-0000000001"}
    first = alice_client.post(url, form)
    second = alice_client.post(url, form)  # a double click
    assert first.status_code == second.status_code == 302
    assert (
        first["Location"]
        == second["Location"]
        == reverse("cloud_account_detail", args=[alpha_account.pk])
    )
    assert TopUp.objects.count() == 1
    assert PartnerCredit.objects.get(partner=alpha).balance == Decimal(8_500_000)


def test_the_top_up_form_shows_a_refusal_and_keeps_the_input(
    alice_client, alpha_account, alpha_credit
):
    url = reverse("cloud_account_top_up", args=[alpha_account.pk])
    response = alice_client.post(
        url, {"amount": "99000000", "submission_key": "topup-key-0000000002"}
    )
    assert response.status_code == 400
    assert b"less than 99,000,000" in response.content or b"less than" in response.content
    assert b'value="99000000"' in response.content
    assert TopUp.objects.count() == 0


def test_ledger_page_is_the_partners_own(alice_client, client, bob, alpha_credit):
    page = alice_client.get(reverse("cloud_account_credit"))
    assert b"UNC-1" in page.content
    client.force_login(bob)
    assert b"UNC-1" not in client.get(reverse("cloud_account_credit")).content


def test_the_ledger_has_no_edit_path_in_admin(client, staff, alpha_credit):
    client.force_login(staff)
    entry = CreditEntry.objects.get()
    page = client.get(reverse("admin:billing_creditentry_change", args=[entry.pk]))
    assert page.status_code == 200
    assert b'name="amount"' not in page.content
    client.post(reverse("admin:billing_creditentry_change", args=[entry.pk]), {"amount": "1"})
    assert (
        client.get(reverse("admin:billing_creditentry_delete", args=[entry.pk])).status_code == 403
    )
    entry.refresh_from_db()
    assert entry.amount == Decimal(10_000_000)


def test_a_top_up_note_over_its_limit_is_an_error_with_everything_typed_kept(
    alice_client, alpha, alpha_account, alpha_credit
):
    """500 characters are kept: a longer note was cut without a word (a walk typed 10,000).
    The form says so on the field, keeps the amount and the whole note, and tops up nothing."""
    url = reverse("cloud_account_top_up", args=[alpha_account.pk])
    note = "Nạp cho đợt khuyến mãi. " * 30  # 720 characters
    page = alice_client.post(url, {"amount": "1.500.000", "note": note, "submission_key": "k" * 20})

    html = page.content.decode()
    assert page.status_code == 400 and "at most 500 characters" in html
    assert 'value="1.500.000"' in html and note.strip() in unescape(html)
    assert 'maxlength="500"' not in html
    assert not TopUp.objects.exists()
    assert PartnerCredit.objects.get(partner=alpha).balance == Decimal(10_000_000)
