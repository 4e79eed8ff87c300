"""Staff's change lists at scale (issue 22): no full count, at most 12 queries, Django's URL
parameters still filter and sort, the indexed searches find by title, customer and tax code.

Runs on SQLite and PostgreSQL alike; bench/pages.py measures the speed at a million deals.
"""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from deals.admin import DealAdmin
from deals.models import Deal, Note, StageChange
from deals.services import change_stage
from discounts.admin import DiscountAdmin
from discounts.models import Discount
from notifications.models import Activity, Delivery, Event
from partners.admin import CustomerAdmin
from partners.models import Customer, Partner, User
from tests.built_once import built_once
from tests.factories import (
    ContractFactory,
    CustomerFactory,
    DealFactory,
    MembershipFactory,
    PartnerFactory,
    ProductFactory,
)
from web.paging import _table_sizes

pytestmark = pytest.mark.django_db

MAX_QUERIES = 12


def analyze_customers():
    """The customers' statistics, as autovacuum keeps them (PostgreSQL; nothing on SQLite)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE partners_customer")
        _table_sizes.clear()  # the size this process read before the analysis


def probed_customers(queries) -> bool:
    """Whether the customers matching a search were read (the probe: at most the cap + 1)."""
    return any(
        q["sql"].startswith('SELECT "partners_customer"."id" AS "pk" FROM')
        and " LIMIT " in q["sql"]
        for q in queries
    )


LISTS = (
    "/admin/deals/deal/",
    "/admin/deals/deal/?status__exact=pending",
    "/admin/deals/deal/?stage__exact=proposal",
    "/admin/deals/deal/?closed_at__isempty=1",
    "/admin/deals/deal/?o=-7",
    "/admin/deals/deal/?o=1",
    "/admin/deals/deal/?q=Sao+Mai",
    "/admin/deals/deal/?q=800",
    "/admin/deals/deal/?p=2",
    "/admin/discounts/discount/",
    "/admin/discounts/discount/?current_status=expired",
    "/admin/discounts/discount/?current_status=active&q=Sao+Mai",
    "/admin/discounts/customerdiscount/",
    "/admin/partners/customer/",
    "/admin/partners/customer/?q=Sao+Mai",
    "/admin/partners/customer/?q=800",
    "/admin/partners/customerownership/",
    "/admin/partners/customerownership/?ended_at__isempty=1",
    "/admin/notifications/event/",
    "/admin/notifications/event/?kind__exact=deal_won",
    "/admin/notifications/event/?q=Sao+Mai",
    "/admin/notifications/delivery/",
    "/admin/notifications/delivery/?status__exact=failed",
    "/admin/notifications/webhookdelivery/",
    "/admin/notifications/webhookdelivery/?status__exact=failed",
    "/admin/notifications/activity/",
    "/admin/notifications/activity/?action=team.role_changed",
    "/admin/deals/stagechange/",
    "/admin/deals/note/",
)


@pytest.fixture
def staff_client(client, staff):
    client.force_login(staff)
    return client


def count_queries(sql: list[str]) -> list[str]:
    return [q for q in sql if q.lstrip().upper().startswith("SELECT COUNT(")]


def rows(response) -> list:
    return list(response.context["cl"].result_list)


def test_deal_change_page_shows_the_newest_20_entries_and_links_to_all(
    staff_client, alpha_deal, alice
):
    now = timezone.now()
    StageChange.objects.bulk_create(
        StageChange(
            deal=alpha_deal,
            partner=alpha_deal.partner,
            from_stage="proposal",
            to_stage="negotiation",
            by=alice,
            at=now - timedelta(minutes=i),
            note=f"entry {i}",
        )
        for i in range(60)
    )
    Note.objects.bulk_create(
        Note(deal=alpha_deal, author=alice, text=f"note {i}") for i in range(30)
    )
    url = f"/admin/deals/deal/{alpha_deal.pk}/change/"

    with CaptureQueriesContext(connection) as queries:
        response = staff_client.get(url)

    assert response.status_code == 200
    assert len(queries) <= MAX_QUERIES, [q["sql"][:120] for q in queries]
    html = response.content.decode()
    assert "entry 0" in html and "entry 19" in html and "entry 20" not in html
    assert f"/admin/deals/stagechange/?deal__id__exact={alpha_deal.pk}" in html
    assert f"/admin/deals/note/?deal__id__exact={alpha_deal.pk}" in html
    everything = staff_client.get(f"/admin/deals/stagechange/?deal__id__exact={alpha_deal.pk}")
    assert everything.status_code == 200
    assert (
        everything.context["cl"].result_count == StageChange.objects.filter(deal=alpha_deal).count()
    )


def test_every_newest_inline_links_to_a_list_of_all_its_parents_rows(rf, staff):
    """A history table shows 20 rows and links to the list of all of them: that list must
    exist and filter by the same parent (a statement's 21st message, a cloud account's 21st
    link made their pages fail on the link)."""
    from django.contrib import admin

    from web.admin import InlineListAdmin, NewestInline

    inlines = [
        (inline, parent)
        for parent, model_admin in admin.site._registry.items()
        for inline in model_admin.inlines
        if issubclass(inline, NewestInline)
    ]
    assert len(inlines) >= 7
    request = rf.get("/")
    request.user = staff
    for inline, parent in inlines:
        listing = admin.site._registry.get(inline.model)
        fk = next(f for f in inline.model._meta.fields if f.related_model is parent)
        assert listing is not None, inline
        assert listing.lookup_allowed(f"{fk.name}__id__exact", "1", request), inline
        if isinstance(listing, InlineListAdmin):
            assert listing.parent_field == fk.name, inline


@pytest.mark.parametrize(
    ("url", "table", "index"),
    [
        (
            "/admin/statements/consumption/?source__exact=import",
            "statements_consumption",
            "consumption_source_day_id",
        ),
        (
            "/admin/notifications/delivery/?channel__exact=email",
            "notifications_delivery",
            "delivery_channel_created_id",
        ),
        (
            "/admin/notifications/activity/?via=admin",
            "notifications_activity",
            "activity_via_created_id",
        ),
    ],
)
def test_a_rare_filter_value_reads_its_page_from_an_index_in_the_lists_order(
    staff_client, url, table, index
):
    """A filter on a column of a few values whose chosen value is rare (imported consumption
    among millions of rows from billing) read the table to its end: 0.2-1.1 s at programme
    scale. Its page and capped count are served by an index that starts with the column and
    goes on in the list's order (asked with the table scan switched off: a test database is
    small enough to read whole)."""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: only there is a planner asked")
    with CaptureQueriesContext(connection) as queries:
        assert staff_client.get(url).status_code == 200
    page = [q["sql"] for q in queries if f'FROM "{table}"' in q["sql"] and "ORDER BY" in q["sql"]]
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + page[0])
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert index in plan, plan


def test_more_than_the_cap_says_so(staff_client, alpha, alice, monkeypatch):
    monkeypatch.setattr("web.paging.COUNT_CAP", 10)
    monkeypatch.setattr("web.admin.COUNT_CAP", 10)
    for i in range(12):
        DealFactory(partner=alpha, created_by=alice, title=f"Deal {i}")

    response = staff_client.get("/admin/deals/deal/")

    assert response.context["cl"].paginator.count_capped is True
    assert "More than 10" in response.content.decode()


def test_favicon_is_the_portals_mark(client, staff_client):
    from django.contrib.staticfiles import finders

    response = client.get("/favicon.ico")
    page = staff_client.get("/admin/")

    assert response.status_code in (301, 302)
    assert response["Location"] == "/static/brand/mark.svg"
    assert finders.find("brand/mark.svg")
    assert 'rel="icon" href="/static/brand/mark.svg"' in page.content.decode()


def test_admin_is_grouped_by_staff_task_in_vietnamese(staff_client, settings):
    staff_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "vi"

    html = staff_client.get("/admin/").content.decode()

    from django.utils import translation

    from partner_portal.admin_nav import GROUPS, SYSTEM

    with translation.override("vi"):
        names = [str(name) for _a, name, _m in GROUPS] + [str(SYSTEM[1])]
    assert names[:3] == ["Đối tác", "Cơ hội", "Chiết khấu"] and names[-1] == "Hệ thống"
    for group in names:
        assert f">{group}</a>" in html, group
    # The libraries' names, once English (ACCOUNTS, AXES, MFA, Authenticators).
    assert "Ứng dụng xác thực" in html
    for english in (">Authenticators<", ">MFA<", ">Axes<", "Toggle theme"):
        assert english not in html, english


def test_admin_list_shows_money_and_dates_as_the_portal(staff_client, alpha_deal, settings):
    staff_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "vi"

    html = staff_client.get("/admin/deals/deal/").content.decode()

    assert "100.000.000" in html
    assert "100000000" not in html
    assert timezone.localtime(alpha_deal.updated_at).strftime("%H:%M %d/%m/%Y") in html
    assert "Ngày" not in html


# The lists with rows in `programme` (no expired discounts, customer discounts, deliveries or
# notes there).
LISTS_WITH_ROWS = tuple(
    url
    for url in LISTS
    if not any(
        empty in url
        for empty in ("expired", "active&q", "customerdiscount", "event/?q", "deliver", "note")
    )
)


class TestAtScale:
    """Two partners, 30 deals each (more than a page), a third of them won, the history and
    events that come with them, and an activity-log entry per deal: built once for the class
    (tests/built_once.py); each test reads it in a savepoint of its own."""

    @pytest.fixture(scope="class")
    @classmethod
    def _programme(cls, django_db_setup, django_db_blocker, tmp_path_factory):
        with built_once(django_db_blocker, tmp_path_factory):
            alpha, beta = (
                PartnerFactory(name="Alpha Cloud Solutions"),
                PartnerFactory(name="Beta Integration JSC"),
            )
            ContractFactory(partner=alpha)
            ContractFactory(partner=beta)
            alice = MembershipFactory(
                partner=alpha, user__email="alice@alpha.test", role="admin"
            ).user
            bob = MembershipFactory(partner=beta, user__email="bob@beta.test", role="admin").user
            ProductFactory(code="vserver", name="vServer")
            for n, (partner, user) in enumerate(((alpha, alice), (beta, bob))):
                for i in range(30):
                    customer = CustomerFactory(
                        name=f"Công ty {'Sao Mai' if i % 3 else 'Hoa Sen'} {partner.pk}-{i}",
                        tax_code=f"8{n:03d}{i:06d}",  # 10 digits whatever the ids
                    )
                    deal = DealFactory(
                        partner=partner,
                        customer=customer,
                        created_by=user,
                        title=f"Cloud migration {partner.pk}-{i}",
                        estimated_value=Decimal(1_000_000 * (i + 1)),
                        approved=i % 4 != 0,
                        stage="proposal" if i % 4 else "prospect",
                    )
                    if i % 3 == 0 and deal.status == Deal.Status.APPROVED:
                        change_stage(deal, Deal.Stage.WON, by=user)
                    Activity.objects.create(
                        actor=user,
                        partner=partner,
                        action="team.role_changed",
                        object_repr=user.email,
                    )
            assert Deal.objects.count() == 60
            yield {"alpha": alpha.pk, "beta": beta.pk, "alice": alice.pk, "bob": bob.pk}

    # The personas of tests/conftest.py, as the programme made them, fetched afresh per test.
    @pytest.fixture
    def programme(self, db, _programme):
        return timezone.localdate()

    @pytest.fixture
    def alpha(self, programme, _programme):
        return Partner.objects.get(pk=_programme["alpha"])

    @pytest.fixture
    def alice(self, programme, _programme):
        return User.objects.get(pk=_programme["alice"])

    @pytest.fixture
    def bob(self, programme, _programme):
        return User.objects.get(pk=_programme["bob"])

    @pytest.mark.parametrize("url", LISTS)
    def test_change_list_counts_no_more_than_the_cap_in_at_most_12_queries(
        self, staff_client, programme, url
    ):
        with CaptureQueriesContext(connection) as queries:
            response = staff_client.get(url)

        assert response.status_code == 200
        assert len(queries) <= MAX_QUERIES, [q["sql"][:120] for q in queries]
        # Every count stops at COUNT_CAP + 1 rows: a LIMIT inside it, never the whole table.
        counts = count_queries([q["sql"] for q in queries])
        assert all(" LIMIT " in sql for sql in counts), counts

    def test_deal_list_query_count_is_flat_in_the_rows(self, staff_client, programme, alpha, alice):
        with CaptureQueriesContext(connection) as before:
            staff_client.get("/admin/deals/deal/")
        for i in range(40):
            DealFactory(partner=alpha, created_by=alice, title=f"More {i}")
        with CaptureQueriesContext(connection) as after:
            staff_client.get("/admin/deals/deal/")

        assert len(after) == len(before)

    @pytest.mark.parametrize("page", ["", "&p=2"])
    def test_deal_list_counts_deals_alone_and_flags_its_page(self, staff_client, programme, page):
        """The conflict flag is worked out for the page's rows only: the count never joins
        every counted deal's customer (the flag's subquery reads its tax code)."""
        with CaptureQueriesContext(connection) as queries:
            response = staff_client.get(f"/admin/deals/deal/?stage__exact=proposal{page}")

        counts = count_queries([q["sql"] for q in queries])
        assert counts and all('"partners_customer"' not in sql for sql in counts), counts
        shown = rows(response)
        assert shown and all(isinstance(deal.has_conflict, bool) for deal in shown)
        assert {deal.stage for deal in shown} == {Deal.Stage.PROPOSAL}

    def test_deal_list_keeps_djangos_filter_parameters(self, staff_client, programme, alpha):
        pending = rows(staff_client.get("/admin/deals/deal/?status__exact=pending"))
        proposal = rows(staff_client.get("/admin/deals/deal/?stage__exact=proposal"))
        by_alpha = rows(staff_client.get(f"/admin/deals/deal/?partner__id__exact={alpha.pk}&p=2"))

        assert pending and {d.status for d in pending} == {Deal.Status.PENDING}
        assert proposal and {d.stage for d in proposal} == {Deal.Stage.PROPOSAL}
        # Page 2 of Alpha's 30 deals: the 5 after the first 25.
        assert len(by_alpha) == 5 and {d.partner_id for d in by_alpha} == {alpha.pk}

    def test_deal_list_sorts_by_value_both_ways_and_ignores_unindexed_columns(
        self, staff_client, programme
    ):
        ascending = rows(staff_client.get("/admin/deals/deal/?o=7"))
        descending = rows(staff_client.get("/admin/deals/deal/?o=-7"))
        by_partner = staff_client.get("/admin/deals/deal/?o=3")

        values = [d.estimated_value for d in Deal.objects.all()]
        assert [d.estimated_value for d in ascending] == sorted(values)[:25]
        assert [d.estimated_value for d in descending] == sorted(values, reverse=True)[:25]
        # The partner column has no index over all deals: not offered as a sort, and a hand-made
        # ?o= for it is ignored (the default order), never a slow sort.
        assert by_partner.status_code == 200
        assert by_partner.context["cl"].get_ordering_field_columns() == {}

    def test_deal_search_finds_by_title_customer_name_and_tax_code(
        self, staff_client, programme, alpha
    ):
        deal = Deal.objects.filter(partner=alpha).select_related("customer").order_by("pk")[7]

        by_title = rows(staff_client.get("/admin/deals/deal/", {"q": deal.title}))
        by_name = rows(staff_client.get("/admin/deals/deal/", {"q": deal.customer.name}))
        by_tax_code = rows(
            staff_client.get("/admin/deals/deal/", {"q": deal.customer.tax_code[:9]})
        )
        common = rows(staff_client.get("/admin/deals/deal/", {"q": "Hoa Sen"}))

        assert by_title == [deal]
        assert by_name == [deal]
        assert deal in by_tax_code and all(
            d.customer.tax_code.startswith(deal.customer.tax_code[:9]) for d in by_tax_code
        )
        assert {d.customer.name.split()[2] for d in common} == {"Hoa"}
        assert len(common) == Customer.objects.filter(name__contains="Hoa Sen").count()

    def test_deal_search_lists_the_titled_deals_and_the_named_customers_deals(
        self, staff_client, programme, alpha
    ):
        titled, named = Deal.objects.filter(partner=alpha).order_by("pk")[2:4]
        Deal.objects.filter(pk=titled.pk).update(title="Kho lanh Tan Cang")
        Customer.objects.filter(pk=named.customer_id).update(name="Cong ty Tan Cang Sai Gon")
        theirs = set(
            Deal.objects.filter(customer_id=named.customer_id).values_list("pk", flat=True)
        )

        found = rows(staff_client.get("/admin/deals/deal/", {"q": "Tan Cang"}))
        approved = rows(
            staff_client.get("/admin/deals/deal/", {"q": "Tan Cang", "status__exact": "approved"})
        )

        assert {d.pk for d in found} == {titled.pk} | theirs
        assert {d.pk for d in approved} == {
            d.pk for d in Deal.objects.filter(pk__in={titled.pk} | theirs, status="approved")
        }

    def test_a_search_its_probe_found_whole_is_counted_from_the_probe(
        self, staff_client, programme, alpha
    ):
        """Alpha's 30 customers' tax codes start "8000": the probe found every match, so the
        list shows their number (more than a page) without counting them again; a deal
        found both by its title and by its customer counts once, and the list's filters
        count too."""
        both = Deal.objects.filter(partner=alpha).order_by("pk").first()
        Deal.objects.filter(pk=both.pk).update(title="Order 8000 renewal")
        titled = Deal.objects.exclude(partner=alpha).order_by("pk").first()
        Deal.objects.filter(pk=titled.pk).update(title="Order 8000 for Beta")
        expected = set(
            Deal.objects.filter(customer__tax_code__startswith="8000").values_list("pk", flat=True)
        ) | {titled.pk}

        with CaptureQueriesContext(connection) as queries:
            found = staff_client.get("/admin/deals/deal/", {"q": "8000"})
        sql = [q["sql"] for q in queries]  # read now: the next request empties the log
        approved = staff_client.get(
            "/admin/deals/deal/", {"q": "8000", "status__exact": "approved"}
        )
        last = staff_client.get("/admin/deals/deal/", {"q": "8000", "p": 2})

        assert found.context["cl"].result_count == len(expected) == 31
        assert found.context["cl"].multi_page and not found.context["cl"].paginator.count_capped
        # (The bell's unread count is the page's only count.)
        assert sql and not [q for q in count_queries(sql) if '"deals_deal"' in q]
        assert {d.pk for d in rows(found) + rows(last)} == expected
        assert approved.context["cl"].result_count == len(
            Deal.objects.filter(pk__in=expected, status="approved")
        )
        assert {d.pk for d in rows(approved)} <= expected

    def test_deals_found_both_by_title_and_customer_are_counted_once_against_the_cap(
        self, staff_client, programme, alpha, monkeypatch
    ):
        """With a cap of 40, alpha's 30 deals of "8000" customers, 20 of them also titled
        "8000", are 50 rows of the probe but 30 deals: counted, not "more than 40"."""
        for name in ("web.paging", "web.admin", "deals.selectors"):
            monkeypatch.setattr(f"{name}.COUNT_CAP", 40)
        ids = Deal.objects.filter(partner=alpha).order_by("pk").values_list("pk", flat=True)
        Deal.objects.filter(pk__in=list(ids[:20])).update(title="Order 8000")

        found = staff_client.get("/admin/deals/deal/", {"q": "8000"})

        cl = found.context["cl"]
        assert (cl.result_count, cl.paginator.count_capped) == (30, False)
        assert not found.wsgi_request.search_matches_many

    @pytest.mark.parametrize(
        "url",
        [
            "/admin/deals/deal/?p=2",
            "/admin/deals/deal/?o=1&p=2",
            "/admin/deals/deal/?q=Sao+Mai&p=2",
        ],
    )
    def test_a_later_page_is_the_lists_next_rows_in_order(self, staff_client, programme, url):
        first = staff_client.get(url.replace("p=2", "p=1"))
        second = staff_client.get(url)

        cl = second.context["cl"]
        ordered = list(cl.queryset.values_list("pk", flat=True))
        assert [d.pk for d in rows(first)] == ordered[:25]
        assert [d.pk for d in rows(second)] == ordered[25:50]
        assert rows(second)

    def test_common_word_is_not_counted(self, staff_client, programme, monkeypatch):
        # With a cap of 30 a word in 40 of the 60 names is "common": found row by row in list
        # order, the total never counted.
        monkeypatch.setattr("web.paging.COUNT_CAP", 30)
        monkeypatch.setattr("web.admin.COUNT_CAP", 30)

        with CaptureQueriesContext(connection) as queries:
            response = staff_client.get("/admin/deals/deal/", {"q": "Sao Mai"})

        assert len(rows(response)) == 25
        assert all("Sao Mai" in d.customer.name for d in rows(response))
        # The bell's unread count is the only count.
        counts = count_queries([q["sql"] for q in queries])
        assert all("notifications_delivery" in sql for sql in counts), counts
        assert "More than 30 results" in response.content.decode()

    @pytest.mark.parametrize("url", ["/admin/deals/deal/", "/admin/partners/customer/"])
    def test_a_word_the_planner_expects_in_many_names_is_not_probed(
        self, staff_client, programme, monkeypatch, url
    ):
        # A cap of 20, and a word is not probed when expected in as many names as the cap:
        # PostgreSQL, with the names' statistics read, expects "Sao Mai" in 24 of the 60
        # (40 in fact), so no customer is read to find that out; a name in one customer is
        # probed as before. SQLite has no planner to ask: it probes.
        monkeypatch.setattr("web.paging.COUNT_CAP", 20)
        monkeypatch.setattr("web.admin.COUNT_CAP", 20)
        monkeypatch.setattr("web.paging.PLANNED_MANY", 1)
        monkeypatch.setattr(DealAdmin, "list_per_page", 10)
        monkeypatch.setattr(CustomerAdmin, "list_per_page", 10)
        analyze_customers()
        rare = Customer.objects.filter(name__contains="Hoa Sen").order_by("pk").first()

        with CaptureQueriesContext(connection) as queries:
            common = staff_client.get(url, {"q": "Sao Mai"})
        with CaptureQueriesContext(connection) as rare_queries:
            one = staff_client.get(url, {"q": rare.name})

        names = [getattr(row, "customer", row).name for row in rows(common)]
        assert len(names) == 10 and all("Sao Mai" in name for name in names)
        assert "More than 20 results" in common.content.decode()
        assert probed_customers(queries) == (connection.vendor != "postgresql")
        assert probed_customers(rare_queries)
        assert {getattr(row, "customer", row).name for row in rows(one)} == {rare.name}

    def test_a_table_smaller_than_a_common_words_matches_asks_no_planner(
        self, staff_client, programme
    ):
        # 60 customers: no word can be in 10,000 of them (the cap of 1,000, ten times), so
        # the planner is not asked (its EXPLAIN was a round trip more at 1k deals). SQLite
        # has no planner to ask at all: this is PostgreSQL's case.
        if connection.vendor != "postgresql":
            pytest.skip("needs PostgreSQL: only there is a planner asked")
        analyze_customers()

        with CaptureQueriesContext(connection) as queries:
            response = staff_client.get("/admin/deals/deal/", {"q": "Sao Mai"})

        assert rows(response)
        assert not [q for q in queries if q["sql"].startswith("EXPLAIN")]
        assert probed_customers(queries)

    def test_a_common_word_with_few_rows_in_the_list_counts_them(
        self, staff_client, programme, monkeypatch
    ):
        # With a cap of 30, "Sao Mai" (40 customers) and "Công ty" (all 60) are common words:
        # not counted. No "Sao Mai" customer won a deal, so the discount list has no row:
        # "0 results", not "more than 30". With a page of 5, the last page of "Công ty"'s
        # discounts has room left: the total is the rows before it and on it.
        monkeypatch.setattr("web.paging.COUNT_CAP", 30)
        monkeypatch.setattr("web.admin.COUNT_CAP", 30)
        monkeypatch.setattr(DiscountAdmin, "list_per_page", 5)
        discounts = Discount.objects.count()
        last = -(-discounts // 5)
        assert discounts % 5 and last > 1

        none = staff_client.get("/admin/discounts/discount/", {"q": "Sao Mai"})
        short = staff_client.get("/admin/discounts/discount/", {"q": "Công ty", "p": last})
        full = staff_client.get("/admin/discounts/discount/", {"q": "Công ty"})

        assert rows(none) == [] and none.context["cl"].result_count == 0
        assert "0 results" in none.content.decode()
        assert "More than" not in none.content.decode()
        assert len(rows(short)) == discounts % 5
        assert short.context["cl"].result_count == discounts
        assert f"{discounts} results" in short.content.decode()
        assert len(rows(full)) == 5 and full.context["cl"].paginator.count_capped
        assert "More than 30 results" in full.content.decode()

    def test_other_lists_search_and_filter(self, staff_client, programme, alpha):
        customer = Customer.objects.filter(name__contains="Hoa Sen").order_by("pk").first()
        events = rows(staff_client.get("/admin/notifications/event/?kind__exact=deal_won"))
        by_partner = rows(
            staff_client.get(f"/admin/discounts/discount/?partner__id__exact={alpha.pk}")
        )
        customers = rows(staff_client.get("/admin/partners/customer/", {"q": customer.tax_code}))
        by_owner = rows(staff_client.get(f"/admin/partners/customer/?owner__id__exact={alpha.pk}"))
        nested = staff_client.get(
            f"/admin/discounts/customerdiscount/?discount__partner__id__exact={alpha.pk}"
        )

        assert events and {e.kind for e in events} == {Event.Kind.DEAL_WON}
        assert by_partner and {d.partner_id for d in by_partner} == {alpha.pk}
        assert customers == [customer]
        assert by_owner and {c.owner_id for c in by_owner} == {alpha.pk}
        assert nested.status_code == 200

    def test_partner_filter_is_a_search_box_not_a_list_of_every_partner(
        self, staff_client, programme
    ):
        for i in range(30):
            PartnerFactory(name=f"Listed nowhere {i}")

        response = staff_client.get("/admin/deals/deal/")

        html = response.content.decode()
        assert "Listed nowhere" not in html
        assert 'name="partner__id__exact"' in html
        assert "admin-autocomplete" in html

    def test_expired_discounts_come_most_recently_expired_first(self, staff_client, programme):
        from discounts.models import Discount

        today = timezone.localdate()
        won = list(Discount.objects.order_by("pk"))
        for days, discount in enumerate(won, start=1):
            Discount.objects.filter(pk=discount.pk).update(
                valid_from=today - timedelta(days=400), valid_until=today - timedelta(days=days)
            )

        listed = rows(staff_client.get("/admin/discounts/discount/?current_status=expired"))

        assert [d.pk for d in listed] == [d.pk for d in won][: len(listed)]
        assert len(listed) == min(25, len(won))

    def test_delivery_list_finds_by_recipient(self, staff_client, programme, alice, bob):
        for event in Event.objects.all():
            Delivery.objects.create(event=event, channel="in_app", user=alice)
            Delivery.objects.create(event=event, channel="in_app", user=bob)

        found = rows(staff_client.get("/admin/notifications/delivery/", {"q": "alice@alpha"}))

        assert found and {d.user_id for d in found} == {alice.pk}
        assert len(found) == min(25, Delivery.objects.filter(user=alice).count())
        # A full page read with only the columns it shows (list_columns), none read again.
        with CaptureQueriesContext(connection) as queries:
            page = staff_client.get("/admin/notifications/delivery/")
        assert len(rows(page)) == 25
        assert len(queries) <= MAX_QUERIES, [q["sql"][:120] for q in queries]

    @pytest.mark.parametrize("url", LISTS_WITH_ROWS)
    def test_change_list_rows_are_djangos_markup(self, staff_client, programme, url):
        from django.contrib.admin.templatetags.admin_list import results

        response = staff_client.get(url)

        cl = response.context["cl"]
        djangos = ["".join(row) for row in results(cl)]
        html = response.content.decode()
        assert djangos, url
        # Each row as Django's own items_for_result makes it, links and kept filters included.
        for row in djangos:
            assert f"<tr>{row}</tr>" in html
        assert html.count("<tr>") == len(djangos) + 1  # the header row

    def test_action_box_is_djangos_markup(self, staff_client, programme):
        from django import forms

        response = staff_client.get("/admin/deals/deal/")

        bound = response.context["action_form"]["action"]
        ours = str(bound)
        widget = bound.field.widget
        widget.render = forms.Select.render.__get__(widget)  # Django's own, through its templates
        assert ours == str(bound)
        assert ours in response.content.decode() and 'value="approve_selected"' in ours


@pytest.mark.parametrize("selected", [False, True])
def test_autocomplete_filter_box_is_djangos_markup(staff_client, alpha, selected):
    from admin_auto_filters.filters import AutocompleteSelect
    from django import forms
    from django.contrib import admin

    from web.admin import FastAutocompleteSelect

    def render(widget_class):
        box = widget_class(Deal._meta.get_field("partner"), admin.site)
        field = forms.ModelChoiceField(
            queryset=type(alpha).objects.all(), widget=box, required=False
        )
        widget = field.widget
        attrs = {"id": "id-partner__id__exact-dal-filter"}
        return widget.render("partner__id__exact", str(alpha.pk) if selected else "", attrs)

    fast = render(FastAutocompleteSelect)

    assert fast == render(AutocompleteSelect)
    assert (f'<option value="{alpha.pk}" selected>' in fast) is selected
    page = staff_client.get(
        "/admin/deals/deal/", {"partner__id__exact": alpha.pk} if selected else {}
    )
    assert fast in page.content.decode()


def test_deal_change_page_management_forms_are_djangos_markup(staff_client, alpha_deal):
    from django.forms.formsets import BaseFormSet

    response = staff_client.get(f"/admin/deals/deal/{alpha_deal.pk}/change/")

    html = response.content.decode()
    formsets = [inline.formset for inline in response.context["inline_admin_formsets"]]
    assert len(formsets) == 4
    for formset in formsets:
        djangos = str(BaseFormSet.management_form.func(formset))
        ours = formset.management_form
        assert type(ours).__name__ == "_QuickManagementForm"
        assert str(ours) == djangos and ours.__html__() == djangos
        assert djangos in html


def test_review_queue_filter_boxes_are_djangos_markup(staff_client, alpha, vserver):
    from django import forms
    from django.contrib import admin

    from deals.admin_views import QueueFilterForm

    form = QueueFilterForm({"partner": alpha.pk, "product": vserver.pk}, site=admin.site)
    ours = [str(form["partner"]), str(form["product"])]
    for name in ("partner", "product"):
        # Django's own Select.render over the same widget: its templates.
        field = form.fields[name]
        field.widget.render = forms.Select.render.__get__(field.widget)
    djangos = [str(form["partner"]), str(form["product"])]

    assert ours == djangos
    assert f'<option value="{vserver.pk}" selected>' in ours[1]
    page = staff_client.get("/admin/review/", {"partner": alpha.pk, "product": vserver.pk})
    assert ours[1] in page.content.decode()


def test_review_queue_partner_box_draws_the_partner_it_cleaned_without_reading_it_again(alpha):
    from django.contrib import admin

    from deals.admin_views import QueueFilterForm

    form = QueueFilterForm({"partner": alpha.pk}, site=admin.site)
    with CaptureQueriesContext(connection) as queries:
        ours = str(form["partner"])
    reads = [q["sql"] for q in queries.captured_queries if '"partners_partner"' in q["sql"]]
    widget = form.fields["partner"].widget
    widget.known, widget.known_valid = None, False
    djangos = str(form["partner"])  # admin's own optgroups: it reads the partner to draw it

    assert len(reads) == 1, reads  # the clean; the box draws the row the clean found
    assert ours == djangos
    assert f'<option value="{alpha.pk}" selected>{alpha.name}</option>' in ours


def test_review_queue_partner_box_never_draws_a_partner_it_did_not_clean(alpha):
    """A sandbox is no choice of the queue's partner box: nothing known, nothing selected."""
    from django.contrib import admin

    from deals.admin_views import QueueFilterForm

    sandbox = PartnerFactory(name="Alpha [sandbox]", sandbox_of=alpha)
    form = QueueFilterForm({"partner": sandbox.pk}, site=admin.site)

    html = str(form["partner"])

    assert not form.is_valid()
    assert "selected" not in html and sandbox.name not in html


