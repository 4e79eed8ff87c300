"""The deal services write the activity log in their own transaction: one entry per change,
with the values before and after; a refused change writes none."""

import io
from datetime import timedelta
from decimal import Decimal

import pytest
from celery import shared_task
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.utils import timezone

from deals import services
from deals.models import Deal
from discounts import services as discounts
from notifications.activity import record_activity
from notifications.models import Activity
from tests.deals.conftest import upload
from tests.factories import DealFactory

pytestmark = pytest.mark.django_db


def logged():
    """(action, actor id, partner id, changes, data) of every entry, oldest first."""
    return list(
        Activity.objects.order_by("pk").values_list("action", "actor", "partner", "changes", "data")
    )


@pytest.fixture
def pending(alpha, alice):
    return DealFactory(partner=alpha, created_by=alice)


def test_registration_is_logged(alpha, alice, vserver):
    deal = services.register_deal(
        partner=alpha,
        by=alice,
        customer_tax_code="0312345678",
        customer_name="Sao Mai",
        title="Cloud",
        estimated_value=Decimal("5000000"),
        expected_close_date=timezone.localdate() + timedelta(days=30),
        rates={vserver: Decimal("12.5")},
    )

    entry = Activity.objects.get()
    assert (entry.action, entry.actor, entry.partner, entry.object_id) == (
        "deal.registered",
        alice,
        alpha,
        str(deal.pk),
    )
    assert entry.data == {
        "customer": "Sao Mai (0312345678)",
        "estimated_value": "5000000",
        "rates": {"vServer": "12.5"},
    }


def test_each_review_decision_is_logged_with_the_status_before_and_after(pending, alpha, staff):
    other = DealFactory(partner=alpha, created_by=pending.created_by)
    third = DealFactory(partner=alpha, created_by=pending.created_by)

    services.approve_deal(pending, by=staff, protection_days=30)
    services.send_back_deal(other, by=staff, comment="Lower the rate")
    services.reject_deal(third, by=staff, reason="Duplicate")

    until = (timezone.localdate() + timedelta(days=30)).isoformat()
    assert logged() == [
        (
            "deal.approved",
            staff.pk,
            alpha.pk,
            {"status": ["pending", "approved"], "protected_until": [None, until]},
            {},
        ),
        (
            "deal.sent_back",
            staff.pk,
            alpha.pk,
            {"status": ["pending", "action_required"]},
            {"comment": "Lower the rate"},
        ),
        (
            "deal.rejected",
            staff.pk,
            alpha.pk,
            {"status": ["pending", "rejected"]},
            {"comment": "Duplicate"},
        ),
    ]


def test_a_second_review_is_refused_and_writes_nothing(pending, staff):
    services.approve_deal(pending, by=staff)

    with pytest.raises(ValidationError):
        services.reject_deal(pending, by=staff, reason="Too late")

    assert [entry[0] for entry in logged()] == ["deal.approved"]


def test_a_resubmission_is_logged_with_what_changed(pending, alice, staff, vserver):
    services.send_back_deal(pending, by=staff, comment="Lower the rate")
    rule = pending.discount_rules.get()

    services.resubmit_deal(
        pending, by=alice, title="Cloud, phase 1", rates={rule.product: Decimal("8")}
    )

    entry = Activity.objects.latest("pk")
    assert (entry.action, entry.actor) == ("deal.resubmitted", alice)
    assert entry.changes == {
        "status": ["action_required", "pending"],
        "title": [pending.title, "Cloud, phase 1"],
        f"rate {rule.product.name}": ["10", "8"],
    }


def test_staff_corrections_and_rate_changes_are_logged(alpha_deal, staff, vstorage):
    product = alpha_deal.discount_rules.get().product
    old_value = format(alpha_deal.estimated_value, "f")

    services.correct_deal(alpha_deal, by=staff, changes={"estimated_value": Decimal("7")})
    services.correct_deal(alpha_deal, by=staff, changes={"estimated_value": Decimal("7")})
    services.set_discount_rules(
        alpha_deal, by=staff, rates={product: Decimal("12"), vstorage: Decimal("5")}
    )

    entries = logged()  # the second, equal correction changed nothing: no entry
    assert [entry[0] for entry in entries] == ["deal.corrected", "deal.rates_corrected"]
    assert entries[0][3] == {"estimated_value": [old_value, "7"]}
    assert entries[1][3] == {
        f"rate {product.name}": ["10", "12"],
        "rate vStorage": [None, "5"],
    }


