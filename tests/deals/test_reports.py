"""The reports page, the deal list as CSV and the look's small promises (language, dialogs)."""

import csv
import io
import re
from datetime import datetime, timedelta

import pytest
from django.utils import timezone, translation

from deals import reports
from deals.models import Deal
from deals.services import change_stage
from tests.factories import DealFactory, ProductFactory

pytestmark = pytest.mark.django_db

TODAY = datetime(2026, 11, 20).date()


def closed(partner, stage, *, days_ago, age_days=10, value=100_000_000, **kwargs):
    closed_at = timezone.make_aware(datetime(2026, 11, 20, 10)) - timedelta(days=days_ago)
    return DealFactory(
        partner=partner,
        approved=True,
        stage=stage,
        closed_at=closed_at,
        created_at=closed_at - timedelta(days=age_days),
        estimated_value=value,
        **kwargs,
    )


def test_won_by_month_sums_the_wins_of_each_of_the_last_12_months(alpha, beta):
    closed(alpha, "won", days_ago=0, value=300_000_000)
    closed(alpha, "won", days_ago=5, value=200_000_000)
    closed(alpha, "won", days_ago=40, value=50_000_000)  # October
    closed(alpha, "won", days_ago=400, value=999_000_000)  # before the window
    closed(alpha, "lost", days_ago=1, value=70_000_000)
    closed(beta, "won", days_ago=1, value=123_000_000)  # another partner

    months = reports.won_by_month(alpha, TODAY)

    assert [m.month.isoformat() for m in months][0] == "2025-12-01"
    assert len(months) == 12
    assert (months[-1].month.isoformat(), months[-1].value, months[-1].count) == (
        "2026-11-01",
        500_000_000,
        2,
    )
    assert (months[-2].value, months[-2].count) == (50_000_000, 1)
    assert sum(m.value for m in months) == 550_000_000


def test_closing_figures_win_rate_and_median_days(alpha, beta):
    closed(alpha, "won", days_ago=1, age_days=10)
    closed(alpha, "won", days_ago=2, age_days=30)
    closed(alpha, "won", days_ago=3, age_days=20)
    closed(alpha, "lost", days_ago=4)
    closed(beta, "lost", days_ago=4)

    figures = reports.closing_figures(alpha, TODAY)

    assert (figures.won, figures.lost, figures.win_rate, figures.median_days) == (3, 1, 75, 20)


def test_median_days_of_an_even_number_of_wins_is_between_the_middle_two(alpha):
    for days_ago, age_days in ((1, 40), (2, 10), (3, 30), (4, 20)):
        closed(alpha, "won", days_ago=days_ago, age_days=age_days)

    assert reports.closing_figures(alpha, TODAY).median_days == 25


def test_closing_figures_without_closed_deals_say_nothing(alpha):
    figures = reports.closing_figures(alpha, TODAY)
    assert (figures.win_rate, figures.median_days) == (None, None)


def test_report_page_shows_the_figures_and_a_chart_with_its_table(alice_client, alpha):
    closed(alpha, "won", days_ago=0, value=1_500_000_000)
    html = alice_client.get("/reports/").content.decode()
    assert 'data-figure="win-rate">100%<' in html
    assert "<svg" in html and 'role="img"' in html
    assert "1.5 bn" in html  # the bar's label
    assert "1,500,000,000" in html  # the table


def test_report_page_reads_a_fixed_number_of_queries(
    alice_client, alpha, django_assert_max_num_queries
):
    for i in range(30):
        closed(alpha, "won" if i % 3 else "lost", days_ago=i * 9)
    with django_assert_max_num_queries(12):
        assert alice_client.get("/reports/").status_code == 200


