"""The sign-in lockout, as an attacker and an honest user behind the load balancer see it."""

import re

import pytest
from axes.models import AccessAttempt, AccessLog
from django.core import mail
from django.test import RequestFactory

from tests.factories import MembershipFactory
from web.net import client_ip

pytestmark = pytest.mark.django_db


def post_login(client, email, password, **headers):
    return client.post("/accounts/login/", {"login": email, "password": password}, **headers)


@pytest.fixture
def one_proxy(settings):
    settings.PROXY_COUNT = 1


def test_spoofed_forwarded_addresses_do_not_escape_the_lockout(client, alice, one_proxy):
    for i in range(12):
        post_login(
            client, "alice@alpha.test", "wrong", HTTP_X_FORWARDED_FOR=f"6.6.6.{i}, 127.0.0.1"
        )

    response = post_login(
        client, "alice@alpha.test", "test-password", HTTP_X_FORWARDED_FOR="6.6.6.99, 127.0.0.1"
    )

    assert response.status_code == 429
    assert "Too many failed logins" in response.content.decode()
    assert client.get("/deals/").status_code == 302
    assert list(AccessAttempt.objects.values_list("ip_address", flat=True)) == ["127.0.0.1"]


def test_behind_one_proxy_each_client_has_its_own_address(client, alice, one_proxy):
    for _ in range(5):
        post_login(client, "alice@alpha.test", "wrong", HTTP_X_FORWARDED_FOR="203.0.113.7")
    locked = post_login(
        client, "alice@alpha.test", "test-password", HTTP_X_FORWARDED_FOR="203.0.113.7"
    )

    from_elsewhere = post_login(
        client, "alice@alpha.test", "test-password", HTTP_X_FORWARDED_FOR="1.2.3.4, 198.51.100.9"
    )

    assert locked.status_code == 429
    assert from_elsewhere.status_code == 302
    assert AccessLog.objects.get().ip_address == "198.51.100.9"


def test_without_proxies_the_forwarded_header_is_ignored(client, alice, settings):
    settings.PROXY_COUNT = 0
    for i in range(5):
        post_login(client, "alice@alpha.test", "wrong", HTTP_X_FORWARDED_FOR=f"6.6.6.{i}")

    response = post_login(
        client, "alice@alpha.test", "test-password", HTTP_X_FORWARDED_FOR="9.9.9.9"
    )

    assert response.status_code == 429


@pytest.mark.parametrize(
    "proxies, forwarded, expected",
    [
        (0, "6.6.6.6", "10.0.0.2"),
        (1, "6.6.6.6, 198.51.100.9", "198.51.100.9"),
        (1, "198.51.100.9", "198.51.100.9"),
        (2, "6.6.6.6, 198.51.100.9, 10.1.1.1", "198.51.100.9"),
        (2, "198.51.100.9", "10.0.0.2"),  # fewer entries than proxies: not through them all
        (1, "6.6.6.6, not-an-address", "10.0.0.2"),
        (1, "", "10.0.0.2"),
        (1, "6.6.6.6, 2001:db8::1", "2001:db8::1"),
    ],
)
def test_client_ip_reads_the_forwarded_header_from_the_right(
    settings, proxies, forwarded, expected
):
    settings.PROXY_COUNT = proxies
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=forwarded)
    assert client_ip(request) == expected


def test_one_address_trying_many_accounts_is_stopped(client, alpha, alice, settings):
    for i in range(settings.LOGIN_FAILURES_PER_ADDRESS):
        MembershipFactory(partner=alpha, user__email=f"user{i}@alpha.test")
        post_login(client, f"user{i}@alpha.test", "Password123")

    response = post_login(client, "alice@alpha.test", "test-password")
    elsewhere = post_login(client, "alice@alpha.test", "test-password", REMOTE_ADDR="198.51.100.3")

    assert response.status_code == 200
    assert "Too many failed sign-ins from your network" in response.content.decode()
    assert elsewhere.status_code == 302


def test_the_per_address_limit_counts_only_failures(client, alice, settings):
    for _ in range(settings.LOGIN_FAILURES_PER_ADDRESS + 5):
        assert post_login(client, "alice@alpha.test", "test-password").status_code == 302
        client.post("/logout/")


def test_password_reset_requests_are_limited(client, alice):
    for _ in range(5):
        assert (
            client.post("/accounts/password/reset/", {"email": "alice@alpha.test"}).status_code
            == 302
        )

    response = client.post("/accounts/password/reset/", {"email": "alice@alpha.test"})

    assert response.status_code == 429
    assert "Too many requests" in response.content.decode()
    assert len(mail.outbox) == 5