def _fieldsets_both_ways(response) -> tuple[str, str]:
    """The page's fieldsets through Django's `admin/includes/fieldset.html` and through
    `{% scale_fieldset %}`, as the change form includes them."""
    from django.template import Context, Template

    context = Context({"adminform": response.context["adminform"]})
    djangos = Template(
        '{% for fieldset in adminform %}{% include "admin/includes/fieldset.html" with'
        ' heading_level=2 prefix="fieldset" id_prefix=0 id_suffix=forloop.counter0 %}'
        "{% endfor %}"
    ).render(context)
    ours = Template(
        "{% load admin_rows %}{% for fieldset in adminform %}{% scale_fieldset fieldset"
        ' heading_level=2 prefix="fieldset" id_prefix=0 id_suffix=forloop.counter0 %}'
        "{% endfor %}"
    ).render(context)
    return djangos, ours


@pytest.mark.parametrize("language", ["en", "vi"])
def test_deal_change_page_fieldsets_are_djangos_markup(staff_client, alpha_deal, language):
    from django.utils import translation

    response = staff_client.get(f"/admin/deals/deal/{alpha_deal.pk}/change/")
    with translation.override(language):
        djangos, ours = _fieldsets_both_ways(response)

    assert 'class="readonly"' in ours and 'name="title"' in ours
    assert ours == djangos
    html = response.content.decode()
    page_language = _fieldsets_both_ways(response)[1]
    assert all(fieldset in html for fieldset in page_language.split("</fieldset>\n"))


