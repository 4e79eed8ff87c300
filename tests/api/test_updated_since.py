"""?updated_since= on deals, discounts and customers: only what changed, oldest change first,
keyset-paged in update order; every service that changes a row moves its updated_at."""

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from deals.models import Deal
from deals.services import change_stage, set_external_id
from discounts.models import Discount
from discounts.services import revoke_discount
from partners.models import Customer
from partners.services import sync_customer_owners
from tests.factories import CustomerFactory, DealFactory

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)


def at(model, obj, moment):
    model.objects.filter(pk=obj.pk).update(updated_at=moment)


def ids(response):
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


def walk(api, path, params):
    """Every page's ids, following `next`."""
    pages, url = [], path
    while url:
        response = api.get(url, params if url == path else None)
        pages.append(ids(response))
        url = response.json()["next"]
    return pages


@pytest.fixture
def three_deals(alpha, alice, beta, bob):
    old, tied_a, tied_b = (DealFactory(partner=alpha, created_by=alice) for _ in range(3))
    at(Deal, old, T0 - timedelta(days=1))
    at(Deal, tied_a, T0)
    at(Deal, tied_b, T0)
    # Another partner's change at the same moment must not show.
    at(Deal, DealFactory(partner=beta, created_by=bob), T0)
    return old, tied_a, tied_b


def test_deals_updated_since_lists_changes_oldest_first(alpha_api, three_deals):
    old, tied_a, tied_b = three_deals
    newest = DealFactory(partner=old.partner, created_by=old.created_by)  # now

    response = alpha_api.get("/api/v1/deals/", {"updated_since": "2026-11-01T08:00:00Z"})

    assert ids(response) == [tied_a.pk, tied_b.pk, newest.pk]


def test_deals_updated_since_pages_through_ties_by_id(alpha_api, three_deals):
    old, tied_a, tied_b = three_deals

    pages = walk(alpha_api, "/api/v1/deals/", {"updated_since": "2026-10-01T00:00:00Z", "limit": 1})

    assert pages == [[old.pk], [tied_a.pk], [tied_b.pk]]


def test_updated_since_takes_any_offset_and_fractions(alpha_api, three_deals):
    old, tied_a, tied_b = three_deals
    # 15:00 at +07:00 is 08:00 UTC; a nanosecond fraction is cut to microseconds.
    response = alpha_api.get(
        "/api/v1/deals/", {"updated_since": "2026-11-01T15:00:00.000000001+07:00"}
    )

    assert ids(response) == [tied_a.pk, tied_b.pk]


@pytest.mark.parametrize(
    "value",
    [
        "yesterday",
        "2026-11-01",
        "2026-11-01T08:00:00",
        "2026-13-01T08:00:00Z",
        "2026-11-01T08:00:00+7",
    ],
)
def test_deals_updated_since_refuses_a_value_that_is_not_rfc_3339(alpha_api, three_deals, value):
    response = alpha_api.get("/api/v1/deals/", {"updated_since": value})

    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    problem = response.json()
    assert problem["code"] == "invalid"
    assert [(e["field"], e["code"]) for e in problem["errors"]] == [
        ("updated_since", "invalid_datetime")
    ]


def test_updated_since_takes_any_offset_rfc_3339_allows(alpha_api, three_deals):
    """+19:48 is a valid RFC 3339 offset that PostgreSQL refuses in a timestamp (it takes up
    to 15:59): the moment is read in UTC, and the answer is the same as for its UTC form."""
    old, tied_a, tied_b = three_deals

    far = alpha_api.get("/api/v1/deals/", {"updated_since": "2026-11-02T03:48:00+19:48"})
    utc = alpha_api.get("/api/v1/deals/", {"updated_since": "2026-11-01T08:00:00Z"})
    west = alpha_api.get("/api/v1/deals/", {"updated_since": "2026-10-30T12:00:00-20:00"})

    assert ids(far) == ids(utc) == [tied_a.pk, tied_b.pk]
    assert ids(west) == [old.pk, tied_a.pk, tied_b.pk]  # 2026-10-31T08:00Z: the day before
    assert (
        ids(alpha_api.get("/api/v1/deals/", {"updated_since": "9432-09-28T14:13:03+19:48"})) == []
    )


def test_updated_since_beyond_the_year_9999_in_utc_is_refused(alpha_api, three_deals):
    response = alpha_api.get("/api/v1/deals/", {"updated_since": "9999-12-31T23:00:00-05:00"})

    assert response.status_code == 400
    assert [(e["field"], e["code"]) for e in response.json()["errors"]] == [
        ("updated_since", "out_of_range")
    ]
    assert "9999" in response.json()["errors"][0]["detail"]


def test_deals_updated_since_refuses_another_sort(alpha_api, three_deals):
    response = alpha_api.get(
        "/api/v1/deals/", {"updated_since": "2026-11-01T08:00:00Z", "sort": "-value"}
    )

    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "sort"