def test_password_reset_requests_are_limited_per_address_across_emails(client, settings):
    for i in range(settings.LOGIN_FAILURES_PER_ADDRESS):
        client.post("/accounts/password/reset/", {"email": f"someone{i}@example.test"})

    response = client.post("/accounts/password/reset/", {"email": "another@example.test"})

    assert response.status_code == 429


def test_admin_sign_in_has_the_same_lockout(client, staff):
    login_page = client.get("/admin/login/?next=/admin/")["Location"]
    for _ in range(5):
        client.post(login_page, {"login": "staff@vngcloud.test", "password": "wrong"})

    response = client.post(
        login_page, {"login": "staff@vngcloud.test", "password": "test-password"}
    )

    assert response.status_code == 429
    assert client.get("/admin/").status_code == 302


def test_lockout_messages_in_vietnamese(client, alice, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "vi"
    for _ in range(5):
        post_login(client, "alice@alpha.test", "wrong")

    locked = post_login(client, "alice@alpha.test", "test-password")
    for i in range(settings.LOGIN_FAILURES_PER_ADDRESS):
        post_login(client, f"x{i}@alpha.test", "wrong", REMOTE_ADDR="198.51.100.4")
    network = post_login(client, "alice@alpha.test", "test-password", REMOTE_ADDR="198.51.100.4")

    assert "Đăng nhập thất bại quá nhiều lần" in locked.content.decode()
    assert "Đăng nhập sai quá nhiều lần từ mạng của bạn" in network.content.decode()


def test_one_account_tried_from_many_addresses_is_locked(client, alice, sam, settings):
    # 12 wrong passwords for alice, each from another address: the per-address and the
    # (e-mail, address) limits never fire; the per-account one does.
    for i in range(12):
        post_login(client, "alice@alpha.test", "wrong", REMOTE_ADDR=f"203.0.113.{i + 1}")

    right = post_login(client, "alice@alpha.test", "test-password", REMOTE_ADDR="198.51.100.7")
    signed_in = "_auth_user_id" in client.session
    other_account = post_login(client, "sam@alpha.test", "test-password", REMOTE_ADDR="203.0.113.1")

    assert right.status_code == 200
    assert "Too many failed sign-ins for this account" in right.content.decode()
    assert signed_in is False
    assert other_account.status_code == 302
    assert client.session["_auth_user_id"] == str(sam.pk)


def test_the_account_limit_counts_failures_not_sign_ins(client, alice, settings):
    for i in range(settings.LOGIN_FAILURES_PER_ACCOUNT - 1):
        post_login(client, "alice@alpha.test", "wrong", REMOTE_ADDR=f"203.0.113.{i + 1}")
    for _ in range(3):  # good sign-ins give their try back
        assert post_login(client, "alice@alpha.test", "test-password").status_code == 302
        client.post("/logout/")

    last_try = post_login(client, "alice@alpha.test", "wrong", REMOTE_ADDR="203.0.113.200")
    locked = post_login(client, "alice@alpha.test", "test-password", REMOTE_ADDR="198.51.100.7")

    assert "Too many failed sign-ins for this account" not in last_try.content.decode()
    assert locked.status_code == 200
    assert "Too many failed sign-ins for this account" in locked.content.decode()


def test_a_password_reset_lifts_the_account_limit(client, alice, settings):
    for i in range(settings.LOGIN_FAILURES_PER_ACCOUNT):
        post_login(client, "alice@alpha.test", "wrong", REMOTE_ADDR=f"203.0.113.{i + 1}")
    assert post_login(client, "alice@alpha.test", "test-password").status_code == 200

    client.post("/accounts/password/reset/", {"email": "alice@alpha.test"})
    link = re.search(r"https?://[^/\s]+(/\S+)", mail.outbox[-1].body).group(1)
    form_url = client.get(link)["Location"]
    client.post(form_url, {"password1": "A-new-pass-2024!", "password2": "A-new-pass-2024!"})

    assert post_login(client, "alice@alpha.test", "A-new-pass-2024!").status_code == 302


def test_the_account_limit_speaks_vietnamese(client, alice, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "vi"
    for i in range(settings.LOGIN_FAILURES_PER_ACCOUNT):
        post_login(client, "alice@alpha.test", "wrong", REMOTE_ADDR=f"203.0.113.{i + 1}")

    locked = post_login(client, "alice@alpha.test", "test-password", REMOTE_ADDR="198.51.100.7")

    assert "Tài khoản này bị đăng nhập sai quá nhiều lần" in locked.content.decode()
