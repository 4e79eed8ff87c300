"""Lists at scale: cursor paging, bad input, query counts flat in the data, scoping.

Runs on SQLite and PostgreSQL alike (DATABASE_URL). Nothing here times anything: the
benchmarks under bench/ measure speed; these tests pin the behaviour that keeps it.
"""

import random
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from deals.models import Deal, Note, StageChange
from deals.services import change_stage
from discounts.models import Discount
from partners.models import Customer, CustomerOwnership, User
from tests.built_once import built_once
from tests.factories import (
    ContractFactory,
    CustomerFactory,
    DealFactory,
    MembershipFactory,
    PartnerFactory,
    ProductFactory,
)

pytestmark = pytest.mark.django_db

# The limit: session, user with membership and partner, the bell's capped unread
# count, and the page's own reads.
MAX_QUERIES = 8


def titles(response):
    return [deal.title for deal in response.context["page"].rows]


def make_deals(partner, by, n, **fields):
    return [
        DealFactory(partner=partner, created_by=by, title=f"Deal {i:03d}", **fields)
        for i in range(n)
    ]


def walk(client, url, params, direction="next_cursor"):
    """Follow the cursors from the first page; every page's titles in order."""
    pages = []
    response = client.get(url, params)
    while True:
        assert response.status_code == 200
        pages.append(titles(response))
        cursor = getattr(response.context["page"], direction)
        if not cursor:
            return pages, response
        response = client.get(url, {**params, "cursor": cursor})


# --- cursor paging ----------------------------------------------------------------------------


def test_deal_list_walks_every_deal_once_with_ties_by_id(alice_client, alpha, alice):
    # 60 deals with only 3 distinct values: the id decides the order among equals.
    deals = [
        DealFactory(partner=alpha, created_by=alice, title=f"Deal {i:03d}", estimated_value=i % 3)
        for i in range(60)
    ]

    pages, _ = walk(alice_client, "/deals/", {"sort": "value"})

    expected = [d.title for d in sorted(deals, key=lambda d: (d.estimated_value, d.pk))]
    assert [len(page) for page in pages] == [25, 25, 10]
    assert sum(pages, []) == expected


def test_deal_list_previous_goes_back_to_the_same_rows(alice_client, alpha, alice):
    make_deals(alpha, alice, 60)
    first = alice_client.get("/deals/", {"sort": "-value"})
    second = alice_client.get(
        "/deals/", {"sort": "-value", "cursor": first.context["page"].next_cursor}
    )
    third = alice_client.get(
        "/deals/", {"sort": "-value", "cursor": second.context["page"].next_cursor}
    )

    back = alice_client.get(
        "/deals/", {"sort": "-value", "cursor": third.context["page"].previous_cursor}
    )
    back_to_first = alice_client.get(
        "/deals/", {"sort": "-value", "cursor": back.context["page"].previous_cursor}
    )

    assert titles(back) == titles(second)
    assert titles(back_to_first) == titles(first)
    assert first.context["page"].previous_cursor == ""
    assert third.context["page"].next_cursor == ""


def test_deal_list_cursor_keeps_the_stage_filter_and_search(alice_client, alpha, alice):
    for i in range(40):
        DealFactory(
            partner=alpha,
            created_by=alice,
            title=f"{'Router' if i % 2 else 'Switch'} {i:03d}",
            approved=True,
            stage="proposal" if i % 4 < 2 else "qualified",
        )
    params = {"q": "router", "stage": "proposal", "sort": "close"}

    pages, last = walk(alice_client, "/deals/", params)

    found = sum(pages, [])
    expected = Deal.objects.filter(title__startswith="Router", stage="proposal")
    assert sorted(found) == sorted(expected.values_list("title", flat=True))
    assert len(found) == 10
    assert len(pages) == 1


def test_deal_list_next_link_keeps_search_filter_and_sort(alice_client, alpha, alice):
    make_deals(alpha, alice, 30, approved=True, stage="proposal")

    html = alice_client.get("/deals/", {"q": "deal", "stage": "proposal", "sort": "close"})

    assert "q=deal&amp;stage=proposal&amp;sort=close&amp;cursor=" in html.content.decode()


