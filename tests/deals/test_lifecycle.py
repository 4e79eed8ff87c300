"""The deal lifecycle on the event backbone: protection clock, tax-code-root conflicts,
winning on an expired claim, voiding a win, and the staff "possible duplicates" view."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.utils import timezone

from deals.models import Deal, StageChange
from deals.selectors import with_conflict_flag
from deals.services import (
    change_stage,
    extend_protection,
    has_conflicting_claim,
    protection_reminders,
    void_win,
)
from discounts.models import CustomerDiscount, Discount
from discounts.services import create_customer_discount
from notifications.models import Event, Kind
from partners.models import Customer, CustomerOwnership
from tests.factories import CustomerFactory, DealFactory

pytestmark = pytest.mark.django_db


def kinds(**filters):
    return sorted(Event.objects.filter(**filters).values_list("kind", flat=True))


# --- protection clock ---------------------------------------------------------------------------


def test_protection_expiring_once_per_deal_and_date_and_rearmed_by_a_new_date(
    alpha_deal, staff, settings
):
    settings.PROTECTION_REMINDER_DAYS = 14
    until = alpha_deal.protected_until
    too_early = until - timedelta(days=15)

    assert protection_reminders(today=too_early) == {"expiring": 0, "expired": 0}
    assert protection_reminders(today=until - timedelta(days=14)) == {"expiring": 1, "expired": 0}
    assert protection_reminders(today=until - timedelta(days=3)) == {"expiring": 0, "expired": 0}
    assert kinds(deal=alpha_deal) == [Kind.PROTECTION_EXPIRING]

    extend_protection(alpha_deal, by=staff, until=until + timedelta(days=30))
    assert protection_reminders(today=until - timedelta(days=3)) == {"expiring": 0, "expired": 0}
    assert protection_reminders(today=until + timedelta(days=20)) == {"expiring": 1, "expired": 0}
    event = Event.objects.filter(kind=Kind.PROTECTION_EXPIRING).order_by("pk").last()
    assert event.params == {"date": (until + timedelta(days=30)).isoformat()}


def test_protection_expired_once_after_the_date_passes(alpha_deal):
    until = alpha_deal.protected_until

    assert protection_reminders(today=until)["expired"] == 0
    assert protection_reminders(today=until + timedelta(days=1))["expired"] == 1
    assert protection_reminders(today=until + timedelta(days=2))["expired"] == 0
    assert kinds(kind=Kind.PROTECTION_EXPIRED) == [Kind.PROTECTION_EXPIRED]
    assert Event.objects.get(kind=Kind.PROTECTION_EXPIRED).partner_id == alpha_deal.partner_id


def test_protection_job_ignores_closed_and_unapproved_deals(alpha, alice, alpha_deal):
    change_stage(alpha_deal, "won", by=alice)
    DealFactory(partner=alpha, created_by=alice)  # pending: not protected

    today = timezone.localdate() + timedelta(days=85)
    assert protection_reminders(today=today) == {"expiring": 0, "expired": 0}


# --- conflicts by tax-code root -----------------------------------------------------------------


@pytest.fixture
def head_office_claim(alpha, alice):
    """Alpha's approved, protected claim on the head office 0312345678."""
    head_office = CustomerFactory(tax_code="0312345678", name="Công ty Sao Mai")
    return DealFactory(partner=alpha, created_by=alice, approved=True, customer=head_office)


def test_a_branch_and_its_head_office_conflict(head_office_claim, beta, bob):
    branch = CustomerFactory(tax_code="0312345678-001", name="Sao Mai - Chi nhánh HCM")
    other = CustomerFactory(tax_code="0312345679", name="Khác")
    on_branch = DealFactory(partner=beta, created_by=bob, customer=branch)
    on_other = DealFactory(partner=beta, created_by=bob, customer=other)
    on_head = DealFactory(partner=beta, created_by=bob, customer=head_office_claim.customer)

    assert has_conflicting_claim(on_branch) is True
    assert has_conflicting_claim(on_head) is True
    assert has_conflicting_claim(on_other) is False
    flags = dict(
        with_conflict_flag(Deal.objects.filter(partner=beta)).values_list("pk", "has_conflict")
    )
    assert flags == {on_branch.pk: True, on_other.pk: False, on_head.pk: True}