def test_closed_and_refused_deal_fieldsets_are_djangos_markup(staff_client, alpha_deal, vserver):
    page = f"/admin/deals/deal/{alpha_deal.pk}/change/"
    form = staff_client.get(page).context["adminform"].form
    data = {name: "" for name in form.fields} | {"estimated_value": "not a number"}
    # An invalid post: the fields' errors shown in the same markup.
    response = staff_client.post(page, data)
    djangos, ours = _fieldsets_both_ways(response)
    assert "errorlist" in ours
    assert ours == djangos

    from django.utils import timezone

    alpha_deal.__class__.objects.filter(pk=alpha_deal.pk).update(
        stage="lost", closed_at=timezone.now()
    )
    response = staff_client.get(page)
    djangos, ours = _fieldsets_both_ways(response)
    assert 'name="title"' not in ours
    assert ours == djangos


def test_deal_change_page_autocomplete_boxes_are_djangos_markup(
    staff_client, alpha_deal, monkeypatch
):
    """The customer box and the rules' product boxes (FastAutocompleteSelect): the page is
    the same as with Django's AutocompleteSelect rendering them through its templates."""
    import re

    from django import forms

    from web.admin import FastAutocompleteSelect

    page = f"/admin/deals/deal/{alpha_deal.pk}/change/"

    def html():
        content = staff_client.get(page).content.decode()
        return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", content)

    form = staff_client.get(page).context["adminform"].form
    assert isinstance(form.fields["customer"].widget.widget, FastAutocompleteSelect)
    ours = html()
    monkeypatch.setattr(FastAutocompleteSelect, "render", forms.Widget.render)
    djangos = html()
    assert ours.count('class="admin-autocomplete') >= 3  # customer, a rule, the empty rule
    assert ours == djangos


