"""Account flows in a real browser: invitation, TOTP enrolment, sign-in with the code, password
reset from the login page, and deactivation ending an open session.

E-mails go to Django's locmem outbox (the live server runs in this process); the test opens the
link from the e-mail the way a person would.
"""

import re
import time

import pytest
from django.core import mail
from django.core.cache import cache
from playwright.sync_api import expect

from partners.models import User
from tests.accounts.conftest import totp

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "Mây-trắng-bay-2026"
SUBMIT = "main form button[type=submit]:not([form])"


def link_in_last_mail(live_server) -> str:
    body = mail.outbox[-1].body
    path = re.search(r"https?://[^/\s]+(/\S+)", body).group(1)
    return f"{live_server.url}{path}"


def sign_in(page, live_server, email, password):
    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", password)
    page.locator(SUBMIT).click()


def type_code(page, secret: str, *, expect_url: str) -> None:
    """Type the authenticator's current code; once more if its 30 s window ended meanwhile.

    A person whose code expires as they press the button types the next one; on a busy
    machine the request can land in the next window, where the old code is refused.
    """
    for _attempt in range(2):
        window = int(time.time() // 30)
        page.fill("input[name=code]", totp(secret))
        with page.expect_navigation():
            page.locator(SUBMIT).click()
        if re.search(expect_url, page.url) or int(time.time() // 30) == window:
            break
    assert re.search(expect_url, page.url), page.url


def enrol_totp(page, live_server, password) -> str:
    page.goto(f"{live_server.url}/accounts/security/")
    page.locator("a[href='/accounts/2fa/']").click()
    page.locator("a[href='/accounts/2fa/totp/activate/']").click()
    # allauth asks for the password again before changing the second factor.
    page.fill("input[name=password]", password)
    page.locator(SUBMIT).click()
    expect(page.locator("img.portal-qr")).to_be_visible()
    secret = page.locator("#authenticator_secret").input_value()
    type_code(page, secret, expect_url=r"/accounts/2fa/recovery-codes/")
    return secret


def test_invite_enrol_sign_in_with_code_reset_then_deactivate(
    page, browser, live_server, login, alice, settings, request
):
    settings.SITE_URL = live_server.url
    login("alice@alpha.test", form=True)
    page.goto(f"{live_server.url}/team/")
    page.fill("form[action='/team/invite/'] input[name=email]", "linh@alpha.test")
    page.locator("form[action='/team/invite/'] button[type=submit]").click()
    expect(page.locator("[data-invitations]")).to_contain_text("linh@alpha.test")

    # The colleague's own browser window; closed at the end so that no kept-alive connection
    # outlives the test (the live server would close its database connection too late).
    colleague_context = browser.new_context()
    request.addfinalizer(colleague_context.close)
    colleague = colleague_context.new_page()
    colleague.goto(link_in_last_mail(live_server))
    colleague.fill("input[name=last_name]", "Trần")
    colleague.fill("input[name=first_name]", "Linh")
    colleague.fill("input[name=password1]", PASSWORD)
    colleague.fill("input[name=password2]", PASSWORD)
    colleague.locator(SUBMIT).click()
    colleague.wait_for_url(re.compile(r"/accounts/login/"))
    sign_in(colleague, live_server, "linh@alpha.test", PASSWORD)
    colleague.wait_for_url(f"{live_server.url}/")

    secret = enrol_totp(colleague, live_server, PASSWORD)
    colleague.locator("nav .dropdown-toggle").click()
    colleague.locator("nav form[action='/logout/'] button").click()
    colleague.wait_for_url(re.compile(r"/login/"))
    sign_in(colleague, live_server, "linh@alpha.test", PASSWORD)
    colleague.wait_for_url(re.compile(r"/accounts/2fa/authenticate/"))
    # The code used to enrol stays refused (a replay) for the rest of its 30 s; a person would
    # type the next one. Forgetting the used codes (the live server shares this process's
    # cache) lets the test type the current code at once.
    cache.clear()
    type_code(colleague, secret, expect_url=rf"^{re.escape(live_server.url)}/$")

    page.goto(f"{live_server.url}/team/")
    linh = User.objects.get(email="linh@alpha.test")
    expect(page.locator("[data-member='linh@alpha.test']")).to_contain_text(re.compile("On|Bật"))
    page.locator(f"form[action='/team/{linh.pk}/deactivate/'] button").click()
    expect(page.locator("[data-member='linh@alpha.test']")).to_contain_text(
        re.compile("Deactivated|Đã vô hiệu hóa")
    )

    colleague.goto(f"{live_server.url}/deals/")
    colleague.wait_for_url(re.compile(r"/login/"))
    assert not User.objects.get(pk=linh.pk).is_active


def test_reset_the_password_from_the_login_page(page, live_server, alice):
    page.goto(f"{live_server.url}/login/")
    page.locator("a[href='/accounts/password/reset/']").click()
    page.fill("input[name=email]", "alice@alpha.test")
    page.locator(SUBMIT).click()
    page.wait_for_url(re.compile(r"/accounts/password/reset/done/"))

    page.goto(link_in_last_mail(live_server))
    page.fill("input[name=password1]", PASSWORD)
    page.fill("input[name=password2]", PASSWORD)
    page.locator(SUBMIT).click()
    page.wait_for_url(re.compile(r"/accounts/password/reset/key/done/"))

    sign_in(page, live_server, "alice@alpha.test", PASSWORD)
    page.wait_for_url(f"{live_server.url}/")
    alice.refresh_from_db()
    assert alice.check_password(PASSWORD)


def test_enrol_totp_then_sign_in_with_the_code(page, live_server, login, alice):
    login("alice@alpha.test", form=True)
    secret = enrol_totp(page, live_server, "test-password")
    page.context.clear_cookies()

    sign_in(page, live_server, "alice@alpha.test", "test-password")
    page.wait_for_url(re.compile(r"/accounts/2fa/authenticate/"))
    page.fill("input[name=code]", "000000")
    page.locator(SUBMIT).click()
    expect(page.locator("main")).to_contain_text(re.compile("Incorrect code|Mã không đúng"))
    assert "/accounts/2fa/authenticate/" in page.url
    recovery = alice.authenticator_set.get(type="recovery_codes").wrap().get_unused_codes()[0]
    page.fill("input[name=code]", recovery)
    page.locator(SUBMIT).click()
    page.wait_for_url(f"{live_server.url}/")
    assert secret
