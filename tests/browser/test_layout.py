"""What a partner sees must fit: tall dialogs at 1280x800, charts and tables on a phone."""

import re
from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import expect

from deals.models import Deal
from deals.services import change_stage
from tests.browser.conftest import serious_violations, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ARTIFACTS = Path(__file__).parent / "artifacts"
# The API reference's axe runs (a few seconds each) go to pytest-xdist by language, apart from
# the rest of the file (tests/conftest.py), so the two workers share them.
XDIST_SPLIT_BY = "lang"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


def dialog_geometry(page) -> dict:
    return page.evaluate(
        """() => {
        const content = document.querySelector('#portal-modal-content');
        const box = (sel) => content.querySelector(sel).getBoundingClientRect();
        const body = content.querySelector('.modal-body');
        const buttons = [...content.querySelectorAll('.modal-footer .btn')]
          .map((b) => b.getBoundingClientRect());
        return {
          viewport: window.innerHeight,
          content: content.getBoundingClientRect().toJSON(),
          header: box('.modal-header').toJSON(),
          footer: box('.modal-footer').toJSON(),
          buttonsBottom: Math.max(...buttons.map((b) => b.bottom)),
          contentScrolls: content.scrollHeight > content.clientHeight + 1,
          bodyScrolls: body.scrollHeight > body.clientHeight + 1,
        };
      }"""
    )


def assert_dialog_fits(page):
    g = dialog_geometry(page)
    assert g["header"]["top"] >= g["content"]["top"] - 0.5, g  # header not scrolled away
    assert g["footer"]["bottom"] <= g["content"]["bottom"] + 0.5, g
    assert g["buttonsBottom"] <= min(g["content"]["bottom"], g["viewport"]) + 0.5, g
    assert not g["contentScrolls"], g
    return g


def test_a_tall_stage_dialog_scrolls_its_body_not_its_frame(
    page, live_server, login, alice, alpha_deal
):
    page.set_viewport_size(DESKTOP)
    login("alice@alpha.test", to=f"/deals/{alpha_deal.pk}/")
    page.locator("[data-action=update-stage]").click()
    modal = page.locator("#portal-modal")
    modal.locator("select[name=stage]").select_option("lost")

    modal.locator("[data-submit]").click()  # lost without a reason: errors make it tall

    expect(modal.locator(".is-invalid").first).to_be_visible()
    g = assert_dialog_fits(page)
    assert g["bodyScrolls"], "the errors make this dialog taller than the screen"


def test_the_customer_discount_dialog_after_an_error_fits(
    page, live_server, login, alice, alpha_deal, vserver, vstorage
):
    from tests.factories import ProductFactory

    products = [vstorage] + [ProductFactory(name=f"Sản phẩm {n}") for n in range(4)]
    for product in products:
        alpha_deal.discount_rules.update_or_create(product=product, defaults={"rate": Decimal(15)})
    change_stage(alpha_deal, Deal.Stage.WON, by=alice)
    page.set_viewport_size(DESKTOP)
    login("alice@alpha.test", to=f"/discounts/{alpha_deal.discount.pk}/")
    page.locator("[data-action=create-customer-discount]").click()
    modal = page.locator("#portal-modal")
    expect(modal.locator("form")).to_be_visible()
    for field in modal.locator("input[name^=rate_]").all():
        field.fill("99")
    modal.locator("input[name=valid_until]").fill("01/01/2001")
    modal.locator("textarea[name=note]").fill("Ưu đãi năm đầu\n" * 6)
    modal.locator("button[type=submit]").click()

    expect(modal.locator("[data-field-error]").first).to_be_visible()
    assert_dialog_fits(page)
    expect(modal.locator(".modal-footer button[type=submit]")).to_be_in_viewport(ratio=1)


def seeded_phone(page, live_server, demo):
    page.set_viewport_size(PHONE)
    sign_in(page, live_server.url, demo["alpha@example.com"])


def fully_in_view(page, selector) -> list[bool]:
    """For each element: visible and inside the screen's width (nothing cut, no scrolling)."""
    return page.evaluate(
        """(sel) => [...document.querySelectorAll(sel)].filter((el) => {
            const style = getComputedStyle(el);
            return el.getClientRects().length && style.visibility !== 'hidden';
          }).map((el) => {
            const r = el.getBoundingClientRect();
            return r.width > 0 && r.left >= 0 && r.right <= window.innerWidth;
          })""",
        selector,
    )


def test_the_dashboard_on_a_phone_shows_every_stage_and_column(page, live_server, demo):
    seeded_phone(page, live_server, demo)

    labels = fully_in_view(page, "[data-chart=pipeline-chart] .chart-label")
    assert labels == [True] * 4, labels
    cells = fully_in_view(page, "[data-table=pipeline] tbody td, [data-table=pipeline] tbody th")
    assert len(cells) == 4 * 5 and all(cells), cells
    weighted = page.locator("[data-table=pipeline] tbody tr").first.locator("td").last
    weighted.scroll_into_view_if_needed()
    expect(weighted).to_be_in_viewport(ratio=1)
    page.locator("[data-chart=pipeline-chart] svg").last.screenshot(
        path=str(ARTIFACTS / "layout-dashboard-chart-phone.png")
    )
    page.locator("[data-table=pipeline]").screenshot(
        path=str(ARTIFACTS / "layout-dashboard-table-phone.png")
    )
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_reports_on_a_phone_show_all_twelve_months(page, live_server, demo):
    seeded_phone(page, live_server, demo)
    page.goto(f"{live_server.url}/reports/")

    labels = fully_in_view(page, "[data-chart=won-chart] .chart-label")
    assert labels == [True] * 12, labels
    page.locator("[data-chart=won-chart] svg").last.screenshot(
        path=str(ARTIFACTS / "layout-reports-chart-phone.png")
    )
    values = page.locator("[data-chart=won-chart] .chart-value").all_text_contents()
    assert values and all(re.search(r"\d", v) for v in values)


@pytest.mark.parametrize("lang", ["vi", "en"])
@pytest.mark.parametrize("size", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_the_api_docs_pass_axe_in_both_languages(page, live_server, settings, lang, size):
    page.context.add_cookies(
        [{"name": settings.LANGUAGE_COOKIE_NAME, "value": lang, "url": live_server.url}]
    )
    page.set_viewport_size(size)
    # The entries' tables are folded (ten thousand elements when all are open): a link to an
    # operation unfolds it, and a link from it to a schema unfolds that one. axe measures one
    # of each kind of table open; the folded ones are the same template.
    page.goto(f"{live_server.url}/api/v1/docs/#deals_create")

    expect(page.locator("html")).to_have_attribute("lang", lang)
    expect(page.locator("#deals_create")).to_be_visible()
    operation = page.locator("article[aria-labelledby=deals_create] details")
    expect(operation).to_have_attribute("open", "")
    operation.locator("a[href='#schema-Deal']").first.click()
    expect(page.locator("article[aria-labelledby=schema-Deal] details")).to_have_attribute(
        "open", ""
    )
    expect(page.locator("#schema-Deal")).to_be_in_viewport()
    assert page.locator("details[open]").count() == 2
    # Colours do not change with the language: contrast is measured in Vietnamese.
    assert serious_violations(page, contrast=lang == "vi") == []
    assert page.evaluate("document.documentElement.scrollWidth") <= size["width"]