def test_a_new_deal_does_not_shift_the_next_page(alice_client, alpha, alice):
    make_deals(alpha, alice, 30)
    first = alice_client.get("/deals/")
    DealFactory(partner=alpha, created_by=alice, title="Brand new")  # lands on top

    second = alice_client.get("/deals/", {"cursor": first.context["page"].next_cursor})

    assert len(titles(second)) == 5
    assert set(titles(second)).isdisjoint(titles(first))


def test_deal_list_count_is_capped(alice_client, alpha, alice):
    template = DealFactory(partner=alpha, created_by=alice)
    Deal.objects.bulk_create(
        Deal(
            partner=alpha,
            customer=template.customer,
            title=f"Bulk {i}",
            estimated_value=i,
            expected_close_date=template.expected_close_date,
            created_by=alice,
        )
        for i in range(1000)
    )

    html = alice_client.get("/deals/").content.decode()

    assert "More than 1,000 deals" in html


def bulk_deals(partner, by, titles_and_values):
    template = DealFactory(
        partner=partner, created_by=by, title="Rare thing", estimated_value=10**9
    )
    Deal.objects.bulk_create(
        Deal(
            partner=partner,
            customer=template.customer,
            title=title,
            estimated_value=value,
            expected_close_date=template.expected_close_date,
            created_by=by,
        )
        for title, value in titles_and_values
    )


def test_a_common_word_is_found_in_the_next_rows_of_the_list(alice_client, alpha, alice):
    bulk_deals(alpha, alice, ((f"Cloud migration {i}", i) for i in range(1001)))

    common = alice_client.get("/deals/", {"q": "cloud", "sort": "value"})
    cursor = common.context["page"].next_cursor
    second = alice_client.get("/deals/", {"q": "cloud", "sort": "value", "cursor": cursor})
    back = alice_client.get(
        "/deals/",
        {"q": "cloud", "sort": "value", "cursor": second.context["page"].previous_cursor},
    )
    rare = alice_client.get("/deals/", {"q": "rare"})

    assert titles(common) == [f"Cloud migration {i}" for i in range(25)]
    assert titles(second) == [f"Cloud migration {i}" for i in range(25, 50)]
    assert titles(back) == titles(common)
    assert "Many deals match." in common.content.decode()
    assert titles(rare) == ["Rare thing"]
    assert "1 deal" in rare.content.decode()


def test_a_word_in_one_row_of_a_hundred_walks_on_down_the_list(alice_client, alpha, alice):
    # 10 matches in the first 1,000 rows: not a page, but common enough to walk on.
    bulk_deals(
        alpha,
        alice,
        ((f"Cloud {i}" if i % 100 == 0 else f"Other {i}", i) for i in range(3000)),
    )

    response = alice_client.get("/deals/", {"q": "cloud", "sort": "value"})
    second = alice_client.get(
        "/deals/", {"q": "cloud", "sort": "value", "cursor": response.context["page"].next_cursor}
    )

    assert titles(response) == [f"Cloud {i}" for i in range(0, 2500, 100)]
    assert titles(second) == [f"Cloud {i}" for i in range(2500, 3000, 100)]
    assert "Many deals match." in response.content.decode()


def test_a_word_matching_many_rows_far_down_the_list_says_more_than_the_cap(
    alice_client, alpha, alice
):
    # The first 2,000 rows by value do not match; 1,001 after them do.
    bulk_deals(
        alpha,
        alice,
        [(f"Other {i}", i) for i in range(2000)]
        + [(f"Cloud migration {i}", 2000 + i) for i in range(1001)],
    )

    response = alice_client.get("/deals/", {"q": "cloud", "sort": "value"})

    assert titles(response) == [f"Cloud migration {i}" for i in range(25)]
    assert "More than 1,000 deals" in response.content.decode()


