"""The money loop's first half in a real browser, at desktop and phone size, in Vietnamese and
English: the Cloud accounts list, a top-up, the ledger, the customer page, and the customer's
confirmation page outside the sign-in. Each page fits the screen and passes axe."""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from billing.models import CloudAccount, PartnerCredit, TopUp
from billing.services.accounts import resend_confirmation
from partners.models import Partner

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ALPHA = "alpha@example.com"


def test_a_partner_tops_up_a_linked_account(ui):
    alpha = Partner.objects.get(name="Alpha Cloud Solutions")
    before = PartnerCredit.objects.get(partner=alpha).balance
    account = CloudAccount.objects.get(account_id="vng-demo-a01")
    ui.login(ALPHA)
    ui.menu("/cloud-accounts/")
    expect(ui.page.locator(f"[data-cloud-account='{account.pk}']")).to_be_visible()
    ui.check("cloud-accounts")
    ui.page.locator(f"[data-cloud-account='{account.pk}'] a").first.click()
    ui.page.wait_for_url(f"{ui.base}/cloud-accounts/{account.pk}/")
    ui.check("account")
    ui.page.fill("input[name=amount]", "1000000")
    ui.page.locator("form[data-form=top-up] button[type=submit]").click()
    ui.page.wait_for_url(f"{ui.base}/cloud-accounts/{account.pk}/")
    expect(ui.page.locator(".alert-success, [data-toast]").first).to_be_visible()
    ui.check("topped-up")
    # Back: the browser brings the form again with the amount typed, and it is sent again.
    # The page came again from the server, with a new one-time key; the browser put back
    # the first one with the amount (static/js/portal.js), so the repeat tops up nothing.
    ui.page.go_back()
    expect(ui.page.locator("form[data-form=top-up] input[name=amount]")).to_have_value("1000000")
    ui.page.locator("form[data-form=top-up] button[type=submit]").click()
    ui.page.wait_for_url(f"{ui.base}/cloud-accounts/{account.pk}/")
    ui.page.wait_for_load_state("networkidle")
    assert PartnerCredit.objects.get(partner=alpha).balance == before - Decimal(1_000_000)
    assert TopUp.objects.filter(cloud_account=account, status="pending").count() == 2
    ui.go("/cloud-accounts/credit/")
    ui.check("ledger")
    ui.go(f"/customers/{account.customer_id}/")
    expect(ui.page.locator(f"[data-cloud-account='{account.pk}']")).to_be_visible()
    ui.check("customer")
    ui.go(f"/customers/{account.customer_id}/cloud-accounts/new/")
    ui.check("link-form")


def test_the_customer_confirms_outside_the_portal(ui):
    account = CloudAccount.objects.get(account_id="vng-demo-a03")
    admin = account.requested_by
    _confirmation, token = resend_confirmation(account, by=admin, language=ui.lang)
    ui.go(f"/cloud-accounts/confirm/{token}/?lang={ui.lang}")
    expect(ui.page.locator("html")).to_have_attribute("lang", ui.lang)
    ui.check("confirm")
    ui.page.locator("[data-confirm]").click()
    expect(ui.page.locator("[data-confirm-done]")).to_be_visible()
    ui.check("confirmed")
    account.refresh_from_db()
    assert account.status == CloudAccount.Status.AWAITING_APPROVAL


def test_a_partner_opens_its_top_ups_and_cancels_a_pending_request(ui):
    account = CloudAccount.objects.get(account_id="vng-demo-a03")
    newest = TopUp.objects.filter(partner=account.partner).order_by("-created_at", "-pk").first()
    ui.login(account.requested_by.email)
    ui.menu("/cloud-accounts/")
    ui.page.locator("a[href='/cloud-accounts/top-ups/']").click()
    ui.page.wait_for_url(f"{ui.base}/cloud-accounts/top-ups/")
    ui.check("top-ups")
    ui.page.locator(f"[data-top-up='{newest.pk}'] a").first.click()
    ui.page.wait_for_url(f"{ui.base}/cloud-accounts/top-ups/{newest.pk}/")
    expect(ui.page.locator(f"[data-amount='{newest.amount}']")).to_be_visible()
    ui.check("top-up")
    ui.go(f"/cloud-accounts/{account.pk}/")
    ui.page.locator("form[data-form=cancel-request] button[type=submit]").click()
    ui.page.wait_for_url(f"{ui.base}/cloud-accounts/{account.pk}/")
    expect(ui.page.locator(".alert-success, [data-toast]").first).to_be_visible()
    ui.check("request-cancelled")
    account.refresh_from_db()
    assert account.status == CloudAccount.Status.CANCELLED