# The history inlines' template before `{% newest_inline %}` wrote it out (a loop per cell).
NEWEST_LOOP = """{% load i18n admin_urls %}{% with formset=inline_admin_formset.formset %}
<div class="inline-group" id="{{ formset.prefix }}-group">
  <div class="tabular inline-related last-related">
{{ formset.management_form }}
<fieldset class="module {{ inline_admin_formset.classes }}" aria-labelledby="{{ formset.prefix }}-heading">
  <h2 id="{{ formset.prefix }}-heading" class="inline-heading">{{ inline_admin_formset.opts.verbose_name_plural|capfirst }}</h2>
  <table>
    <thead><tr>{% for name, title in formset.columns %}<th class="column-{{ name }}" scope="col">{{ title|capfirst }}</th>{% endfor %}</tr></thead>
    <tbody>{% for row in formset.rows %}
      <tr class="form-row has_original">{% for cell in row %}<td>{{ cell }}</td>{% endfor %}</tr>{% empty %}
      <tr><td colspan="{{ formset.columns|length }}">{% translate "None" %}</td></tr>{% endfor %}
    </tbody>
  </table>
</fieldset>
  </div>
</div>
{% if formset.has_more %}
<p class="inline-more">{% blocktranslate with limit=formset.limit %}The newest {{ limit }} are shown.{% endblocktranslate %}
<a href="{% url inline_admin_formset.opts.opts|admin_urlname:'changelist' %}?{{ formset.fk.name }}__id__exact={{ formset.instance.pk }}">{% blocktranslate with name=inline_admin_formset.opts.verbose_name_plural %}See all {{ name }}{% endblocktranslate %}</a></p>
{% endif %}{% endwith %}
"""  # noqa: E501


