"""A partner sees last month's statement, checks it, downloads its PDF and e-invoice, and
confirms it: at 1280 and 390 px, in Vietnamese and English (no overflow, no serious axe
violation, no console error)."""

import pytest

from tests.browser.test_partner_flows import ALPHA

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_statement_seen_downloaded_and_confirmed(ui):
    ui.login(ALPHA)
    # The top bar is full at 1280 px: statements sit in the account menu.
    toggler = ui.page.locator(".navbar-toggler")
    if toggler.is_visible():
        toggler.click()
        ui.page.locator("#main-nav.show").wait_for()
    ui.page.locator("#main-nav .dropdown-toggle").click()
    ui.page.locator("[data-nav=statements]").click()
    ui.page.wait_for_url(ui.base + "/statements/")
    ui.check("statements")
    ui.page.locator("[data-statement] a").first.click()
    ui.page.locator("[data-totals]").wait_for()
    ui.check("statement")
    with ui.page.expect_download() as download:
        ui.page.locator(f"[data-pdf={ui.lang}]").click()
    assert download.value.suggested_filename.endswith(f"-{ui.lang}.pdf")
    with ui.page.expect_download() as invoice:
        ui.page.locator("[data-einvoice] a").first.click()
    assert invoice.value.suggested_filename.startswith("e-invoice-")
    ui.page.locator("[data-action=confirm]").click()
    ui.page.locator("[data-statement-status=confirmed]").wait_for()
    ui.check("statement-confirmed")