def test_branch_claim_conflicts_with_a_deal_on_another_branch(alpha, alice, beta, bob):
    first = CustomerFactory(tax_code="0312345678-001")
    second = CustomerFactory(tax_code="0312345678-002")
    DealFactory(partner=alpha, created_by=alice, approved=True, customer=first)

    assert has_conflicting_claim(DealFactory(partner=beta, created_by=bob, customer=second))


# --- winning on an expired claim ----------------------------------------------------------------


def test_win_on_an_expired_claim_is_refused_while_another_partner_is_protected(
    head_office_claim, beta, bob, alpha
):
    branch = CustomerFactory(tax_code="0312345678-001")
    expired = DealFactory(
        partner=beta, created_by=bob, approved=True, stage="negotiation", customer=branch
    )
    Deal.objects.filter(pk=expired.pk).update(
        protected_until=timezone.localdate() - timedelta(days=1)
    )

    with pytest.raises(ValidationError) as refusal:
        change_stage(expired, "won", by=bob)

    message = " ".join(refusal.value.messages)
    assert "another partner" in message
    assert alpha.name not in message and head_office_claim.title not in message
    expired.refresh_from_db()
    assert (expired.stage, expired.closed_at) == ("negotiation", None)
    assert Discount.objects.count() == 0
    assert CustomerOwnership.objects.count() == 0
    assert StageChange.objects.filter(deal=expired).count() == 0
    conflict = Event.objects.get()
    assert (conflict.kind, conflict.deal_id, conflict.params) == (
        Kind.CONFLICT_FLAGGED,
        expired.pk,
        {"on": "win"},
    )


def test_an_expired_claim_without_competition_may_still_be_won(alpha_deal, alice):
    Deal.objects.filter(pk=alpha_deal.pk).update(
        protected_until=timezone.localdate() - timedelta(days=5)
    )

    change_stage(alpha_deal, "won", by=alice)

    assert alpha_deal.stage == "won"


def test_a_protected_claim_may_be_won_even_if_another_partner_is_protected(
    head_office_claim, beta, bob
):
    mine = DealFactory(
        partner=beta, created_by=bob, approved=True, customer=head_office_claim.customer
    )
    change_stage(mine, "won", by=bob)
    assert mine.stage == "won"


# --- void win -------------------------------------------------------------------------------------


@pytest.fixture
def taken_over(alpha_deal, alice, beta, bob, vserver):
    """Alpha won the customer and gave it a customer discount; then Beta won it from Alpha."""
    change_stage(alpha_deal, "won", by=alice)
    today = timezone.localdate()
    beta_deal = DealFactory(
        partner=beta,
        created_by=bob,
        approved=True,
        stage="proposal",
        customer=alpha_deal.customer,
        rates={vserver: Decimal("9")},
    )
    change_stage(beta_deal, "won", by=bob)
    create_customer_discount(
        beta_deal.discount,
        by=bob,
        customer=beta_deal.customer,
        rates={vserver.pk: Decimal("5")},
        valid_from=today,
        valid_until=today + timedelta(days=10),
    )
    return beta_deal


def test_void_win_restores_the_previous_owner_and_revokes_everything(
    taken_over, alpha, beta, bob, staff
):
    Event.objects.all().delete()
    assert Customer.objects.get(pk=taken_over.customer_id).owner == beta

    void_win(taken_over, by=staff, reason="Alpha's claim was first")

    taken_over.refresh_from_db()
    assert (taken_over.stage, taken_over.closed_at is not None) == ("won", True)
    assert taken_over.win_voided_by == staff
    assert taken_over.win_void_reason == "Alpha's claim was first"
    assert taken_over.discount.status == "revoked"
    assert taken_over.discount.revoke_reason == "Alpha's claim was first"
    assert list(
        CustomerDiscount.objects.filter(discount=taken_over.discount).values_list(
            "status", flat=True
        )
    ) == ["revoked"]
    active = CustomerOwnership.objects.get(customer=taken_over.customer, ended_at__isnull=True)
    assert active.partner == alpha
    # The Customers list reads the owner from the customer row: it follows the ownership.
    assert Customer.objects.get(pk=taken_over.customer_id).owner == alpha
    assert CustomerOwnership.objects.filter(customer=taken_over.customer).count() == 3
    entry = StageChange.objects.filter(deal=taken_over).first()
    assert (entry.by, entry.note) == (staff, "Alpha's claim was first")
    assert entry.system_note == "Win voided by VNG Cloud; the discount was revoked."
    assert kinds() == [Kind.WIN_VOIDED]
    assert Event.objects.get().partner == beta