@pytest.mark.parametrize("language", ["en", "vi"])
def test_deal_change_page_history_tables_are_the_loops_markup(
    staff_client, alpha_deal, alice, language, settings
):
    """The three history tables written by `{% newest_inline %}`: the former template's
    markup byte for byte, in both languages, for a table with more than 20 rows (the link to
    all of them), one with fewer and an empty one; the page shows them."""
    from django.template import Context, Template
    from django.utils import translation

    from web.templatetags.admin_rows import newest_inline

    now = timezone.now()
    StageChange.objects.bulk_create(
        StageChange(
            deal=alpha_deal,
            partner=alpha_deal.partner,
            from_stage="proposal",
            to_stage="negotiation",
            by=alice if i % 2 else None,
            at=now - timedelta(minutes=i),
            note=f"entry <{i}> & co",
        )
        for i in range(25)
    )
    Note.objects.bulk_create(
        Note(deal=alpha_deal, author=alice, text=f"note {i}") for i in range(3)
    )
    page = f"/admin/deals/deal/{alpha_deal.pk}/change/"
    staff_client.cookies[settings.LANGUAGE_COOKIE_NAME] = language

    with translation.override(language):
        response = staff_client.get(page)
        inlines = response.context["inline_admin_formsets"][1:]
        assert [len(inline.formset.rows) for inline in inlines] == [20, 3, 0]
        html = response.content.decode()
        for inline in inlines:
            djangos = Template(NEWEST_LOOP).render(Context({"inline_admin_formset": inline}))
            ours = newest_inline(inline)
            assert ours == djangos
            assert ours in html
    assert html.count('<tr class="form-row has_original">') == 23
    assert "entry &lt;0&gt; &amp; co" in html and "entry &lt;20&gt;" not in html
    assert f"/admin/deals/stagechange/?deal__id__exact={alpha_deal.pk}" in html
    assert f"/admin/deals/note/?deal__id__exact={alpha_deal.pk}" not in html
    assert ("Xem tất cả" in html) == (language == "vi")