def test_report_page_shows_a_win_as_soon_as_it_is_recorded(alice_client, alpha, alice):
    # The closed-deal figures are cached until a deal of the partner closes.
    def won_count(html):
        return re.search(r"(\d+) won, \d+ lost", html).group(1)

    first = DealFactory(partner=alpha, created_by=alice, approved=True, stage="proposal")
    second = DealFactory(partner=alpha, created_by=alice, approved=True, stage="proposal")
    change_stage(first, Deal.Stage.WON, by=alice)
    before = alice_client.get("/reports/").content.decode()
    again = alice_client.get("/reports/").content.decode()

    change_stage(second, Deal.Stage.WON, by=alice)
    after = alice_client.get("/reports/").content.decode()

    assert (won_count(before), won_count(again), won_count(after)) == ("1", "1", "2")


def test_deal_csv_has_the_list_filter_a_bom_and_no_formulas(alice_client, alpha, beta):
    DealFactory(partner=alpha, title="=HYPERLINK(1)", approved=True, stage="proposal")
    DealFactory(partner=alpha, title="Prospect deal", stage="prospect")
    DealFactory(partner=beta, title="Beta's proposal", approved=True, stage="proposal")

    response = alice_client.get("/deals/export.csv?stage=proposal")

    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    raw = b"".join(response.streaming_content)
    assert raw.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0][:4] == ["Title", "Customer", "Tax code", "Stage"]
    assert [row[0] for row in rows[1:]] == ["'=HYPERLINK(1)"]
    assert rows[1][3] == "Proposal"


def test_stage_link_preselects_the_stage_in_the_dialog(alice_client, alpha_deal):
    html = alice_client.get(f"/deals/{alpha_deal.pk}/stage/?stage=won").content.decode()
    assert '<option value="won" selected>' in html


def test_deal_page_stage_path_links_the_stages_it_may_move_to(alice_client, alpha_deal):
    html = alice_client.get(f"/deals/{alpha_deal.pk}/").content.decode()
    assert f'href="/deals/{alpha_deal.pk}/stage/?stage=won"' in html
    assert f'href="/deals/{alpha_deal.pk}/stage/?stage=proposal"' in html
    assert f'href="/deals/{alpha_deal.pk}/stage/?stage=negotiation"' not in html  # current


def test_product_texts_follow_the_language():
    product = ProductFactory(
        name="vServer", description="Cloud virtual machines", description_vi="Máy chủ ảo"
    )
    with translation.override("vi"):
        assert (str(product), product.display_description) == ("vServer", "Máy chủ ảo")
    with translation.override("en"):
        assert product.display_description == "Cloud virtual machines"


def test_registration_form_shows_the_product_description_in_vietnamese(client, alice, alpha):
    ProductFactory(name="vDB", description="Managed databases", description_vi="CSDL được quản lý")
    client.force_login(alice)
    client.cookies["django_language"] = "vi"
    html = client.get("/deals/new/").content.decode()
    assert "CSDL được quản lý" in html
    assert "Managed databases" not in html
    assert 'placeholder="dd/mm/yyyy"' in html
    assert 'type="date"' not in html


def test_registration_reads_the_date_as_vietnamese_type_it(client, alice, alpha):
    product = ProductFactory(code="vdb", name="vDB")
    client.force_login(alice)
    client.cookies["django_language"] = "vi"
    close = timezone.localdate() + timedelta(days=40)
    response = client.post(
        "/deals/new/",
        {
            "customer_tax_code": "0399999998",
            "customer_name": "Công ty Mây",
            "title": "Ngày kiểu Việt",
            "estimated_value": "100.000.000",
            "expected_close_date": close.strftime("%d/%m/%Y"),
            f"rate_{product.pk}": "5",
        },
    )
    assert response.status_code == 302
    assert Deal.objects.get(title="Ngày kiểu Việt").expected_close_date == close


def test_login_error_does_not_claim_the_email_is_case_sensitive(client, alice):
    client.cookies["django_language"] = "vi"
    html = client.post(
        "/login/", {"login": "ALICE@alpha.test", "password": "wrong"}
    ).content.decode()
    assert "cả hai khung thông tin" not in html  # Django's own Vietnamese text
    assert "phân biệt chữ hoa" not in html