def test_a_cursor_of_the_default_order_is_refused_in_update_order(alpha_api, three_deals):
    first = alpha_api.get("/api/v1/deals/", {"limit": 1}).json()
    cursor = first["next"].split("cursor=")[1].split("&")[0]

    response = alpha_api.get(
        "/api/v1/deals/", {"updated_since": "2026-10-01T00:00:00Z", "cursor": cursor}
    )

    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "cursor"


def test_updated_since_combines_with_the_other_filters(alpha_api, three_deals):
    old, tied_a, tied_b = three_deals
    set_external_id(tied_b, by=tied_b.created_by, external_id="SF-2")

    response = alpha_api.get(
        "/api/v1/deals/", {"updated_since": "2026-10-01T00:00:00Z", "external_id": "SF-2"}
    )

    assert ids(response) == [tied_b.pk]


def test_a_stage_change_brings_the_deal_back_into_the_changes(alpha_api, alpha_deal, alice):
    at(Deal, alpha_deal, T0)
    since = (timezone.now() - timedelta(seconds=1)).isoformat()
    assert ids(alpha_api.get("/api/v1/deals/", {"updated_since": since})) == []

    change_stage(alpha_deal, "lost", by=alice, lost_reason="Budget")

    assert ids(alpha_api.get("/api/v1/deals/", {"updated_since": since})) == [alpha_deal.pk]


# --- discounts -------------------------------------------------------------------------------


@pytest.fixture
def won_discount(alpha_deal, alice, vserver):
    change_stage(alpha_deal, "won", by=alice)
    return Discount.objects.get(deal=alpha_deal)


def test_discounts_updated_since_lists_changed_discounts(alpha_api, won_discount, staff):
    at(Discount, won_discount, T0)
    since = "2026-11-02T00:00:00Z"
    assert ids(alpha_api.get("/api/v1/discounts/", {"updated_since": since})) == []

    revoke_discount(won_discount, by=staff, reason="Won by mistake")

    response = alpha_api.get("/api/v1/discounts/", {"updated_since": since})
    assert ids(response) == [won_discount.pk]
    won_discount.refresh_from_db()
    assert won_discount.updated_at > T0
    body = response.json()["results"][0]
    assert body["status"] == "revoked"
    assert datetime.fromisoformat(body["updated_at"]) == won_discount.updated_at


def test_discounts_updated_since_refuses_a_bad_value(alpha_api, won_discount):
    response = alpha_api.get("/api/v1/discounts/", {"updated_since": "1 Nov"})

    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "invalid_datetime"


def test_discounts_updated_since_shows_no_other_partners_discount(beta_api, won_discount):
    assert ids(beta_api.get("/api/v1/discounts/", {"updated_since": "2000-01-01T00:00:00Z"})) == []


# --- customers -------------------------------------------------------------------------------


def test_customers_updated_since_lists_a_customer_the_partner_just_won(
    alpha_api, alpha_deal, alice, vserver
):
    at(Customer, alpha_deal.customer, T0)
    since = "2026-11-02T00:00:00Z"
    assert ids(alpha_api.get("/api/v1/customers/", {"updated_since": since})) == []

    change_stage(alpha_deal, "won", by=alice)

    response = alpha_api.get("/api/v1/customers/", {"updated_since": since})
    assert ids(response) == [alpha_deal.customer_id]
    alpha_deal.customer.refresh_from_db()
    assert alpha_deal.customer.updated_at > T0


def test_customers_updated_since_pages_in_update_order(alpha_api, alpha, alice, vserver):
    deals = [
        DealFactory(partner=alpha, created_by=alice, approved=True, stage="proposal")
        for _ in range(3)
    ]
    for deal in deals:
        change_stage(deal, "won", by=alice)
    first, second, third = (deal.customer for deal in deals)
    at(Customer, first, T0 + timedelta(hours=2))
    at(Customer, second, T0)
    at(Customer, third, T0 + timedelta(hours=1))

    pages = walk(
        alpha_api, "/api/v1/customers/", {"updated_since": "2026-11-01T00:00:00Z", "limit": 2}
    )

    assert pages == [[second.pk, third.pk], [first.pk]]


def test_repairing_owners_moves_updated_at(alpha, alice):
    customer = CustomerFactory()
    DealFactory(partner=alpha, created_by=alice, customer=customer)
    from partners.models import CustomerOwnership

    CustomerOwnership.objects.create(customer=customer, partner=alpha)
    at(Customer, customer, T0)

    assert sync_customer_owners() == 1

    customer.refresh_from_db()
    assert customer.owner_id == alpha.pk
    assert customer.updated_at > T0


def test_updated_since_lists_cost_few_queries(
    alpha_api, three_deals, won_discount, django_assert_max_num_queries
):
    for path in ("/api/v1/deals/", "/api/v1/discounts/", "/api/v1/customers/"):
        with django_assert_max_num_queries(5):
            response = alpha_api.get(path, {"updated_since": "2000-01-01T00:00:00Z"})
        assert response.status_code == 200
