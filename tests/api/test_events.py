"""GET /api/v1/events/: the token's partner's events, oldest first, by cursor or `after`."""

import pytest

from deals.services import change_stage
from notifications.models import Event, Kind
from notifications.services import record_event
from notifications.webhooks.events import EVENT_TYPES, TYPE_FOR_KIND
from tests.factories import DealFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def history(alpha, alice, beta, bob):
    """alpha: 3 stage moves and a win (won + discount issued) and a staff-only conflict flag;
    beta: a win."""
    deal = DealFactory(partner=alpha, created_by=alice, approved=True, stage="qualified")
    for stage in ("proposal", "negotiation", "won"):
        change_stage(deal, stage, by=alice)
    record_event(Kind.CONFLICT_FLAGGED, deal=deal, actor=alice, params={"on": "win"})
    beta_deal = DealFactory(partner=beta, created_by=bob, approved=True, stage="negotiation")
    change_stage(beta_deal, "won", by=bob)
    return deal


def test_every_partner_kind_has_one_api_name():
    assert len(set(EVENT_TYPES)) == len(EVENT_TYPES)
    reviewers_only = {Kind.CONFLICT_FLAGGED, Kind.REVIEW_OVERDUE}
    assert not reviewers_only & set(TYPE_FOR_KIND)  # the reviewers' business
    # A test event goes to one endpoint on request: no one subscribes to it or polls it.
    assert Kind.WEBHOOK_TEST not in TYPE_FOR_KIND
    # The customer's confirmation e-mail is the customer's, not the partner's news.
    customer_only = {Kind.CLOUD_ACCOUNT_CONFIRMATION}
    assert not customer_only & set(TYPE_FOR_KIND)
    assert set(TYPE_FOR_KIND) | reviewers_only | customer_only | {Kind.WEBHOOK_TEST} == set(Kind)


def test_lists_the_partners_events_oldest_first_and_never_another_partners(
    alpha_api, beta_api, history, alpha
):
    response = alpha_api.get("/api/v1/events/")

    assert response.status_code == 200
    body = response.json()
    types = [item["type"] for item in body["results"]]
    assert types[:2] == ["deal.stage_changed", "deal.stage_changed"]
    assert set(types[2:]) == {"deal.won", "discount.issued"}
    assert "deal.conflict_flagged" not in types and None not in types
    ids = [item["id"] for item in body["results"]]
    assert ids == sorted(ids)
    assert set(ids) == set(
        Event.objects.filter(partner=alpha)
        .exclude(kind=Kind.CONFLICT_FLAGGED)
        .values_list("pk", flat=True)
    )
    assert body["results"][0]["deal"] == history.pk
    first = body["results"][0]["data"]
    assert (first["from_stage"], first["to_stage"]) == ("qualified", "proposal")
    # The deal as it was then: at the stage it moved to, not the won deal it is now.
    assert (first["deal"]["id"], first["deal"]["stage"]) == (history.pk, "proposal")
    won = next(item for item in body["results"] if item["type"] == "deal.won")
    current = alpha_api.get(f"/api/v1/deals/{history.pk}/").json()
    assert won["data"]["deal"] == current
    assert (
        won["data"]["discount"] == alpha_api.get(f"/api/v1/discounts/{current['discount']}/").json()
    )
    beta_ids = {item["id"] for item in beta_api.get("/api/v1/events/").json()["results"]}
    assert beta_ids and not beta_ids & set(ids)


def test_the_cursor_walks_every_event_once_and_after_resumes(alpha_api, history):
    seen, url = [], "/api/v1/events/?limit=1"
    while url:
        page = alpha_api.get(url).json()
        seen += [item["id"] for item in page["results"]]
        url = page["next"]
    assert len(seen) == 4 and seen == sorted(seen)

    after = alpha_api.get("/api/v1/events/", {"after": seen[1]}).json()["results"]
    assert [item["id"] for item in after] == seen[2:]


def test_type_filter(alpha_api, history):
    results = alpha_api.get("/api/v1/events/", {"type": "deal.won"}).json()["results"]

    assert [(item["type"], item["deal"]) for item in results] == [("deal.won", history.pk)]


def test_bad_filters_are_problems(alpha_api, history):
    response = alpha_api.get("/api/v1/events/", {"type": "deal.eaten"})
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/problem+json")
    assert alpha_api.get("/api/v1/events/", {"after": "x"}).status_code == 400
    assert alpha_api.get("/api/v1/events/", {"since": "1"}).status_code == 400
    assert alpha_api.get("/api/v1/events/", {"cursor": "garbage"}).status_code == 400


def test_no_token_is_401(anonymous_api):
    assert anonymous_api.get("/api/v1/events/").status_code == 401