def test_history_formset_class_is_built_once_and_keeps_its_inline(staff_client, alpha_deal):
    page = f"/admin/deals/deal/{alpha_deal.pk}/change/"
    first = staff_client.get(page).context["inline_admin_formsets"]
    second = staff_client.get(page).context["inline_admin_formsets"]
    for one, other in zip(first[1:], second[1:], strict=True):
        assert type(one.formset).__mro__[1] is type(other.formset).__mro__[1]
        assert one.formset.inline is one.opts and other.formset.inline is other.opts
        assert str(one.formset.media) == str(other.formset.media)


@pytest.mark.parametrize("language", ["en", "vi"])
def test_history_cells_are_admins_read_only_values(
    staff_client, alpha_deal, alice, language, settings
):
    """The history tables read choices and times once per table: each cell is what admin's
    lookup_field + display_for_field show (web.admin._cell), in both languages."""
    from web.admin import _cell

    StageChange.objects.bulk_create(
        StageChange(
            deal=alpha_deal,
            partner=alpha_deal.partner,
            from_stage="proposal" if i else "",
            to_stage="negotiation",
            from_status="pending",
            to_status="approved",
            by=alice if i % 2 else None,
            at=timezone.now() - timedelta(hours=i),
            note=f"entry {i}",
        )
        for i in range(3)
    )
    staff_client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    response = staff_client.get(f"/admin/deals/deal/{alpha_deal.pk}/change/")

    from django.utils import translation

    with translation.override(language):
        for inline in response.context["inline_admin_formsets"][1:]:
            formset, empty = inline.formset, inline.opts.get_empty_value_display()
            admins = [
                [str(_cell(row, name, inline.opts, empty)) for name, _t in formset.columns]
                for row in formset.get_queryset()
            ]
            assert [[str(cell) for cell in row] for row in formset.rows] == admins
    stages = response.context["inline_admin_formsets"][1].formset.rows
    assert len(stages) == 3 and stages[0][2] != "negotiation"  # the stage's label, not its code