def test_void_win_without_a_previous_owner_leaves_the_customer_unowned(alpha_deal, alice, staff):
    change_stage(alpha_deal, "won", by=alice)

    assert Customer.objects.get(pk=alpha_deal.customer_id).owner == alpha_deal.partner

    void_win(alpha_deal, by=staff, reason="Won by mistake")

    assert not CustomerOwnership.objects.filter(ended_at__isnull=True).exists()
    assert Customer.objects.get(pk=alpha_deal.customer_id).owner is None
    assert alpha_deal.win_voided_at is not None


def test_void_win_is_refused_twice_for_open_deals_and_for_non_staff(
    alpha_deal, beta_deal, alice, staff
):
    change_stage(alpha_deal, "won", by=alice)
    with pytest.raises(PermissionDenied):
        void_win(alpha_deal, by=alice, reason="x")
    with pytest.raises(ValidationError):
        void_win(alpha_deal, by=staff, reason="  ")
    with pytest.raises(ValidationError):
        void_win(beta_deal, by=staff, reason="Not won")
    void_win(alpha_deal, by=staff, reason="Won by mistake")
    with pytest.raises(ValidationError):
        void_win(alpha_deal, by=staff, reason="Again")

    assert StageChange.objects.filter(deal=alpha_deal, system_code="win_voided").count() == 1


def test_voided_deal_shows_won_voided_to_the_partner(alpha_deal, alice, staff, alice_client):
    change_stage(alpha_deal, "won", by=alice)
    void_win(alpha_deal, by=staff, reason="Won by mistake")

    page = alice_client.get(f"/deals/{alpha_deal.pk}/").content.decode()

    assert "Won, voided" in page
    assert "Won by mistake" in page
    assert "Won, voided" in alice_client.get("/deals/").content.decode()


def test_admin_void_win_page(client, staff, alpha_deal, alice):
    change_stage(alpha_deal, "won", by=alice)
    client.force_login(staff)
    url = f"/admin/deals/deal/{alpha_deal.pk}/void-win/"
    assert "Void win" in client.get(f"/admin/deals/deal/{alpha_deal.pk}/change/").content.decode()

    refused = client.post(url, {"reason": ""})
    assert refused.status_code == 200
    response = client.post(url, {"reason": "Duplicate of another partner's deal"})

    assert response.status_code == 302
    alpha_deal.refresh_from_db()
    assert alpha_deal.win_void_reason == "Duplicate of another partner's deal"


def test_admin_list_action_sends_one_deal_to_the_void_page(client, staff, alpha_deal, alice):
    change_stage(alpha_deal, "won", by=alice)
    client.force_login(staff)
    response = client.post(
        "/admin/deals/deal/",
        {"action": "void_win_of_selected", "_selected_action": [alpha_deal.pk]},
    )
    assert response.status_code == 302
    assert response.url == f"/admin/deals/deal/{alpha_deal.pk}/void-win/"


# --- possible duplicates ---------------------------------------------------------------------------


def test_possible_duplicates_view_groups_by_root_and_similar_names(
    client, staff, alpha, beta, alice, bob
):
    head = CustomerFactory(tax_code="0312345678", name="Công ty Sao Mai")
    branch = CustomerFactory(tax_code="0312345678-001", name="Sao Mai HCM")
    similar_a = CustomerFactory(tax_code="0400000001", name="Công ty Cổ phần Ánh Dương")
    similar_b = CustomerFactory(tax_code="0400000002", name="Công ty Cổ phần Ánh Dương Việt")
    lonely = CustomerFactory(tax_code="0500000001", name="Hoàn toàn khác biệt")
    DealFactory(partner=alpha, created_by=alice, customer=head, title="Alpha on head office")
    DealFactory(partner=beta, created_by=bob, customer=branch, title="Beta on branch")
    client.force_login(staff)

    page = client.get("/admin/deals/deal/duplicates/").content.decode()

    assert "Same tax-code root 0312345678" in page
    assert "Alpha on head office" in page and "Beta on branch" in page
    assert "Similar names" in page
    assert similar_a.name in page and similar_b.name in page
    assert lonely.name not in page
    assert "Possible duplicates" in client.get("/admin/deals/deal/").content.decode()