class TestTwentySevenWins:
    """27 won Alpha deals, their customers sharing two names, built once for the class
    (tests/built_once.py); each test reads them in a savepoint of its own."""

    @pytest.fixture(scope="class")
    @classmethod
    def won(cls, django_db_setup, django_db_blocker, tmp_path_factory):
        with built_once(django_db_blocker, tmp_path_factory):
            alpha = PartnerFactory(name="Alpha Cloud Solutions")
            ContractFactory(partner=alpha)
            alice = MembershipFactory(
                partner=alpha, user__email="alice@alpha.test", role="admin"
            ).user
            ProductFactory(code="vserver", name="vServer")
            for i in range(27):
                deal = DealFactory(
                    partner=alpha,
                    created_by=alice,
                    approved=True,
                    stage="proposal",
                    title=f"Deal {i:03d}",
                    customer=CustomerFactory(name=f"Công ty {i % 2}"),  # many equal names
                )
                change_stage(deal, Deal.Stage.WON, by=alice)
            yield {"alpha": alpha.pk, "alice": alice.pk}

    @pytest.fixture
    def alice_client(self, db, client, won):
        client.force_login(User.objects.get(pk=won["alice"]))
        return client

    def test_discount_list_pages_by_cursor(self, alice_client, won):
        pages = pages_of(alice_client, "/discounts/", {"status": "active"})

        expected = list(
            Discount.objects.filter(partner_id=won["alpha"]).order_by("-created_at", "-pk")
        )
        assert pages == [expected[:25], expected[25:]]

    def test_customer_list_pages_by_name_and_id(self, alice_client):
        pages = pages_of(alice_client, "/customers/", {})

        rows = sum(pages, [])
        assert [len(p) for p in pages] == [25, 2]
        assert [(c.name, c.pk) for c in rows] == sorted((c.name, c.pk) for c in rows)
        assert len({c.pk for c in rows}) == 27


def pages_of(client, url, params):
    out = []
    response = client.get(url, params)
    while True:
        out.append(list(response.context["page"].rows))
        cursor = response.context["page"].next_cursor
        if not cursor:
            return out
        response = client.get(url, {**params, "cursor": cursor})


def test_customer_search_for_a_word_in_every_name_pages_through_the_list(alice_client, alpha):
    # A word in every name ("Công ty"): the walk of the list's index stops at the first page.
    Customer.objects.bulk_create(
        Customer(name=f"Công ty {i:02d}", tax_code=f"03{i:08d}", owner=alpha) for i in range(30)
    )
    CustomerOwnership.objects.bulk_create(
        CustomerOwnership(customer=c, partner=alpha) for c in Customer.objects.all()
    )

    first = alice_client.get("/customers/", {"q": "công ty"})
    second = alice_client.get(
        "/customers/", {"q": "công ty", "cursor": first.context["page"].next_cursor}
    )

    names = [f"Công ty {i:02d}" for i in range(30)]
    assert [c.name for c in first.context["page"].rows] == names[:25]
    assert [c.name for c in second.context["page"].rows] == names[25:]
    assert second.context["page"].next_cursor == ""


def test_customer_search_pages_through_matches_far_down_the_alphabet(alice_client, alpha):
    # 400 owned customers sort before the matches: a walk of the list passes them all, the
    # trigram index (PostgreSQL) goes straight to the matches. (bulk_create skips transfer_ownership, so the owner is set alongside, as it would set it.)
    customers = Customer.objects.bulk_create(
        [Customer(name=f"Aaa {i:03d}", tax_code=f"01{i:08d}", owner=alpha) for i in range(400)]
        + [Customer(name=f"Zebra {i:02d}", tax_code=f"02{i:08d}", owner=alpha) for i in range(30)]
    )
    CustomerOwnership.objects.bulk_create(
        CustomerOwnership(customer=c, partner=alpha) for c in Customer.objects.all()
    )

    first = alice_client.get("/customers/", {"q": "zebra"})
    second = alice_client.get(
        "/customers/", {"q": "zebra", "cursor": first.context["page"].next_cursor}
    )
    back = alice_client.get(
        "/customers/", {"q": "zebra", "cursor": second.context["page"].previous_cursor}
    )

    names = [f"Zebra {i:02d}" for i in range(30)]
    assert [c.name for c in first.context["page"].rows] == names[:25]
    assert [c.name for c in second.context["page"].rows] == names[25:]
    assert [c.name for c in back.context["page"].rows] == names[:25]
    assert len(customers) == 430