def test_deal_page_autocomplete_boxes_read_no_row_the_page_has(
    staff_client, alpha_deal, monkeypatch
):
    """The customer box and the rules' product boxes name the rows the page already read
    (KnownChoicesMixin): the page is the same as with Django's optgroups, which query them,
    with three queries fewer; a refused save posting another customer still names it."""
    import re

    from django.contrib.admin.widgets import AutocompleteSelect

    from web.admin import FastAutocompleteSelect

    page = f"/admin/deals/deal/{alpha_deal.pk}/change/"

    def html(response):
        content = response.content.decode()
        return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", content)

    staff_client.get(page)
    with CaptureQueriesContext(connection) as ours_queries:
        ours = html(staff_client.get(page))
    monkeypatch.setattr(FastAutocompleteSelect, "optgroups", AutocompleteSelect.optgroups)
    with CaptureQueriesContext(connection) as djangos_queries:
        djangos = html(staff_client.get(page))

    assert ours == djangos
    assert f'<option value="{alpha_deal.customer_id}" selected>' in ours
    rules = list(alpha_deal.discount_rules.all())
    assert rules and all(f'<option value="{r.product_id}" selected>' in ours for r in rules)
    rules = len(rules)
    assert len(djangos_queries) - len(ours_queries) == 1 + rules, rules
    monkeypatch.undo()

    other = CustomerFactory(name="Another Co")
    form = staff_client.get(page).context["adminform"].form
    data = {name: "" for name in form.fields} | {
        "customer": other.pk,
        "estimated_value": "not a number",
    }
    refused = staff_client.post(page, data).content.decode()
    box = re.search(r'<select name="customer".*?</select>', refused, re.S).group(0)
    assert f'<option value="{other.pk}" selected>Another Co (' in box


