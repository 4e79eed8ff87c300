"""The programme view (/admin/programme/): figures recomputed from the data, every number a
link to exactly its rows in admin, CSV of each table, staff only."""

import csv
import html
import io
import re
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.core.cache import cache
from django.utils import timezone

from deals import programme
from deals.business_days import Calendar
from deals.models import Deal, StageChange
from deals.services import change_stage
from discounts.models import Discount
from tests.factories import DealFactory, PartnerFactory, UserFactory

pytestmark = pytest.mark.django_db

PAGE = "/admin/programme/"
# A Friday. Tuesday 24 November 2026 is a public holiday (Vietnam Cultural Day).
TODAY = date(2026, 11, 27)
M = Decimal(1_000_000)


def at(day: date, hour: int = 10) -> datetime:
    return timezone.make_aware(datetime(day.year, day.month, day.day, hour))


def place(deal, **moments):
    Deal.objects.filter(pk=deal.pk).update(**moments)
    deal.refresh_from_db()
    return deal


@pytest.fixture
def staff_client(client, staff):
    client.force_login(staff)
    return client


@pytest.fixture
def history(alpha, alice, beta, bob):
    """A programme with dated history around TODAY."""
    made = {}
    made["open"] = [
        DealFactory(
            partner=alpha, created_by=alice, approved=True, stage=stage, estimated_value=v * M
        )
        for stage, v in (("prospect", 100), ("negotiation", 200), ("negotiation", 50))
    ] + [
        DealFactory(
            partner=beta, created_by=bob, approved=True, stage="proposal", estimated_value=300 * M
        )
    ]
    made["pending"] = DealFactory(partner=alpha, created_by=alice, estimated_value=999 * M)
    # Registrations: two this week, one four weeks ago, one before the window.
    for deal, day in zip(
        made["open"],
        (date(2026, 11, 23), date(2026, 11, 26), date(2026, 10, 30), date(2026, 8, 3)),
        strict=True,
    ):
        place(deal, created_at=at(day))
    place(made["pending"], created_at=at(date(2026, 11, 27)))

    def won(partner, user, created, closed, **kwargs):
        deal = DealFactory(
            partner=partner,
            created_by=user,
            approved=True,
            stage="won",
            closed_at=at(closed),
            **kwargs,
        )
        return place(deal, created_at=at(created))

    made["won_alpha"] = [
        won(alpha, alice, date(2026, 11, 1), date(2026, 11, 10)),  # 9 days
        won(alpha, alice, date(2026, 10, 1), date(2026, 10, 31)),  # 30 days
        won(alpha, alice, date(2025, 10, 1), date(2025, 11, 15)),  # before the 12 months
    ]
    made["won_beta"] = [won(beta, bob, date(2026, 3, 1), date(2026, 3, 5))]
    made["lost_alpha"] = [
        place(
            DealFactory(
                partner=alpha,
                created_by=alice,
                approved=True,
                stage="lost",
                closed_at=at(date(2026, 6, 1)),
            ),
            created_at=at(date(2026, 5, 1)),
        )
    ]
    for deal, month in zip(made["won_alpha"][:2] + made["won_beta"], (11, 10, 3), strict=True):
        Discount.objects.create(
            partner=deal.partner,
            deal=deal,
            customer=deal.customer,
            valid_from=date(2026, month, 1),
            valid_until=date(2027, 12, 31),
            created_at=at(date(2026, month, 2)),
        )
    # Reviews: (submitted, reviewed) → business days, Tuesday 24 November a holiday.
    made["reviews"] = []
    for submitted, reviewed in (
        (date(2026, 11, 16), date(2026, 11, 23)),  # 5: late
        (date(2026, 11, 23), date(2026, 11, 26)),  # 2
        (date(2026, 11, 20), date(2026, 11, 26)),  # 3: on the due day
        (date(2026, 11, 9), date(2026, 11, 9)),  # 0
    ):
        deal = DealFactory(partner=beta, created_by=bob, approved=True)
        made["reviews"].append(
            place(
                deal,
                submitted_at=at(submitted),
                reviewed_at=at(reviewed, 15),
                created_at=at(submitted),
            )
        )
    quiet = PartnerFactory(name="Quiet Partner")
    type(quiet).objects.filter(pk=quiet.pk).update(created_at=at(date(2026, 5, 1)))
    return made