def walk_both_ways(client, url, params):
    """Every page's rows following the next cursors, then the same pages following the
    previous cursors back from the last one."""
    forwards, response = [], client.get(url, params)
    while True:
        forwards.append(list(response.context["page"].rows))
        cursor = response.context["page"].next_cursor
        if not cursor:
            break
        response = client.get(url, {**params, "cursor": cursor})
    backwards = [forwards[-1]]
    while cursor := response.context["page"].previous_cursor:
        response = client.get(url, {**params, "cursor": cursor})
        backwards.insert(0, list(response.context["page"].rows))
    return forwards, backwards


def make_customers(partner, names, tax_codes=None):
    """Owned customers with these names, created in a shuffled order (so the ids do not follow
    the names) as transfer_ownership would leave them (bulk_create skips it)."""
    rows = list(enumerate(names))
    random.Random(7).shuffle(rows)
    customers = Customer.objects.bulk_create(
        Customer(name=name, tax_code=(tax_codes or {}).get(i, f"04{i:08d}"), owner=partner)
        for i, name in rows
    )
    CustomerOwnership.objects.bulk_create(
        CustomerOwnership(customer=c, partner=partner) for c in customers
    )
    return customers


@pytest.mark.parametrize(
    "layout",
    [
        # (name prefix, how many) in list order; "Sao Mai" is searched, every layout has at
        # least three pages of matches, and two customers share each matching name.
        [("Sao Mai", 70)],  # every name matches
        [("Aaa", 40), ("Sao Mai", 60)],  # the matches after a few names
        [("Aaa", 50), ("Sao Mai", 60), ("Zzz", 20)],  # between other names
        [("Aaa", 120), ("Sao Mai", 60), ("Zzz", 10)],  # far down the list
        [("Aaa", 30), ("Sao Mai", 3), ("Bbb", 30), ("Sao Mai x", 60)],  # in two blocks
    ],
    ids=["dense", "after-a-few", "in-the-middle", "far-down", "two-blocks"],
)
def test_customer_search_pages_every_match_once_both_ways(alice_client, alpha, layout):
    # Every match on exactly one page, in (name, id) order, forwards and back, and no other
    # partner's customer nor a non-match. On PostgreSQL the page's ids are found first, then
    # its rows (keyset_page's keys_first).
    customers = make_customers(alpha, [f"{p} {i // 2:03d}" for p, n in layout for i in range(n)])
    other = PartnerFactory()
    theirs = CustomerFactory(name="Sao Mai 000", owner=other)
    CustomerOwnership.objects.create(customer=theirs, partner=other)

    with CaptureQueriesContext(connection) as queries:
        forwards, backwards = walk_both_ways(alice_client, "/customers/", {"q": "sao mai"})

    expected = sorted((c.name, c.pk) for c in customers if "Sao Mai" in c.name)
    assert [(c.name, c.pk) for page in forwards for c in page] == expected
    assert len(forwards) >= 3 and all(len(page) == 25 for page in forwards[:-1])
    assert [[c.pk for c in page] for page in backwards] == [
        [c.pk for c in page] for page in forwards
    ]
    if connection.vendor == "postgresql":
        assert any("= ANY(ARRAY(" in q["sql"] for q in queries.captured_queries)


def test_customer_search_by_tax_code_pages_both_ways(alice_client, alpha):
    # The start of a tax code: its index, not the names; the order is still the list's.
    names = [f"Công ty {i % 7}" for i in range(90)]
    customers = make_customers(
        alpha, names, {i: f"{'05' if i % 3 else '06'}{i:08d}" for i in range(90)}
    )

    forwards, backwards = walk_both_ways(alice_client, "/customers/", {"q": "050"})

    expected = sorted((c.name, c.pk) for c in customers if c.tax_code.startswith("050"))
    assert [(c.name, c.pk) for page in forwards for c in page] == expected
    assert len(forwards) == 3
    assert [[c.pk for c in page] for page in backwards] == [
        [c.pk for c in page] for page in forwards
    ]


