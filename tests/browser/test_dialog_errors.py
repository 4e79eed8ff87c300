"""A dialog whose request fails says why inside the dialog; it never silently does nothing."""

import re

import pytest
from playwright.sync_api import expect

from deals.models import Note
from partners.models import Partner

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def open_deal(page, live_server, deal):
    page.goto(f"{live_server.url}/deals/{deal.pk}/")


def test_refused_dialog_shows_the_reason_in_the_dialog(page, live_server, login, alice, alpha_deal):
    login("alice@alpha.test", to=None)  # the next step opens the deal
    open_deal(page, live_server, alpha_deal)
    # Staff suspend the partner while the page is open: the dialog's request answers 403.
    Partner.objects.filter(pk=alpha_deal.partner_id).update(status=Partner.Status.SUSPENDED)

    page.locator("[data-action=add-note]").click()

    modal = page.locator("#portal-modal")
    expect(modal).to_be_visible()
    expect(modal.locator("[data-dialog-error]")).to_contain_text(
        re.compile("suspended|tạm ngưng", re.IGNORECASE)
    )


def test_dialog_keeps_the_form_and_says_when_the_portal_is_unreachable(
    page, live_server, login, alice, alpha_deal
):
    login("alice@alpha.test", to=None)  # the next step opens the deal
    open_deal(page, live_server, alpha_deal)
    page.locator("[data-action=add-note]").click()
    modal = page.locator("#portal-modal")
    expect(modal.locator("textarea[name=text]")).to_be_visible()
    modal.locator("textarea[name=text]").fill("Gọi lại khách hàng thứ Hai")
    # The network drops: the POST never reaches the server.
    page.route(f"**/deals/{alpha_deal.pk}/notes/", lambda route: route.abort())

    modal.locator("button[type=submit]").click()

    expect(modal.locator("[data-dialog-error]")).to_contain_text(
        re.compile("could not be reached|không kết nối", re.IGNORECASE)
    )
    expect(modal.locator("textarea[name=text]")).to_have_value("Gọi lại khách hàng thứ Hai")
    assert Note.objects.count() == 0
