"""Staff review of a registration: approve, send back, reject; status and stage stay apart."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from deals.models import StageChange
from deals.services import approve_deal, reject_deal, resubmit_deal, send_back_deal
from tests.factories import DealFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def pending(alpha, alice):
    return DealFactory(partner=alpha, created_by=alice)


def test_approve_protects_the_claim_and_records_the_reviewer(pending, staff, settings):
    settings.DEAL_PROTECTION_DAYS = 45

    deal = approve_deal(pending, by=staff, comment="OK")

    pending.refresh_from_db()
    assert (pending.status, pending.stage, pending.reviewed_by) == ("approved", "prospect", staff)
    assert pending.protected_until == timezone.localdate() + timedelta(days=45)
    change = StageChange.objects.get(deal=pending)
    assert (change.from_status, change.to_status, change.note) == ("pending", "approved", "OK")
    assert deal.pk == pending.pk


def test_a_reviewed_registration_cannot_be_reviewed_again(pending, staff):
    approve_deal(pending, by=staff)

    for decide in (
        lambda: approve_deal(pending, by=staff),
        lambda: send_back_deal(pending, by=staff, comment="x"),
        lambda: reject_deal(pending, by=staff, reason="x"),
    ):
        with pytest.raises(ValidationError, match="already reviewed"):
            decide()

    pending.refresh_from_db()
    assert pending.status == "approved"
    assert StageChange.objects.filter(deal=pending).count() == 1


def test_send_back_then_resubmit_then_approve(pending, staff, alice):
    send_back_deal(pending, by=staff, comment="Lower the vServer rate")
    pending.refresh_from_db()
    assert (pending.status, pending.review_comment) == ("action_required", "Lower the vServer rate")

    resubmit_deal(pending, by=alice, note="Lowered")
    approve_deal(pending, by=staff)

    pending.refresh_from_db()
    assert pending.status == "approved"
    statuses = list(
        StageChange.objects.filter(deal=pending)
        .order_by("at", "pk")
        .values_list("to_status", flat=True)
    )
    assert statuses == ["action_required", "pending", "approved"]


@pytest.mark.parametrize("blank", ["", "   "])
def test_send_back_and_reject_need_a_reason(pending, staff, blank):
    with pytest.raises(ValidationError):
        send_back_deal(pending, by=staff, comment=blank)
    with pytest.raises(ValidationError):
        reject_deal(pending, by=staff, reason=blank)
    pending.refresh_from_db()
    assert pending.status == "pending"
    assert StageChange.objects.count() == 0


def test_reject_closes_the_deal_for_good(pending, staff, alice):
    from deals.services import change_stage

    reject_deal(pending, by=staff, reason="Duplicate registration")

    pending.refresh_from_db()
    assert (pending.status, pending.closed_by) == ("rejected", staff)
    assert pending.closed_at is not None
    with pytest.raises(ValidationError, match="already closed"):
        change_stage(pending, "qualified", by=alice)