def test_a_stage_change_is_one_entry_with_its_note_and_files(alpha_deal, alice):
    services.change_stage(
        alpha_deal,
        "proposal",
        by=alice,
        note="BOM sent",
        files=[upload("bom.pdf", "pdf")],
        kind="bom",
    )

    assert logged() == [
        (
            "deal.stage_changed",
            alice.pk,
            alpha_deal.partner_id,
            {"stage": ["negotiation", "proposal"]},
            {"note": "BOM sent", "files": ["bom.pdf"]},
        )
    ]


def test_won_and_lost_are_logged_once_each(alpha, alice, alpha_deal):
    other = DealFactory(partner=alpha, created_by=alice, approved=True, stage="proposal")

    services.change_stage(alpha_deal, Deal.Stage.WON, by=alice)
    services.change_stage(other, Deal.Stage.LOST, by=alice, lost_reason="Too expensive")

    assert [(entry[0], entry[3]) for entry in logged()] == [
        ("deal.won", {"stage": ["negotiation", "won"]}),
        ("deal.lost", {"stage": ["proposal", "lost"]}),
    ]
    assert logged()[1][4] == {"reason": "Too expensive"}


def test_a_refused_stage_change_writes_nothing(alpha_deal, alice):
    with pytest.raises(ValidationError):
        services.change_stage(alpha_deal, "negotiation", by=alice)

    assert Activity.objects.count() == 0


def test_a_void_is_one_entry(alpha_deal, alice, staff):
    services.change_stage(alpha_deal, Deal.Stage.WON, by=alice)

    services.void_win(alpha_deal, by=staff, reason="Won by mistake")

    entry = Activity.objects.latest("pk")
    assert (entry.action, entry.actor, entry.data) == (
        "deal.win_voided",
        staff,
        {"reason": "Won by mistake", "discount_revoked": True},
    )
    assert Activity.objects.filter(action="discount.revoked").count() == 0


def test_protection_extended_is_logged_with_both_dates(alpha_deal, staff):
    before = alpha_deal.protected_until
    until = before + timedelta(days=30)

    services.extend_protection(alpha_deal, by=staff, until=until)

    assert logged() == [
        (
            "deal.protection_extended",
            staff.pk,
            alpha_deal.partner_id,
            {"protected_until": [before.isoformat(), until.isoformat()]},
            {},
        )
    ]


def test_notes_and_attachments_added_are_logged(alpha_deal, alice):
    services.post_note(alpha_deal, by=alice, text="Met the CTO")
    services.post_attachments(alpha_deal, by=alice, files=[upload("quote.pdf", "pdf")])

    assert [(entry[0], entry[4]) for entry in logged()] == [
        ("deal.note_added", {"text": "Met the CTO"}),
        ("deal.attachments_added", {"files": ["quote.pdf"]}),
    ]


def test_revoking_a_discount_is_logged(alpha_deal, alice, staff):
    services.change_stage(alpha_deal, Deal.Stage.WON, by=alice)

    discounts.revoke_discount(alpha_deal.discount, by=staff, reason="Fraud")

    entry = Activity.objects.latest("pk")
    assert (entry.action, entry.changes, entry.data) == (
        "discount.revoked",
        {"status": ["active", "revoked"]},
        {"reason": "Fraud", "customer_discounts_revoked": 0},
    )


def test_customer_discounts_created_and_revoked_are_logged(alpha_deal, alice):
    services.change_stage(alpha_deal, Deal.Stage.WON, by=alice)
    discount = alpha_deal.discount
    line = discount.lines.get()

    given = discounts.create_customer_discount(
        discount,
        by=alice,
        customer=alpha_deal.customer,
        rates={line.product: Decimal("5")},
        valid_from=discount.valid_from,
        valid_until=discount.valid_until,
    )
    discounts.revoke_customer_discount(given, by=alice)

    created, revoked = Activity.objects.order_by("pk")[1:]
    assert (created.action, created.data["rates"]) == (
        "customer_discount.created",
        {line.product.name: "5"},
    )
    assert (revoked.action, revoked.changes) == (
        "customer_discount.revoked",
        {"status": ["active", "revoked"]},
    )


@shared_task
def _log_from_a_task():
    record_activity(action="test.task")


def test_a_task_logs_as_the_worker():
    _log_from_a_task.apply(task_id="task-1")

    assert Activity.objects.values_list("via", "request_id").get() == ("worker", "task-1")


def test_a_command_logs_as_a_command():
    call_command("seed_demo", stdout=io.StringIO())

    vias = set(Activity.objects.values_list("via", flat=True))
    assert vias == {"command"}
    assert Activity.objects.filter(action="deal.won").exists()
    assert Activity.objects.filter(action="contract.created").count() == 2