def test_the_open_pipeline_by_stage_is_the_approved_open_deals(history):
    rows = {row.key: row for row in programme.pipeline_by_stage()}

    for stage in ("prospect", "qualified", "proposal", "negotiation"):
        deals = Deal.objects.filter(status="approved", closed_at__isnull=True, stage=stage)
        value = sum(int(d.estimated_value) for d in deals)
        assert (rows[stage].count, rows[stage].value) == (deals.count(), value)
        assert rows[stage].weighted == value * Deal.PROBABILITY[stage] // 100
    assert rows["negotiation"].count == 2 and rows["negotiation"].weighted == 250 * M * 75 // 100


def test_the_open_pipeline_by_partner_is_weighted_and_heaviest_first(history, alpha, beta):
    rows = programme.pipeline_by_partner()

    alpha_weighted = (100 * 10 + 250 * 75) * M // 100
    assert [(r.label, r.count, r.weighted) for r in rows] == [
        (alpha.name, 3, alpha_weighted),
        (beta.name, 1 + 4, 300 * M * 50 // 100 + 4 * 100 * M * 10 // 100),
    ]


def test_registrations_per_week(history):
    weeks = programme.registrations_by_week(TODAY)

    assert len(weeks) == 12 and weeks[-1].first == date(2026, 11, 23)
    counts = {week.first: week.count for week in weeks if week.count}
    created = Deal.objects.filter(
        created_at__gte=at(weeks[0].first, 0), created_at__lt=at(TODAY + timedelta(days=3), 0)
    )
    expected = {}
    for deal in created:
        day = timezone.localdate(deal.created_at)
        monday = day - timedelta(days=day.weekday())
        expected[monday] = expected.get(monday, 0) + 1
    assert counts == expected
    assert counts[date(2026, 11, 23)] == 3 + 1  # two open deals, the pending one, a review
    assert date(2026, 8, 3) not in counts


def test_review_times_count_vietnamese_business_days(history):
    weeks, total = programme.review_times(Calendar(), TODAY)

    this_week = weeks[-1]
    assert (this_week.reviews, this_week.median_days, this_week.within) == (3, 3, 2)
    assert this_week.within_share == 67
    assert (total.reviews, total.median_days, total.within) == (4, 2.5, 3)
    assert sum(week.reviews for week in weeks) == 4


def test_win_rate_and_days_to_win_per_partner_match_the_partners_reports(history, alpha, beta):
    from deals.reports import closing_figures

    rows = {row.pk: row for row in programme.partner_results(TODAY)}

    assert (rows[alpha.pk].won, rows[alpha.pk].lost, rows[alpha.pk].win_rate) == (2, 1, 67)
    assert rows[alpha.pk].median_days == 20  # 9 and 30 days: 19.5, rounded as the reports do
    assert (rows[beta.pk].won, rows[beta.pk].lost, rows[beta.pk].median_days) == (1, 0, 4)
    for partner in (alpha, beta):
        own = closing_figures(partner, TODAY)
        assert (own.won, own.lost, own.win_rate, own.median_days) == (
            rows[partner.pk].won,
            rows[partner.pk].lost,
            rows[partner.pk].win_rate,
            rows[partner.pk].median_days,
        )


def test_discounts_issued_per_month(history):
    months = programme.discounts_by_month(TODAY)

    assert [m.first for m in months][-1] == date(2026, 11, 1) and len(months) == 12
    assert {m.first: m.count for m in months if m.count} == {
        date(2026, 3, 1): 1,
        date(2026, 10, 1): 1,
        date(2026, 11, 1): 1,
    }


def test_partners_with_no_activity_in_90_days(alpha, alice):
    long_ago = at(date(2026, 5, 1))
    quiet = PartnerFactory(name="Gamma")
    never = PartnerFactory(name="Delta")
    busy = PartnerFactory(name="Epsilon")
    new = PartnerFactory(name="Zeta")
    suspended = PartnerFactory(name="Eta", status="suspended")
    for partner in (quiet, never, busy, suspended):
        type(partner).objects.filter(pk=partner.pk).update(created_at=long_ago)
    for partner, day in (
        (quiet, date(2026, 8, 1)),
        (busy, date(2026, 11, 1)),
        (suspended, date(2026, 8, 1)),
    ):
        deal = DealFactory(partner=partner, created_by=alice)
        StageChange.objects.create(deal=deal, to_stage="prospect", at=at(day))
    type(new).objects.filter(pk=new.pk).update(created_at=at(date(2026, 11, 1)))

    rows = programme.inactive_partners(TODAY)

    assert [(r.name, r.last_activity) for r in rows] == [
        ("Delta", None),
        ("Gamma", at(date(2026, 8, 1))),
    ]


def figures_on(html: str) -> list[tuple[str, str, str]]:
    return re.findall(r'<a href="([^"]+)" data-figure="([^"]+)">([^<]+)</a>', html)


def test_every_number_opens_exactly_its_rows_in_admin(staff_client, alpha, alice, beta, bob, staff):
    """Data made today, through the services, so every window holds it."""
    for stage, value in (("prospect", 10), ("proposal", 20), ("negotiation", 30)):
        DealFactory(
            partner=alpha, created_by=alice, approved=True, stage=stage, estimated_value=value * M
        )
    for partner, user in ((alpha, alice), (beta, bob), (alpha, alice)):
        change_stage(
            DealFactory(partner=partner, created_by=user, approved=True, stage="negotiation"),
            "won",
            by=user,
        )
    lost = DealFactory(partner=beta, created_by=bob, approved=True, stage="proposal")
    change_stage(lost, "lost", by=bob, lost_reason_code="price", lost_reason="Giá")
    reviewed = DealFactory(partner=beta, created_by=bob)
    from deals.services import approve_deal

    approve_deal(reviewed, by=staff)

    html = staff_client.get(PAGE).content.decode()
    links = figures_on(html)
    assert len(links) >= 4 + 1 + 2 + 12 + 12 + 3 + 12
    checked = 0
    for href, name, text in links:
        href = href.replace("&amp;", "&")
        response = staff_client.get(href)
        assert response.status_code == 200, (name, href)
        rows = response.context["cl"].queryset
        if name.startswith("rate-"):
            partner_id = int(name.removeprefix("rate-"))
            closed = Deal.objects.filter(partner_id=partner_id, stage__in=["won", "lost"])
            assert set(rows.values_list("pk", flat=True)) == set(
                closed.values_list("pk", flat=True)
            )
            continue
        assert rows.count() == int(text.replace(",", "")), (name, href)
        checked += int(text.replace(",", "")) > 0
    assert checked >= 8  # not only zeros


def test_the_page_says_which_figures_may_be_minutes_old(staff_client):
    html = staff_client.get(PAGE).content.decode()

    assert "may be up to 10 minutes old" in html and "data-computed-at" in html


def test_window_figures_come_from_the_cache_for_ten_minutes(history):
    cal = Calendar()
    first = programme.window_figures(cal, TODAY)
    DealFactory(partner=history["pending"].partner, created_by=history["pending"].created_by)

    assert programme.window_figures(cal, TODAY) == first
    cache.clear()
    assert programme.window_figures(cal, TODAY).computed_at > first.computed_at


@pytest.mark.parametrize(
    "table",
    [
        "pipeline-by-stage",
        "pipeline-by-partner",
        "registrations",
        "review-times",
        "partner-results",
        "discounts",
        "inactive-partners",
    ],
)
def test_each_table_downloads_as_csv(staff_client, history, table):
    response = staff_client.get(f"/admin/programme/{table}.csv")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert f'filename="programme-{table}-' in response["Content-Disposition"]
    body = response.content.decode("utf-8")
    assert body.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(body.removeprefix("\ufeff"))))
    assert len(rows) > 1 and all(len(row) == len(rows[0]) for row in rows)