def test_possible_duplicates_come_a_page_of_the_newest_customers_at_a_time(
    client, staff, monkeypatch
):
    """Each page compares its newest customers with every customer (all pairs at once timed
    out at 250,000 customers); "Older customers" goes on from the last one compared."""
    from deals import selectors

    monkeypatch.setattr(selectors, "DUPLICATE_SCAN", 2)
    older_a = CustomerFactory(tax_code="0600000001", name="Công ty Bình Minh")
    older_b = CustomerFactory(tax_code="0600000002", name="Công ty Bình Minh Xanh")
    second = CustomerFactory(tax_code="0700000001", name="Ngân hàng Rồng Vàng")
    CustomerFactory(tax_code="0800000001", name="Xưởng gỗ Tây Nguyên")  # the newest
    client.force_login(staff)

    newest = client.get("/admin/deals/deal/duplicates/")
    older = client.get(f"/admin/deals/deal/duplicates/?before={second.pk}")

    assert newest.context["groups"] == [] and newest.context["older"] == second.pk
    assert f'href="?before={second.pk}"' in newest.content.decode()
    assert [[c.pk for c in g["customers"]] for g in older.context["groups"]] == [
        [older_b.pk, older_a.pk]
    ]
    assert older.context["older"] == older_a.pk
    assert client.get("/admin/deals/deal/duplicates/?before=abc").status_code == 200
    assert client.get("/admin/deals/deal/duplicates/?before=" + "9" * 5000).status_code == 200
    if connection.vendor == "postgresql":  # the settings the comparison needed are put back
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_setting('enable_seqscan')")
            assert cursor.fetchone() == ("on",)


# --- staff corrections in the partner's timeline ----------------------------------------------------


def test_staff_corrections_appear_in_the_partners_timeline_with_who_and_when(
    alpha_deal, staff, alice_client, vserver, vstorage
):
    from deals.services import correct_deal, set_discount_rules

    old_title = alpha_deal.title
    new_date = alpha_deal.expected_close_date + timedelta(days=10)
    correct_deal(
        alpha_deal,
        by=staff,
        changes={
            "title": "Cloud migration phase 2",
            "estimated_value": Decimal("250000000"),
            "expected_close_date": new_date,
            "description": alpha_deal.description,  # unchanged: not listed
        },
    )
    set_discount_rules(alpha_deal, by=staff, rates={vserver: Decimal("12"), vstorage: Decimal("5")})
    set_discount_rules(alpha_deal, by=staff, rates={vserver: Decimal("12"), vstorage: Decimal("5")})

    entries = list(StageChange.objects.filter(deal=alpha_deal, system_code="corrected"))
    assert [entry.by for entry in entries] == [staff, staff]
    rates, fields = entries  # newest first
    assert fields.system_params["changes"] == [
        {"field": "title", "from": old_title, "to": "Cloud migration phase 2"},
        {"field": "estimated_value", "from": "100000000", "to": "250000000"},
        {
            "field": "expected_close_date",
            "from": (new_date - timedelta(days=10)).isoformat(),
            "to": new_date.isoformat(),
        },
    ]
    assert rates.system_note == ("Corrected by VNG Cloud: vServer: 10% → 12%; vStorage: — → 5%.")
    page = alice_client.get(f"/deals/{alpha_deal.pk}/").content.decode()
    assert f"title: {old_title} → Cloud migration phase 2" in page
    assert "vServer: 10% → 12%" in page
    assert "estimated value (VND): 100,000,000 → 250,000,000" in page  # grouped, as shown
    assert str(staff) in page


def test_admin_save_without_a_change_writes_no_correction(client, staff, alpha_deal):
    from deals.services import correct_deal

    correct_deal(alpha_deal, by=staff, changes={"title": alpha_deal.title})

    assert not StageChange.objects.filter(deal=alpha_deal, system_code="corrected").exists()