def test_customer_search_with_no_match_shows_no_rows_and_no_links(alice_client, alpha):
    make_customers(alpha, [f"Aaa {i:03d}" for i in range(30)])

    page = alice_client.get("/customers/", {"q": "zebra"}).context["page"]

    assert (page.rows, page.next_cursor, page.previous_cursor) == ([], "", "")


# --- bad input ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "cursor",
    ["abc", "", "x" * 5000, "eyJzIjoiZGVhbHMifQ:1abc:sig", "%00", "../../etc"],
)
def test_deal_list_forged_cursor_gives_the_first_page(alice_client, alpha, alice, cursor):
    make_deals(alpha, alice, 30)
    first = titles(alice_client.get("/deals/"))

    response = alice_client.get("/deals/", {"cursor": cursor})

    assert response.status_code == 200
    assert titles(response) == first


def test_a_cursor_from_another_sort_or_filter_gives_the_first_page(alice_client, alpha, alice):
    make_deals(alpha, alice, 30, approved=True, stage="proposal")
    by_value = alice_client.get("/deals/", {"sort": "value"}).context["page"].next_cursor

    other_sort = alice_client.get("/deals/", {"sort": "close", "cursor": by_value})
    other_filter = alice_client.get(
        "/deals/", {"sort": "value", "stage": "proposal", "cursor": by_value}
    )

    assert titles(other_sort) == titles(alice_client.get("/deals/", {"sort": "close"}))
    assert titles(other_filter) == titles(
        alice_client.get("/deals/", {"sort": "value", "stage": "proposal"})
    )


def test_another_partners_cursor_never_shows_their_rows(client, alpha, alice, beta, bob):
    make_deals(alpha, alice, 3)
    beta_deals = make_deals(beta, bob, 30)
    client.force_login(bob)
    bobs_cursor = client.get("/deals/").context["page"].next_cursor
    client.force_login(alice)

    response = client.get("/deals/", {"cursor": bobs_cursor})

    assert response.status_code == 200
    assert set(titles(response)) == set(
        Deal.objects.filter(partner=alpha).values_list("title", flat=True)
    )
    assert not {d.pk for d in response.context["page"].rows} & {d.pk for d in beta_deals}


def test_a_stale_cursor_still_pages_after_its_row_is_gone(alice_client, alpha, alice):
    deals = make_deals(alpha, alice, 30)
    first = alice_client.get("/deals/", {"sort": "value"})
    last_on_page = first.context["page"].rows[-1]
    Deal.objects.filter(pk=last_on_page.pk).delete()

    second = alice_client.get(
        "/deals/", {"sort": "value", "cursor": first.context["page"].next_cursor}
    )

    assert second.status_code == 200
    assert len(titles(second)) == len(deals) - 25


@pytest.mark.parametrize("sort", ["bogus", "-id", "title", "customer__name", "'; drop"])
def test_unknown_sort_gives_the_default_order(alice_client, alpha, alice, sort):
    make_deals(alpha, alice, 5)
    response = alice_client.get("/deals/", {"sort": sort})
    assert response.status_code == 200
    assert titles(response) == titles(alice_client.get("/deals/"))


@pytest.mark.parametrize("q", ["a", "ab", " x ", "%", "_"])
def test_a_too_short_search_says_so_and_shows_the_list(alice_client, alpha_deal, q):
    response = alice_client.get("/deals/", {"q": q})
    assert response.status_code == 200
    assert titles(response) == [alpha_deal.title]
    assert "Type at least 3 characters to search." in response.content.decode()


