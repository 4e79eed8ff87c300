"""Working the review queue: take, give back, and decide many through the review services."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from deals.models import Deal, StageChange
from deals.services import (
    act_on_many,
    approve_deal,
    release_review,
    take_for_review,
)
from notifications.models import Activity, Event, Kind
from tests.factories import DealFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def second_reviewer(db):
    return UserFactory(email="lan@vngcloud.test", first_name="Lan", last_name="Trần", is_staff=True)


@pytest.fixture
def waiting(alpha, alice):
    return [DealFactory(partner=alpha, created_by=alice, title=f"Waiting {i}") for i in range(3)]


def state(deal):
    """What a refusal must leave exactly as it was."""
    deal.refresh_from_db()
    return (
        deal.status,
        deal.review_taken_by_id,
        deal.review_taken_at,
        deal.reviewed_at,
        deal.review_comment,
        deal.updated_at,
        StageChange.objects.filter(deal=deal).count(),
        Event.objects.filter(deal=deal).count(),
    )


def test_take_for_review_sets_the_reviewer_and_logs_it(waiting, staff):
    deal = waiting[0]
    updated_at = Deal.objects.get(pk=deal.pk).updated_at

    take_for_review(deal, by=staff)

    deal.refresh_from_db()
    assert deal.review_taken_by == staff
    assert deal.review_taken_at is not None
    assert deal.updated_at == updated_at  # the partner's deal did not change
    entry = Activity.objects.get(action="review.taken")
    assert (entry.actor, entry.object_id, entry.changes) == (
        staff,
        str(deal.pk),
        {"taken_by": [None, str(staff)]},
    )


def test_taking_a_registration_another_reviewer_has_is_refused_unless_taken_over(
    waiting, staff, second_reviewer
):
    deal = waiting[0]
    take_for_review(deal, by=second_reviewer)
    before = state(deal)

    with pytest.raises(ValidationError) as refused:
        take_for_review(deal, by=staff)

    assert refused.value.code == "taken"
    assert "Trần Lan has taken this registration" in refused.value.messages[0]
    assert state(deal) == before

    take_for_review(deal, by=staff, take_over=True)

    deal.refresh_from_db()
    assert deal.review_taken_by == staff
    assert Activity.objects.filter(action="review.taken").count() == 2


def test_taking_ones_own_again_changes_nothing(waiting, staff):
    take_for_review(waiting[0], by=staff)
    before = state(waiting[0])

    take_for_review(waiting[0], by=staff)

    assert state(waiting[0]) == before
    assert Activity.objects.filter(action="review.taken").count() == 1


def test_a_reviewed_registration_cannot_be_taken(waiting, staff):
    approve_deal(waiting[0], by=staff)
    before = state(waiting[0])

    with pytest.raises(ValidationError) as refused:
        take_for_review(waiting[0], by=staff)

    assert refused.value.code == "not_pending"
    assert state(waiting[0]) == before


def test_only_staff_take_registrations(waiting, alice):
    before = state(waiting[0])

    with pytest.raises(PermissionDenied):
        take_for_review(waiting[0], by=alice)

    assert state(waiting[0]) == before


def test_release_gives_back_only_ones_own(waiting, staff, second_reviewer):
    take_for_review(waiting[0], by=second_reviewer)
    before = state(waiting[0])

    with pytest.raises(ValidationError):
        release_review(waiting[0], by=staff)
    assert state(waiting[0]) == before

    release_review(waiting[0], by=second_reviewer)

    waiting[0].refresh_from_db()
    assert (waiting[0].review_taken_by, waiting[0].review_taken_at) == (None, None)
    assert Activity.objects.filter(action="review.released").count() == 1


def test_approve_many_goes_through_the_review_service(waiting, staff):
    outcome = act_on_many(waiting[:2], "approve", by=staff, reason="Đã kiểm tra.")

    assert outcome.clean and [deal.pk for deal in outcome.done] == [d.pk for d in waiting[:2]]
    for deal in waiting[:2]:
        deal.refresh_from_db()
        assert deal.status == Deal.Status.APPROVED
        assert deal.reviewed_by == staff
        assert deal.protected_until is not None
        assert deal.review_comment == "Đã kiểm tra."
        assert Event.objects.filter(deal=deal, kind=Kind.DEAL_APPROVED).count() == 1
        assert StageChange.objects.filter(deal=deal, to_status="approved").count() == 1
    waiting[2].refresh_from_db()
    assert waiting[2].status == Deal.Status.PENDING


def test_send_back_many_without_a_reason_changes_nothing(waiting, staff):
    before = [state(deal) for deal in waiting]

    outcome = act_on_many(waiting, "send_back", by=staff, reason="  ")

    assert outcome.reason_error == "Say what the partner should change."
    assert outcome.done == []
    assert [state(deal) for deal in waiting] == before


def test_reject_many_refuses_one_already_reviewed_and_rejects_the_rest(waiting, staff):
    approve_deal(waiting[1], by=staff)
    before = state(waiting[1])

    outcome = act_on_many(waiting, "reject", by=staff, reason="Trùng khách hàng.")

    assert [deal.pk for deal in outcome.done] == [waiting[0].pk, waiting[2].pk]
    assert list(outcome.refused) == [waiting[1].pk]
    assert "already reviewed" in outcome.refused[waiting[1].pk][1]
    assert state(waiting[1]) == before
    for deal in (waiting[0], waiting[2]):
        deal.refresh_from_db()
        assert (deal.status, deal.closed_by, deal.review_comment) == (
            Deal.Status.REJECTED,
            staff,
            "Trùng khách hàng.",
        )


def test_a_decision_on_a_registration_another_reviewer_has_needs_a_take_over(
    waiting, staff, second_reviewer
):
    deal = waiting[0]
    take_for_review(deal, by=second_reviewer)
    before = state(deal)

    outcome = act_on_many([deal], "approve", by=staff)

    assert outcome.done == [] and "Take it over" in outcome.refused[deal.pk][1]
    assert state(deal) == before

    outcome = act_on_many([deal], "approve", by=staff, take_over=True)

    deal.refresh_from_db()
    assert outcome.clean
    assert (deal.status, deal.reviewed_by, deal.review_taken_by) == ("approved", staff, staff)


def test_a_refused_decision_also_undoes_its_take_over(waiting, staff, second_reviewer):
    deal = waiting[0]
    take_for_review(deal, by=second_reviewer)
    before = state(deal)

    outcome = act_on_many([deal], "send_back", by=staff, reason="", take_over=True)

    assert outcome.reason_error
    assert state(deal) == before
    assert Activity.objects.filter(action="review.taken").count() == 1


def test_take_many_takes_the_free_ones_and_reports_the_taken(waiting, staff, second_reviewer):
    take_for_review(waiting[1], by=second_reviewer)

    outcome = act_on_many(waiting, "take", by=staff)

    assert [deal.pk for deal in outcome.done] == [waiting[0].pk, waiting[2].pk]
    assert list(outcome.refused) == [waiting[1].pk]
    assert set(Deal.objects.filter(review_taken_by=staff).values_list("pk", flat=True)) == {
        waiting[0].pk,
        waiting[2].pk,
    }