def test_the_partner_pipeline_csv_has_every_partner(staff_client, history, alpha, beta):
    body = staff_client.get("/admin/programme/pipeline-by-partner.csv").content.decode()
    rows = list(csv.reader(io.StringIO(body.removeprefix("\ufeff"))))

    assert rows[0] == ["Partner", "Deals", "Estimated value (VND)", "Weighted (VND)"]
    assert [row[:3] for row in rows[1:]] == [
        [alpha.name, "3", str(350 * M)],
        [beta.name, "5", str(700 * M)],
    ]


def test_the_review_times_csv_has_the_pages_share_and_its_count(staff_client, history):
    """The page shows the share reviewed within the promise; the CSV has it too, beside the
    count (a reviewer read the count as the page's percentage)."""
    page = staff_client.get("/admin/programme/").context["window"]
    body = staff_client.get("/admin/programme/review-times.csv").content.decode()
    rows = list(csv.reader(io.StringIO(body.removeprefix("\ufeff"))))

    assert rows[0][3:] == ["Within the promise (%)", "Reviews within the promise"]
    shares = [row[3] for row in rows[1:]]
    expected = [
        "" if week.within_share is None else str(week.within_share) for week in page.reviews
    ]
    assert shares == expected and any(shares)


def test_an_unknown_table_is_404(staff_client):
    assert staff_client.get("/admin/programme/secrets.csv").status_code == 404


