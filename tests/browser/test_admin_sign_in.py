"""Staff sign in to admin in a real browser and type their password once: when admin requires
two-factor sign-in, the set-up page and the recovery codes follow without asking for it again."""

import pytest
from playwright.sync_api import expect

from tests.browser.test_account_flow import SUBMIT, type_code

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_staff_type_the_password_once_then_set_up_2fa_and_reach_the_queue(
    page, live_server, staff, settings
):
    settings.STAFF_REQUIRE_2FA = True
    page.goto(f"{live_server.url}/admin/login/?next=/admin/review/")
    page.fill("input[name=login]", "staff@vngcloud.test")
    page.fill("input[name=password]", "test-password")
    page.locator(SUBMIT).click()

    page.wait_for_url(f"{live_server.url}/accounts/2fa/totp/activate/")
    expect(page.locator("img.portal-qr")).to_be_visible()
    expect(page.locator("input[name=password]")).to_have_count(0)
    secret = page.locator("#authenticator_secret").input_value()
    type_code(page, secret, expect_url=r"/accounts/2fa/recovery-codes/")
    expect(page.locator("input[name=password]")).to_have_count(0)

    page.goto(f"{live_server.url}/admin/review/")
    expect(page.locator("[data-review-queue]")).to_be_visible()
    assert staff.authenticator_set.count() == 2