@pytest.mark.parametrize("url", ["/deals/", "/customers/"])
@pytest.mark.parametrize("q", ["%%%", "___", "a_b", "10%", "x" * 10_000])
def test_odd_searches_are_literal_and_never_fail(alice_client, alpha, alice, beta, bob, url, q):
    DealFactory(partner=alpha, created_by=alice, title="Plain deal")
    DealFactory(partner=beta, created_by=bob, title="Beta 10% off a_b___")

    response = alice_client.get(url, {"q": q})

    assert response.status_code == 200
    assert list(response.context["page"].rows) == []


def test_percent_and_underscore_match_only_themselves(alice_client, alpha, alice):
    DealFactory(partner=alpha, created_by=alice, title="Save 10% now")
    DealFactory(partner=alpha, created_by=alice, title="Save 100 now")
    DealFactory(partner=alpha, created_by=alice, title="a_b_c project")
    DealFactory(partner=alpha, created_by=alice, title="axbxc project")

    assert titles(alice_client.get("/deals/", {"q": "10%"})) == ["Save 10% now"]
    assert titles(alice_client.get("/deals/", {"q": "a_b"})) == ["a_b_c project"]


def test_search_by_tax_code_prefix_and_customer_name(alice_client, alpha, alice, beta, bob):
    ours = DealFactory(
        partner=alpha,
        created_by=alice,
        title="Kho",
        customer=CustomerFactory(name="Công ty Sông Hồng", tax_code="0312349999"),
    )
    # Beta's deal with the same customer must not appear for Alice.
    DealFactory(partner=beta, created_by=bob, title="Beta Kho", customer=ours.customer)

    assert titles(alice_client.get("/deals/", {"q": "031234"})) == ["Kho"]
    assert titles(alice_client.get("/deals/", {"q": "sông hồng"})) == ["Kho"]
    assert titles(alice_client.get("/deals/", {"q": "349999"})) == []  # prefix, not contains


def test_digits_search_titles_and_tax_codes_as_the_customers_search_does(
    alice_client, alpha, alice
):
    # Digits alone are the start of a tax code on every search (partners.selectors
    # customer_match): a customer's name holding them is no match, a title holding them is.
    numbered = CustomerFactory(name="Công ty 2025 Việt", tax_code="0399990000", owner=alpha)
    CustomerOwnership.objects.create(customer=numbered, partner=alpha)
    DealFactory(partner=alpha, created_by=alice, title="Kho", customer=numbered)
    DealFactory(partner=alpha, created_by=alice, title="Hợp đồng 2025-07")
    DealFactory(
        partner=alpha,
        created_by=alice,
        title="Sao",
        customer=CustomerFactory(name="An Phát", tax_code="2025000000"),
    )

    found = titles(alice_client.get("/deals/", {"q": "2025"}))
    customers = alice_client.get("/customers/", {"q": "2025"}).context["page"].rows

    assert sorted(found) == ["Hợp đồng 2025-07", "Sao"]
    assert customers == []
    assert titles(alice_client.get("/deals/", {"q": "2025 Việt"})) == ["Kho"]  # words: the name


# --- query counts, flat in rows, depth and history ------------------------------------------------


def count_queries(client, url, params=None, **extra):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, params or {}, **extra)
    assert response.status_code == 200, url
    return len(queries)


def test_deal_list_query_count_is_flat_in_rows_and_depth(alice_client, alpha, alice):
    make_deals(alpha, alice, 3)
    few = count_queries(alice_client, "/deals/")
    make_deals(alpha, alice, 60)
    first = alice_client.get("/deals/", {"sort": "value"})
    deep_cursor = (
        alice_client.get("/deals/", {"sort": "value", "cursor": first.context["page"].next_cursor})
        .context["page"]
        .next_cursor
    )

    many = count_queries(alice_client, "/deals/")
    deep = count_queries(alice_client, "/deals/", {"sort": "value", "cursor": deep_cursor})
    searched = count_queries(alice_client, "/deals/", {"q": "deal", "stage": "prospect"})
    partial = count_queries(alice_client, "/deals/", HTTP_HX_REQUEST="true")

    assert few == many == deep
    assert max(many, deep, searched, partial) <= MAX_QUERIES


