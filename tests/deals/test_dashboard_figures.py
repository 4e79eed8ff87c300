"""The dashboard: each number agrees with the list it links to and with its table."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from deals import dashboard
from deals.models import Deal
from tests.factories import DealFactory

pytestmark = pytest.mark.django_db


def figure(html: str, name: str) -> str:
    match = re.search(rf'data-figure="{name}"[^>]*>(.*?)</a>', html, re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", match.group(1)).split())


def test_open_pipeline_card_agrees_with_the_pipeline_table(alice_client, alpha, alice):
    DealFactory(partner=alpha, approved=True, stage="proposal", estimated_value=200_000_000)
    DealFactory(partner=alpha, approved=True, stage="negotiation", estimated_value=100_000_000)
    DealFactory(partner=alpha, stage="prospect")  # pending: not in the pipeline
    DealFactory(partner=alpha, status="action_required", stage="prospect")

    html = alice_client.get("/").content.decode()

    assert figure(html, "open-pipeline").startswith("Open pipeline 2 ")
    assert "175,000,000 VND weighted" in figure(html, "open-pipeline")  # 100 + 75 M
    total = re.search(r'data-figure="pipeline-total">(\d+)<', html).group(1)
    assert total == "2"
    assert figure(html, "pending").startswith("Waiting for review 1")
    assert figure(html, "action-required").startswith("Action required 1")


def test_attention_figures_count_what_their_lists_show(alpha, beta):
    today = timezone.localdate()
    soon = DealFactory(partner=alpha, approved=True, expected_close_date=today + timedelta(10))
    DealFactory(partner=alpha, approved=True, expected_close_date=today + timedelta(60))
    ending = DealFactory(partner=alpha, approved=True, stage="qualified")
    Deal.objects.filter(pk=ending.pk).update(protected_until=today + timedelta(5))
    stale = DealFactory(partner=alpha, approved=True, expected_close_date=today + timedelta(90))
    Deal.objects.filter(pk=stale.pk).update(updated_at=timezone.now() - timedelta(days=45))
    DealFactory(partner=beta, approved=True, expected_close_date=today + timedelta(3))

    figures = dashboard.attention(alpha)

    assert (figures.closing_soon, figures.stale, figures.protection_ending) == (
        Deal.objects.filter(partner=alpha)
        .filter(dashboard.deal_view_filter("closing-soon"))
        .count(),
        1,
        1,
    )
    assert figures.closing_soon == 2  # `soon` and `ending` (default close date in 30 days)
    assert soon.pk in Deal.objects.filter(dashboard.deal_view_filter("closing-soon")).values_list(
        "pk", flat=True
    )


def test_quarters_split_the_wins_by_the_day_they_closed(alpha):
    today = timezone.localdate()
    this_first, _last = dashboard.quarter(today, 0)
    last_first, last_last = dashboard.quarter(today, -1)
    assert last_last == this_first - timedelta(days=1)
    # Noon of today's local date (in UTC, today can still be yesterday's date).
    noon = timezone.localtime().replace(hour=12)
    for days, value in ((0, 300), ((today - last_first).days, 100)):
        DealFactory(
            partner=alpha,
            approved=True,
            stage="won",
            closed_at=noon - timedelta(days=days),
            estimated_value=value,
        )

    # A win two quarters back and another partner's win count in neither.
    DealFactory(
        partner=alpha,
        approved=True,
        stage="won",
        estimated_value=50,
        closed_at=noon - timedelta(days=(today - last_first).days + 100),
    )
    DealFactory(approved=True, stage="won", closed_at=noon, estimated_value=70)

    quarters = dashboard.won_quarters(alpha, today)

    assert (quarters.this_count, quarters.this_value) == (1, 300)
    assert (quarters.last_count, quarters.last_value, quarters.change) == (1, 100, 200)
    # The figures agree with the lists they link to.
    for view, count in (("won-this-quarter", 1), ("won-last-quarter", 1)):
        listed = Deal.objects.filter(partner=alpha).filter(dashboard.deal_view_filter(view))
        assert listed.count() == count


def test_dashboard_numbers_link_to_their_filtered_lists(alice_client, alpha):
    html = alice_client.get("/").content.decode()
    for view in ("open-pipeline", "won-this-quarter", "pending", "action-required"):
        assert f'href="/deals/?view={view}"' in html
    for view in ("closing-soon", "stale", "protection-ending"):
        assert f'href="/deals/?view={view}"' in html
    assert 'href="/discounts/?ending=soon"' in html


def test_deal_list_view_shows_exactly_the_deals_its_figure_counts(alice_client, alpha, beta):
    today = timezone.localdate()
    soon = DealFactory(partner=alpha, approved=True, expected_close_date=today + timedelta(5))
    later = DealFactory(partner=alpha, approved=True, expected_close_date=today + timedelta(90))
    DealFactory(partner=beta, approved=True, expected_close_date=today + timedelta(5))

    html = alice_client.get("/deals/?view=closing-soon").content.decode()
    csv_text = b"".join(
        alice_client.get("/deals/export.csv?view=closing-soon").streaming_content
    ).decode("utf-8-sig")

    assert dashboard.attention(alpha).closing_soon == 1
    assert soon.title in html and later.title not in html
    assert "Expected to close within 30 days" in html  # the view is named above the list
    assert soon.title in csv_text and later.title not in csv_text


def test_discount_list_ending_soon_view(alice_client, alpha, alice):
    from discounts.models import Discount

    today = timezone.localdate()
    ending, lasting = (
        DealFactory(
            partner=alpha, created_by=alice, approved=True, stage="won", closed_at=timezone.now()
        )
        for _ in range(2)
    )
    for deal, days in ((ending, 10), (lasting, 200)):
        Discount.objects.create(
            partner=alpha,
            deal=deal,
            customer=deal.customer,
            valid_from=today,
            valid_until=today + timedelta(days),
        )

    html = alice_client.get("/discounts/?ending=soon").content.decode()

    assert dashboard.attention(alpha).discounts_ending == 1
    assert ending.title in html and lasting.title not in html


def test_attention_figures_stop_counting_at_the_cap(alice_client, alpha, monkeypatch):
    # Counted no further than the lists count (1,000 in the portal; 2 here): "2+".
    monkeypatch.setattr(dashboard, "COUNT_CAP", 2)
    for _ in range(3):
        stale = DealFactory(partner=alpha, approved=True)
        Deal.objects.filter(pk=stale.pk).update(updated_at=timezone.now() - timedelta(days=45))
    DealFactory(partner=alpha, approved=True)

    figures = dashboard.attention(alpha)
    html = alice_client.get("/").content.decode()

    # 4 deals close within 30 days (the factory's default date), 3 are stale, none ends its
    # protection soon.
    assert (figures.closing_soon, figures.stale, figures.protection_ending) == (2, 2, 0)
    assert figures.discounts_ending == 0
    assert figures.more == frozenset({"closing_soon", "stale"})
    assert figure(html, "stale") == "Not updated for 30 days 2+"
    assert figure(html, "closing-soon") == "Expected to close within 30 days 2+"