def test_the_programme_is_for_staff_with_the_deal_permission(client, alice):
    client.force_login(alice)
    assert client.get(PAGE, follow=True).status_code == 403
    assert client.get("/admin/programme/registrations.csv", follow=True).status_code == 403
    clerk = UserFactory(email="clerk@vngcloud.test", is_staff=True)
    client.force_login(clerk)
    assert client.get(PAGE).status_code == 403
    clerk.user_permissions.add(Permission.objects.get(codename="view_deal"))
    assert client.get(PAGE).status_code == 200


def test_a_figures_list_says_what_it_is_filtered_by(staff_client, history):
    """A week's registrations open the deal list filtered to that week, which no box of the
    filter panel shows: the list says so, in the reader's format, with a way out."""
    page = staff_client.get("/admin/programme/").content.decode()
    link = re.search(r'href="(/admin/deals/deal/\?created_at__gte=[^"]+)"', page).group(1)

    listed = staff_client.get(html.unescape(link)).content.decode()
    plain = staff_client.get("/admin/deals/deal/").content.decode()

    note = re.search(r'<p class="other-filters" data-other-filters>(.*?)</p>', listed).group(1)
    assert "created at from" in note and "created at before" in note
    assert "+07:00" not in note and "T00:00" not in note  # a moment as the lists show it
    assert "data-other-filters" not in plain


def test_a_figures_list_names_the_states_it_is_filtered_to(staff_client, history):
    """The review times' figures open the decided registrations (`?status__in=…`): the note
    read "review status (in) approved,action_required,rejected"."""
    page = staff_client.get("/admin/programme/").content.decode()
    link = re.search(r'href="(/admin/deals/deal/\?[^"]*status__in=[^"]+)"', page).group(1)

    listed = staff_client.get(html.unescape(link)).content.decode()

    note = re.search(r'<p class="other-filters" data-other-filters>(.*?)</p>', listed).group(1)
    assert "is one of" in note and "(in)" not in note
    assert "action_required" not in note and "Approved" in html.unescape(note)


def test_the_stage_pipeline_csv_ends_with_the_pages_total(staff_client, history):
    page = staff_client.get("/admin/programme/").content.decode()
    total = re.search(r'data-figure="pipeline-total">([^<]+)<', page).group(1)
    body = staff_client.get("/admin/programme/pipeline-by-stage.csv").content.decode()
    rows = list(csv.reader(io.StringIO(body.removeprefix("\ufeff"))))

    *stages, last = rows[1:]
    assert last[0] == "Total" and last[3] == ""
    assert int(last[1]) == sum(int(row[1]) for row in stages) == int(total.replace(",", ""))
    assert int(last[2]) == sum(int(row[2]) for row in stages)