def test_dashboard_query_count_is_flat_in_history(alice_client, alpha, alice):
    deal = DealFactory(partner=alpha, created_by=alice, approved=True, stage="proposal")
    few = count_queries(alice_client, "/")
    for deal in make_deals(alpha, alice, 20, approved=True, stage="proposal"):
        change_stage(deal, Deal.Stage.NEGOTIATION, by=alice)

    assert count_queries(alice_client, "/") == few <= MAX_QUERIES


def test_deal_detail_query_count_is_flat_in_timeline_length(alice_client, alpha_deal, alice):
    few = count_queries(alice_client, f"/deals/{alpha_deal.pk}/")
    now = timezone.now()
    StageChange.objects.bulk_create(
        StageChange(deal=alpha_deal, partner=alpha_deal.partner, to_stage="negotiation", by=alice,
                    at=now - timedelta(minutes=i))
        for i in range(200)
    )  # fmt: skip
    Note.objects.bulk_create(
        Note(deal=alpha_deal, author=alice, text=f"note {i}", created_at=now - timedelta(seconds=i))
        for i in range(200)
    )

    many = count_queries(alice_client, f"/deals/{alpha_deal.pk}/")

    assert few == many <= MAX_QUERIES


def test_deal_detail_shows_the_newest_entries_and_more_on_request(alice_client, alpha_deal, alice):
    now = timezone.now()
    Note.objects.bulk_create(
        Note(
            deal=alpha_deal,
            author=alice,
            text=f"note {i:03d}",
            created_at=now - timedelta(minutes=i),
        )
        for i in range(50)
    )

    page = alice_client.get(f"/deals/{alpha_deal.pk}/")
    more = alice_client.get(f"/deals/{alpha_deal.pk}/", {"entries": page.context["timeline_more"]})
    silly = alice_client.get(f"/deals/{alpha_deal.pk}/", {"entries": "lots"})

    assert len(page.context["timeline"]) == 20
    assert page.context["timeline"][0].obj.text == "note 000"
    assert "Show older entries" in page.content.decode()
    assert len(more.context["timeline"]) == 40
    assert silly.status_code == 200 and len(silly.context["timeline"]) == 20


def test_discount_and_customer_lists_query_counts_are_flat(alice_client, alpha, alice, vserver):
    def win_one(i):
        deal = DealFactory(
            partner=alpha, created_by=alice, approved=True, stage="proposal",
            rates={vserver: Decimal("10")},
        )  # fmt: skip
        change_stage(deal, Deal.Stage.WON, by=alice)

    win_one(0)
    few = [count_queries(alice_client, url) for url in ("/discounts/", "/customers/")]
    discount = Discount.objects.get()
    detail_few = count_queries(alice_client, f"/discounts/{discount.pk}/")
    for i in range(30):
        win_one(i + 1)

    many = [count_queries(alice_client, url) for url in ("/discounts/", "/customers/")]
    searched = count_queries(alice_client, "/customers/", {"q": "công"})

    assert few == many
    assert max(*many, searched, detail_few) <= MAX_QUERIES


def test_passed_on_counts_only_active_customer_discounts(alice_client, alpha, alice, vserver):
    from discounts.services import create_customer_discount, revoke_customer_discount

    deal = DealFactory(partner=alpha, created_by=alice, approved=True, stage="proposal")
    change_stage(deal, Deal.Stage.WON, by=alice)
    discount = deal.discount
    kept = create_customer_discount(
        discount, by=alice, customer=deal.customer, rates={vserver: Decimal("5")},
        valid_from=discount.valid_from, valid_until=discount.valid_until,
    )  # fmt: skip
    revoke_customer_discount(kept, by=alice)
    create_customer_discount(
        discount, by=alice, customer=deal.customer, rates={vserver: Decimal("5")},
        valid_from=discount.valid_from, valid_until=discount.valid_until,
    )  # fmt: skip

    row = alice_client.get("/discounts/").context["page"].rows[0]

    assert row.passed_on == 1
