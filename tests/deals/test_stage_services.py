"""The stage machine: every rule of deals.services.change_stage, asserted on the database."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from deals.models import Attachment, Deal, Note, StageChange
from deals.services import allowed_stages, change_stage
from discounts.models import Discount, DiscountLine
from partners.models import CustomerOwnership
from tests.factories import PDF, DealFactory, ProductFactory

pytestmark = pytest.mark.django_db


def pdf(name="bom.pdf"):
    return SimpleUploadedFile(name, PDF, "application/pdf")


def test_change_stage_moves_forward_and_back_with_history(alpha_deal, alice):
    change_stage(alpha_deal, "proposal", by=alice, note="Sent the quote")
    change_stage(alpha_deal, "negotiation", by=alice)

    alpha_deal.refresh_from_db()
    assert alpha_deal.stage == "negotiation"
    assert alpha_deal.probability == 75
    assert alpha_deal.closed_at is None
    history = list(StageChange.objects.filter(deal=alpha_deal).order_by("at", "pk"))
    assert [(c.from_stage, c.to_stage) for c in history] == [
        ("negotiation", "proposal"),
        ("proposal", "negotiation"),
    ]
    assert history[0].by == alice
    assert history[0].note == "Sent the quote"
    assert list(Note.objects.filter(deal=alpha_deal).values_list("text", flat=True)) == [
        "Sent the quote"
    ]


def test_change_stage_won_issues_one_discount_with_the_rules(alpha, alice):
    vserver = ProductFactory(code="vserver", name="vServer")
    vstorage = ProductFactory(code="vstorage", name="vStorage")
    deal = DealFactory(
        partner=alpha,
        created_by=alice,
        approved=True,
        stage="negotiation",
        rates={vserver: Decimal("12.50"), vstorage: Decimal("8")},
    )

    change = change_stage(deal, "won", by=alice)

    deal.refresh_from_db()
    assert (deal.stage, deal.probability, deal.closed_by) == ("won", 100, alice)
    assert deal.closed_at is not None
    assert change.to_stage == "won"
    discount = Discount.objects.get(deal=deal)
    assert discount.partner == alpha
    assert discount.customer == deal.customer
    today = timezone.localdate()
    contract = alpha.contract_on(today)
    assert discount.valid_from == today
    assert discount.valid_until == today + timedelta(days=contract.discount_validity_days - 1)
    lines = {
        (line.product.code, line.rate) for line in DiscountLine.objects.filter(discount=discount)
    }
    assert lines == {("vserver", Decimal("12.50")), ("vstorage", Decimal("8.00"))}


def test_change_stage_won_makes_the_customer_the_partners(alpha_deal, alice):
    change_stage(alpha_deal, "won", by=alice)

    ownership = CustomerOwnership.objects.get(customer=alpha_deal.customer)
    assert (ownership.partner, ownership.deal, ownership.ended_at) == (
        alpha_deal.partner,
        alpha_deal,
        None,
    )


def test_change_stage_won_ends_another_partners_ownership_and_keeps_it(
    alpha_deal, beta, bob, alice
):
    earlier = DealFactory(partner=beta, customer=alpha_deal.customer, created_by=bob, approved=True)
    change_stage(earlier, "won", by=bob)

    change_stage(alpha_deal, "won", by=alice)

    links = CustomerOwnership.objects.filter(customer=alpha_deal.customer).order_by("started_at")
    assert [(link.partner_id, link.ended_at is None) for link in links] == [
        (beta.pk, False),
        (alpha_deal.partner_id, True),
    ]


def test_change_stage_lost_needs_a_reason_and_issues_no_discount(alpha_deal, alice):
    with pytest.raises(ValidationError) as exc:
        change_stage(alpha_deal, "lost", by=alice)
    assert "lost_reason" in exc.value.error_dict
    alpha_deal.refresh_from_db()
    assert alpha_deal.stage == "negotiation"

    change_stage(alpha_deal, "lost", by=alice, lost_reason_code="price", lost_reason="Too dear")

    alpha_deal.refresh_from_db()
    assert (alpha_deal.stage, alpha_deal.lost_reason_code, alpha_deal.lost_reason) == (
        "lost",
        "price",
        "Too dear",
    )
    assert alpha_deal.closed_at is not None
    assert Discount.objects.filter(deal=alpha_deal).count() == 0
    assert CustomerOwnership.objects.count() == 0


@pytest.mark.parametrize("closing", ["won", "lost"])
@pytest.mark.parametrize("then", ["prospect", "negotiation", "won", "lost"])
def test_change_stage_refuses_any_change_of_a_closed_deal(alpha_deal, alice, closing, then):
    change_stage(alpha_deal, closing, by=alice, lost_reason="No budget")
    before = StageChange.objects.count(), Discount.objects.count()

    with pytest.raises(ValidationError, match="already closed"):
        change_stage(alpha_deal, then, by=alice, lost_reason="x")

    alpha_deal.refresh_from_db()
    assert alpha_deal.stage == closing
    assert (StageChange.objects.count(), Discount.objects.count()) == before


@pytest.mark.parametrize("status", ["pending", "action_required", "rejected"])
def test_change_stage_refuses_a_deal_that_is_not_approved(alpha, alice, status):
    deal = DealFactory(partner=alpha, created_by=alice, status=status)

    with pytest.raises(ValidationError, match="Only an approved deal"):
        change_stage(deal, "qualified", by=alice)

    deal.refresh_from_db()
    assert deal.stage == "prospect"
    assert StageChange.objects.filter(deal=deal).count() == 0


def test_change_stage_refuses_an_unknown_stage(alpha_deal, alice):
    with pytest.raises(ValidationError) as exc:
        change_stage(alpha_deal, "celebrating", by=alice)
    assert "stage" in exc.value.error_dict
    alpha_deal.refresh_from_db()
    assert alpha_deal.stage == "negotiation"


def test_change_stage_refuses_the_same_stage(alpha_deal, alice):
    with pytest.raises(ValidationError, match="already in"):
        change_stage(alpha_deal, "negotiation", by=alice)
    assert StageChange.objects.filter(deal=alpha_deal).count() == 0


def test_change_stage_refuses_a_user_of_another_partner(alpha_deal, bob):
    with pytest.raises(PermissionDenied, match="your own organisation"):
        change_stage(alpha_deal, "won", by=bob)
    alpha_deal.refresh_from_db()
    assert alpha_deal.stage == "negotiation"
    assert Discount.objects.count() == 0


def test_change_stage_by_staff_is_recorded_as_staff(alpha_deal, staff):
    change = change_stage(alpha_deal, "won", by=staff)
    assert change.by == staff
    alpha_deal.refresh_from_db()
    assert alpha_deal.closed_by == staff


def test_change_stage_won_without_a_valid_contract_changes_nothing(alpha_deal, alice):
    alpha_deal.partner.contracts.update(end_date=timezone.localdate() - timedelta(days=1))

    with pytest.raises(ValidationError, match="no contract"):
        change_stage(alpha_deal, "won", by=alice, note="Signed!", files=[pdf()])

    alpha_deal.refresh_from_db()
    assert (alpha_deal.stage, alpha_deal.closed_at) == ("negotiation", None)
    assert Discount.objects.count() == 0
    assert StageChange.objects.filter(deal=alpha_deal).count() == 0
    assert Note.objects.filter(deal=alpha_deal).count() == 0
    assert Attachment.objects.count() == 0


def test_change_stage_won_with_a_rate_above_the_contract_is_refused(alpha, alice):
    product = ProductFactory(code="cdn", name="CDN")
    deal = DealFactory(
        partner=alpha, created_by=alice, approved=True, rates={product: Decimal("35")}
    )

    with pytest.raises(ValidationError, match="At most .* under contract"):
        change_stage(deal, "won", by=alice)

    deal.refresh_from_db()
    assert deal.stage == "prospect"
    assert Discount.objects.count() == 0


def test_change_stage_saves_note_and_files_with_the_change(alpha_deal, alice, settings):
    change_stage(
        alpha_deal, "won", by=alice, note="PO received", files=[pdf("BOM.pdf")], kind="bom"
    )

    attachment = Attachment.objects.get(deal=alpha_deal)
    assert (attachment.original_name, attachment.kind, attachment.uploaded_by) == (
        "BOM.pdf",
        "bom",
        alice,
    )
    assert attachment.file.storage.exists(attachment.file.name)
    assert Note.objects.get(deal=alpha_deal).text == "PO received"


def test_change_stage_failure_leaves_no_file_in_storage(alpha_deal, alice, settings, tmp_path):
    alpha_deal.partner.contracts.all().delete()
    media = tmp_path / "media"

    with pytest.raises(ValidationError):
        change_stage(alpha_deal, "won", by=alice, files=[pdf()])

    stored = [p for p in media.rglob("*") if p.is_file()] if media.exists() else []
    assert stored == []
    assert Attachment.objects.count() == 0


def test_change_stage_refused_file_saves_nothing(alpha_deal, alice):
    html = SimpleUploadedFile(
        "bom.pdf", b"<html><script>alert(1)</script></html>", "application/pdf"
    )

    with pytest.raises(ValidationError):
        change_stage(alpha_deal, "won", by=alice, files=[pdf(), html])

    alpha_deal.refresh_from_db()
    assert alpha_deal.stage == "negotiation"
    assert (Attachment.objects.count(), Discount.objects.count()) == (0, 0)


def test_change_stage_closing_mails_partner_admins_and_staff_after_commit(
    alpha_deal, alice, sam, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        change_stage(alpha_deal, "won", by=sam)

    # One e-mail per recipient: the partner's admin (also the creator) and the staff address;
    # "discount issued" goes with the win and is in-app only by default.
    assert sorted(m.to[0] for m in mail.outbox) == ["alice@alpha.test", "sales-ops@vngcloud.test"]
    assert all(alpha_deal.title in m.body for m in mail.outbox)
    # Without a language preference, e-mails use the portal's language (Vietnamese).
    assert all("Cơ hội thắng" in m.subject for m in mail.outbox)


def test_change_stage_open_move_sends_no_mail(
    alpha_deal, alice, django_capture_on_commit_callbacks
):
    # An open move is in-app only by default (the bell), not an e-mail.
    with django_capture_on_commit_callbacks(execute=True):
        change_stage(alpha_deal, "proposal", by=alice)
    assert mail.outbox == []


def test_change_stage_failed_close_sends_no_mail(
    alpha_deal, alice, django_capture_on_commit_callbacks
):
    alpha_deal.partner.contracts.all().delete()
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(ValidationError):
        change_stage(alpha_deal, "won", by=alice)
    assert mail.outbox == []


def test_allowed_stages_follow_the_rules(alpha, alice):
    pending = DealFactory(partner=alpha, created_by=alice)
    open_deal = DealFactory(partner=alpha, created_by=alice, approved=True, stage="qualified")

    assert allowed_stages(pending) == []
    assert allowed_stages(open_deal) == ["prospect", "proposal", "negotiation", "won", "lost"]
    change_stage(open_deal, "lost", by=alice, lost_reason="x")
    assert allowed_stages(open_deal) == []


def test_deal_database_refuses_a_closing_stage_without_closed_at(alpha_deal):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        Deal.objects.filter(pk=alpha_deal.pk).update(stage="won")


def test_change_stage_won_without_discount_rules_is_refused(alpha_deal, alice):
    alpha_deal.discount_rules.all().delete()

    with pytest.raises(ValidationError, match="no registered discount"):
        change_stage(alpha_deal, "won", by=alice)

    alpha_deal.refresh_from_db()
    assert alpha_deal.stage == "negotiation"
    assert Discount.objects.count() == 0


def test_change_stage_won_ends_the_previous_owners_customer_discounts(alpha_deal, alice, beta, bob):
    from discounts.models import CustomerDiscount
    from discounts.services import create_customer_discount

    change_stage(alpha_deal, "won", by=alice)
    discount = Discount.objects.get(deal=alpha_deal)
    given = create_customer_discount(
        discount,
        by=alice,
        customer=alpha_deal.customer,
        rates={line.product: line.rate for line in discount.lines.all()},
        valid_from=discount.valid_from,
        valid_until=discount.valid_until,
    )
    beta_deal = DealFactory(
        partner=beta, customer=alpha_deal.customer, created_by=bob, approved=True
    )

    change_stage(beta_deal, "won", by=bob)

    given.refresh_from_db()
    assert (given.status, given.revoked_by) == ("revoked", None)
    assert given.revoked_at is not None
    assert CustomerDiscount.objects.filter(status="active").count() == 0
