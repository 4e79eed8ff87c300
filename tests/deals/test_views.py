"""The deal list and detail pages: scoping, search, filter, sort, pagination."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from deals.models import Note, StageChange
from tests.factories import CustomerFactory, DealFactory

pytestmark = pytest.mark.django_db


def titles(response):
    return [deal.title for deal in response.context["page"].object_list]


def test_deal_list_shows_only_the_partners_deals(alice_client, alpha_deal, beta_deal):
    response = alice_client.get("/deals/")

    assert response.status_code == 200
    assert titles(response) == [alpha_deal.title]
    assert beta_deal.title not in response.content.decode()


def test_deal_list_title_links_to_the_detail_page(alice_client, alpha_deal):
    html = alice_client.get("/deals/").content.decode()
    assert f'href="/deals/{alpha_deal.pk}/"' in html


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("router", ["Router upgrade"]),
        ("Sông Hồng", ["Kho dữ liệu"]),
        ("0312349999", ["Kho dữ liệu"]),
    ],
)
def test_deal_list_searches_title_customer_name_and_tax_code(
    alice_client, alpha, alice, query, expected
):
    DealFactory(partner=alpha, created_by=alice, title="Router upgrade")
    customer = CustomerFactory(name="Công ty Sông Hồng", tax_code="0312349999")
    DealFactory(partner=alpha, created_by=alice, title="Kho dữ liệu", customer=customer)

    assert titles(alice_client.get("/deals/", {"q": query})) == expected


def test_deal_list_search_does_not_reach_other_partners(alice_client, alice, beta_deal):
    assert titles(alice_client.get("/deals/", {"q": beta_deal.title})) == []


def test_deal_list_filters_by_stage(alice_client, alpha, alice):
    DealFactory(partner=alpha, created_by=alice, title="A", approved=True, stage="proposal")
    DealFactory(partner=alpha, created_by=alice, title="B", approved=True, stage="qualified")

    assert titles(alice_client.get("/deals/", {"stage": "proposal"})) == ["A"]


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("value", ["small", "medium", "large"]),
        ("-value", ["large", "medium", "small"]),
        ("close", ["large", "small", "medium"]),
        ("-close", ["medium", "small", "large"]),
    ],
)
def test_deal_list_sorts(alice_client, alpha, alice, sort, expected):
    today = timezone.localdate()
    for title, value, days in (("small", 1, 20), ("medium", 5, 30), ("large", 9, 10)):
        DealFactory(
            partner=alpha,
            created_by=alice,
            title=title,
            estimated_value=Decimal(value),
            expected_close_date=today + timedelta(days=days),
        )
    assert titles(alice_client.get("/deals/", {"sort": sort})) == expected


def test_deal_list_sorts_by_last_update_by_default(alice_client, alpha, alice):
    first = DealFactory(partner=alpha, created_by=alice, title="first")
    DealFactory(partner=alpha, created_by=alice, title="second")
    first.save()  # touched last

    assert titles(alice_client.get("/deals/")) == ["first", "second"]


def test_deal_list_ignores_unknown_sort_and_filter_values(alice_client, alpha_deal):
    response = alice_client.get("/deals/", {"sort": "password", "stage": "nonsense"})

    assert response.status_code == 200
    assert titles(response) == [alpha_deal.title]


def test_deal_list_pages_25_by_cursor_and_ignores_a_bad_one(alice_client, alpha, alice):
    for i in range(30):
        DealFactory(partner=alpha, created_by=alice, title=f"Deal {i:02d}", estimated_value=i)

    first = alice_client.get("/deals/", {"sort": "value"})
    cursor = first.context["page"].next_cursor
    second = alice_client.get("/deals/", {"sort": "value", "cursor": cursor})
    garbage = alice_client.get("/deals/", {"sort": "value", "cursor": "abc"})

    assert titles(first) == [f"Deal {i:02d}" for i in range(25)]
    assert titles(second) == [f"Deal {i:02d}" for i in range(25, 30)]
    assert titles(garbage) == titles(first)
    assert "sort=value&amp;cursor=" in first.content.decode()
    assert "30 deals" in first.content.decode()


def test_deal_list_htmx_gets_the_table_partial(alice_client, alpha_deal):
    response = alice_client.get("/deals/", HTTP_HX_REQUEST="true")

    assert b"<html" not in response.content
    assert alpha_deal.title.encode() in response.content
    assert "HX-Request" in response["Vary"]


def test_deal_list_empty_state_tells_a_new_partner_what_to_do(alice_client):
    html = alice_client.get("/deals/").content.decode()
    assert "You have no deals yet" in html


def test_deal_detail_shows_fields_rules_status_and_timeline(alice_client, alpha_deal, alice):
    StageChange.objects.create(
        deal=alpha_deal, from_stage="proposal", to_stage="negotiation", by=alice
    )
    Note.objects.create(deal=alpha_deal, author=alice, text="Line one\n<b>bold?</b>")

    response = alice_client.get(f"/deals/{alpha_deal.pk}/")

    html = response.content.decode()
    assert response.status_code == 200
    assert alpha_deal.customer.name in html
    assert "vServer" in html and "10.00%" in html
    assert "Approved" in html
    assert alpha_deal.protected_until.strftime("%m/%d/%Y") in html
    assert "Line one<br>&lt;b&gt;bold?&lt;/b&gt;" in html  # escaped, line breaks kept
    assert 'aria-current="step"' in html
    entries = [entry.kind for entry in response.context["timeline"]]
    assert entries == ["note", "stage"]


@pytest.mark.parametrize(
    "path",
    [
        "/deals/{deal}/",
        "/deals/{deal}/stage/",
        "/deals/{deal}/notes/",
        "/deals/{deal}/attachments/",
        "/deals/{deal}/edit/",
    ],
)
def test_deal_pages_of_another_partner_are_404(alice_client, beta_deal, path):
    assert alice_client.get(path.format(deal=beta_deal.pk)).status_code == 404


@pytest.mark.parametrize("path", ["/deals/abc/", "/deals/999999/", "/deals/-1/"])
def test_deal_detail_with_a_bad_id_is_404(alice_client, path):
    assert alice_client.get(path).status_code == 404


@pytest.mark.parametrize("path", ["/", "/deals/", "/discounts/", "/customers/", "/deals/1/"])
def test_partner_pages_require_login(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"] == f"/login/?next={path}"


def test_dashboard_shows_the_open_pipeline(alice_client, alpha, alice, beta_deal):
    DealFactory(partner=alpha, created_by=alice, approved=True, stage="proposal", estimated_value=7)
    DealFactory(partner=alpha, created_by=alice, approved=True, stage="proposal", estimated_value=5)
    DealFactory(partner=alpha, created_by=alice, estimated_value=100)  # pending: not pipeline

    response = alice_client.get("/")

    pipeline = {row["stage"]: (row["count"], row["value"]) for row in response.context["pipeline"]}
    assert pipeline["proposal"] == (2, 12)
    assert pipeline["negotiation"] == (0, 0)  # Beta's proposal deal is not counted