def test_fieldset_read_only_labels_follow_the_language_each_request(staff_client, alpha_deal):
    """The read-only labels are kept per language: English, then Vietnamese, then English
    again, each Django's own."""
    from django.utils import translation

    response = staff_client.get(f"/admin/deals/deal/{alpha_deal.pk}/change/")
    shown = {}
    for language in ("en", "vi", "en"):
        with translation.override(language):
            djangos, ours = _fieldsets_both_ways(response)
        assert ours == djangos
        shown.setdefault(language, ours)
    assert shown["en"] != shown["vi"]
    assert "<label>Partner:</label>" in shown["en"]


@pytest.mark.parametrize("closed", [False, True])
def test_rules_inline_fields_are_those_admin_would_work_out(staff, alpha_deal, closed):
    """DiscountRuleInline says its fields (admin would build the formset class twice more
    per request to learn them): they are the ones admin works out from the form."""
    from django.contrib import admin
    from django.test import RequestFactory
    from django.utils import timezone

    from deals.admin import DiscountRuleInline
    from deals.models import Deal

    if closed:
        Deal.objects.filter(pk=alpha_deal.pk).update(stage="lost", closed_at=timezone.now())
        alpha_deal.refresh_from_db()
    request = RequestFactory().get("/")
    request.user = staff
    inline = DiscountRuleInline(Deal, admin.site)
    form = inline.get_formset(request, alpha_deal, fields=None).form
    derived = [*form.base_fields, *inline.get_readonly_fields(request, alpha_deal)]
    assert list(inline.get_fields(request, alpha_deal)) == derived == ["product", "rate"]


def _rules_both_ways(response) -> tuple[str, str]:
    """The rules inline through Django's `admin/edit_inline/tabular.html` and through
    `{% scale_tabular %}`, as the change form includes it (twice: not last, then last)."""
    from django.template import Context, Template

    rules = [
        f for f in response.context["inline_admin_formsets"] if f.formset.prefix == "discount_rules"
    ]
    assert len(rules) == 1
    context = Context({"formsets": rules * 2})
    djangos = Template(
        '{% for inline_admin_formset in formsets %}{% include "admin/edit_inline/tabular.html" %}'
        "{% endfor %}"
    ).render(context)
    ours = Template(
        "{% load admin_rows %}{% for inline_admin_formset in formsets %}"
        "{% scale_tabular inline_admin_formset %}{% endfor %}"
    ).render(context)
    return djangos, ours


@pytest.mark.parametrize("language", ["en", "vi"])
def test_rules_inline_is_djangos_markup(staff_client, alpha_deal, vstorage, language):
    from django.utils import translation

    from deals.models import DiscountRule

    DiscountRule.objects.create(deal=alpha_deal, product=vstorage, rate="5")
    response = staff_client.get(f"/admin/deals/deal/{alpha_deal.pk}/change/")
    with translation.override(language):
        djangos, ours = _rules_both_ways(response)
    assert (
        'id="discount_rules-empty"' in ours
        and "discount_rules-0" in ours
        and 'class="delete"' in ours
    )
    assert ours == djangos
    html = response.content.decode()
    assert _rules_both_ways(response)[1].split("\n<div", 2)[1] in html


def test_refused_and_closed_rules_inline_is_djangos_markup(staff_client, alpha_deal, vstorage):
    """A refused save (a row's rate not a number, a new row without its product, the
    formsets' errors) keeps the input and shows the errors in Django's markup; a closed
    deal's rules are read-only, in Django's markup."""
    page = f"/admin/deals/deal/{alpha_deal.pk}/change/"
    rule = alpha_deal.discount_rules.get()
    data = {
        "discount_rules-TOTAL_FORMS": "2",
        "discount_rules-INITIAL_FORMS": "1",
        "discount_rules-MIN_NUM_FORMS": "1",
        "discount_rules-MAX_NUM_FORMS": "1000",
        "discount_rules-0-id": str(rule.pk),
        "discount_rules-0-deal": str(alpha_deal.pk),
        "discount_rules-0-product": str(rule.product_id),
        "discount_rules-0-rate": "not a number",
        "discount_rules-1-deal": str(alpha_deal.pk),
        "discount_rules-1-rate": "7",
    }
    response = staff_client.post(page, data)
    assert response.status_code == 200
    djangos, ours = _rules_both_ways(response)
    assert "errorlist" in ours and 'value="not a number"' in ours
    assert ours == djangos

    from django.utils import timezone

    alpha_deal.__class__.objects.filter(pk=alpha_deal.pk).update(
        stage="lost", closed_at=timezone.now()
    )
    response = staff_client.get(page)
    djangos, ours = _rules_both_ways(response)
    assert 'name="discount_rules-0-rate"' not in ours and "<p>" in ours
    assert ours == djangos


def test_rules_inline_with_change_links_keeps_djangos_template(
    staff_client, alpha_deal, monkeypatch
):
    from deals.admin import DiscountRuleInline

    monkeypatch.setattr(DiscountRuleInline, "show_change_link", True)
    response = staff_client.get(f"/admin/deals/deal/{alpha_deal.pk}/change/")
    djangos, ours = _rules_both_ways(response)
    assert 'id="discount_rules-empty"' in ours
    assert ours == djangos
