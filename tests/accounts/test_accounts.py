"""Password reset and change, two-factor sign-in, the 2FA rules, session timeouts.

Every flow goes through the pages with Django's test client; e-mailed links are followed from
the locmem outbox.
"""

import time

import pytest
from allauth.mfa.models import Authenticator
from django.contrib.auth import BACKEND_SESSION_KEY
from django.core import mail
from django.core.cache import cache
from django.utils import timezone

from partners.models import User
from tests.accounts.conftest import activate_totp, another_browser, last_link, totp
from tests.factories import DealFactory

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Sóng-biển-2026!"


# --- Password reset and change ---


def test_password_reset_by_email_end_to_end(client, alice, sign_in):
    page = client.get("/login/")
    assert "/accounts/password/reset/" in page.content.decode()

    response = client.post("/accounts/password/reset/", {"email": "Alice@Alpha.test"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["alice@alpha.test"]

    link = last_link()
    form_page = client.get(link, follow=True)
    assert form_page.status_code == 200
    action = form_page.redirect_chain[-1][0]
    done = client.post(action, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})

    assert done.status_code == 302
    alice.refresh_from_db()
    assert alice.check_password(NEW_PASSWORD)
    assert sign_in(client, "alice@alpha.test", NEW_PASSWORD)["Location"] == "/"


def test_a_used_reset_link_is_refused(client, alice):
    client.post("/accounts/password/reset/", {"email": "alice@alpha.test"})
    link = last_link()
    page = client.get(link, follow=True)
    client.post(page.redirect_chain[-1][0], {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})

    again = client.get(link, follow=True)

    assert "The password reset link was invalid" in again.content.decode()
    alice.refresh_from_db()
    assert alice.check_password(NEW_PASSWORD)


def test_an_expired_reset_link_is_refused(client, alice, settings):
    client.post("/accounts/password/reset/", {"email": "alice@alpha.test"})
    link = last_link()
    settings.PASSWORD_RESET_TIMEOUT = -1

    page = client.get(link, follow=True)

    assert "The password reset link was invalid" in page.content.decode()


def test_a_reset_for_an_unknown_email_answers_the_same(client, alice):
    known = client.post("/accounts/password/reset/", {"email": "alice@alpha.test"})
    unknown = client.post("/accounts/password/reset/", {"email": "nobody-here@alpha.test"})

    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"]
    assert [m.to for m in mail.outbox] == [["alice@alpha.test"]]


def test_reset_refuses_a_weak_password_with_the_validators_reason(client, alice):
    client.post("/accounts/password/reset/", {"email": "alice@alpha.test"})
    page = client.get(last_link(), follow=True)

    response = client.post(
        page.redirect_chain[-1][0], {"password1": "12345678", "password2": "12345678"}
    )

    assert response.status_code == 200
    assert "This password is too common." in response.content.decode()
    alice.refresh_from_db()
    assert alice.check_password("test-password")


def test_password_reset_page_speaks_vietnamese(client, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "vi"
    html = client.get("/accounts/password/reset/").content.decode()
    assert "Đặt lại mật khẩu" in html


def test_password_change_keeps_this_session_and_checks_the_validators(client, alice, sign_in):
    sign_in(client, "alice@alpha.test")
    weak = client.post(
        "/accounts/password/change/",
        {"oldpassword": "test-password", "password1": "alice", "password2": "alice"},
    )
    assert weak.status_code == 200
    assert "This password is too short" in weak.content.decode()

    done = client.post(
        "/accounts/password/change/",
        {"oldpassword": "test-password", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )

    assert done.status_code == 302
    alice.refresh_from_db()
    assert alice.check_password(NEW_PASSWORD)
    assert client.get("/deals/").status_code == 200


def test_password_change_ends_other_sessions(client, alice, sign_in, django_user_model):

    other = another_browser()
    sign_in(other, "alice@alpha.test")
    sign_in(client, "alice@alpha.test")

    client.post(
        "/accounts/password/change/",
        {"oldpassword": "test-password", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )

    assert other.get("/deals/").status_code == 302


# --- Two-factor sign-in ---


def test_totp_enrolment_then_sign_in_asks_for_the_code(client, alice, sign_in, enrol_totp):
    secret = enrol_totp(client, "alice@alpha.test")
    assert Authenticator.objects.filter(user=alice).count() == 2  # TOTP + recovery codes
    client.post("/logout/")

    first = sign_in(client, "alice@alpha.test")
    assert first["Location"] == "/accounts/2fa/authenticate/"
    assert client.get("/deals/").status_code == 302
    wrong = client.post("/accounts/2fa/authenticate/", {"code": "000000"})
    assert wrong.status_code == 200
    assert "Incorrect code." in wrong.content.decode()
    right = client.post("/accounts/2fa/authenticate/", {"code": totp(secret)})

    assert right["Location"] == "/"
    assert client.get("/deals/").status_code == 200


def test_a_replayed_totp_code_is_refused(client, alice, sign_in, enrol_totp):
    secret = enrol_totp(client, "alice@alpha.test")
    client.post("/logout/")
    cache.clear()  # forget the code used to enrol, so the next one is fresh
    sign_in(client, "alice@alpha.test")
    code = totp(secret)
    assert client.post("/accounts/2fa/authenticate/", {"code": code})["Location"] == "/"
    client.post("/logout/")

    sign_in(client, "alice@alpha.test")
    replay = client.post("/accounts/2fa/authenticate/", {"code": code})

    assert replay.status_code == 200
    assert "Incorrect code." in replay.content.decode()


def test_a_recovery_code_signs_in_once(client, alice, sign_in, enrol_totp):
    enrol_totp(client, "alice@alpha.test")
    codes = client.get("/accounts/2fa/recovery-codes/").context["unused_codes"]
    client.post("/logout/")

    sign_in(client, "alice@alpha.test")
    assert client.post("/accounts/2fa/authenticate/", {"code": codes[0]})["Location"] == "/"
    client.post("/logout/")
    sign_in(client, "alice@alpha.test")

    assert client.post("/accounts/2fa/authenticate/", {"code": codes[0]}).status_code == 200


def test_wrong_2fa_codes_are_limited_per_user(client, alice, sign_in, enrol_totp):
    secret = enrol_totp(client, "alice@alpha.test")
    client.post("/logout/")
    sign_in(client, "alice@alpha.test")
    for _ in range(5):
        client.post("/accounts/2fa/authenticate/", {"code": "000000"})

    response = client.post(
        "/accounts/2fa/authenticate/", {"code": totp(secret, at=time.time() + 30)}
    )

    assert response.status_code == 200
    assert "Too many failed sign-ins" in response.content.decode()
    assert client.get("/deals/").status_code == 302


def test_organisation_rule_sends_members_without_2fa_to_set_it_up(client, alpha, sam, sign_in):
    alpha.require_2fa = True
    alpha.save()
    sign_in(client, "sam@alpha.test")

    response = client.get("/deals/")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/2fa/totp/activate/"
    activate_totp(client)
    assert client.get("/deals/").status_code == 200


@pytest.mark.parametrize(
    "method, path",
    [
        ("get", "/"),
        ("get", "/notifications/"),
        ("get", "/notifications/settings/"),
        ("post", "/notifications/read-all/"),
        ("get", "/team/"),
        ("get", "/team/tokens/"),
        ("get", "/customers/"),
        ("get", "/reports/"),
    ],
)
def test_organisation_rule_covers_every_partner_page(client, alpha, sam, sign_in, method, path):
    """The bell's inbox and its settings showed deal titles to a member without 2FA."""
    DealFactory(partner=alpha, created_by=sam, title="Secret migration for Sao Mai")
    alpha.require_2fa = True
    alpha.save()
    sign_in(client, "sam@alpha.test")

    response = getattr(client, method)(path)

    assert response.status_code == 302
    assert response["Location"] == "/accounts/2fa/totp/activate/"
    assert "Sao Mai" not in response.content.decode()


def test_organisation_rule_leaves_the_account_pages_open(client, alpha, sam, sign_in):
    alpha.require_2fa = True
    alpha.save()
    sign_in(client, "sam@alpha.test")

    assert client.get("/accounts/security/").status_code == 200
    assert client.post("/logout/").status_code == 302


def test_organisation_rule_does_not_touch_other_partners(client, alpha, bob, sign_in):
    alpha.require_2fa = True
    alpha.save()
    sign_in(client, "bob@beta.test")
    assert client.get("/deals/").status_code == 200


def test_staff_need_2fa_for_admin_when_the_setting_is_on(client, staff, settings, sign_in):
    settings.STAFF_REQUIRE_2FA = True
    sign_in(client, "staff@vngcloud.test")

    response = client.get("/admin/")

    assert response["Location"] == "/accounts/2fa/totp/activate/"
    activate_totp(client)
    assert client.get("/admin/").status_code == 200


def test_staff_without_2fa_reach_admin_when_the_setting_is_off(client, staff, settings, sign_in):
    settings.STAFF_REQUIRE_2FA = False
    sign_in(client, "staff@vngcloud.test")
    assert client.get("/admin/").status_code == 200


def test_admin_login_goes_through_the_portal_sign_in(client, staff):
    response = client.get("/admin/login/?next=/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


# --- Sessions ---


def test_an_idle_session_ends(client, alice, sign_in, settings):
    sign_in(client, "alice@alpha.test")
    assert client.get("/deals/").status_code == 200
    session = client.session
    session["last_seen_at"] = time.time() - settings.SESSION_IDLE_TIMEOUT.total_seconds() - 5
    session.save()

    response = client.get("/deals/")

    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_a_session_ends_after_the_absolute_timeout_even_when_busy(client, alice, sign_in, settings):
    sign_in(client, "alice@alpha.test")
    client.get("/deals/")
    session = client.session
    session["signed_in_at"] = time.time() - settings.SESSION_ABSOLUTE_TIMEOUT.total_seconds() - 5
    session.save()

    assert client.get("/deals/").status_code == 302


def test_an_active_session_stays(client, alice, sign_in):
    sign_in(client, "alice@alpha.test")
    for _ in range(3):
        assert client.get("/deals/").status_code == 200


def test_a_session_signed_in_before_the_backend_was_renamed_stays_signed_in(client, alice, sign_in):
    sign_in(client, "alice@alpha.test")
    session = client.session
    assert session[BACKEND_SESSION_KEY] == "accounts.backends.PortalAuthenticationBackend"
    session[BACKEND_SESSION_KEY] = "allauth.account.auth_backends.AuthenticationBackend"
    session.save()

    assert client.get("/deals/").status_code == 200
    assert client.session[BACKEND_SESSION_KEY] == "accounts.backends.PortalAuthenticationBackend"


def test_idle_timeout_default_is_eight_hours_and_absolute_fourteen_days(settings):
    assert settings.SESSION_IDLE_TIMEOUT.total_seconds() == 8 * 3600
    assert settings.SESSION_ABSOLUTE_TIMEOUT.total_seconds() == 14 * 24 * 3600


def test_logout_deletes_the_session_on_the_server(client, alice, sign_in):
    from django.contrib.sessions.models import Session

    sign_in(client, "alice@alpha.test")
    key = client.session.session_key
    client.post("/logout/")

    assert not Session.objects.filter(session_key=key).exists()


# --- /accounts/security/ ---


def test_security_page_lists_sign_ins_and_signs_out_elsewhere(client, alice, sign_in):

    phone = another_browser(HTTP_USER_AGENT="Phone browser")
    sign_in(phone, "alice@alpha.test", REMOTE_ADDR="198.51.100.20")
    sign_in(client, "alice@alpha.test", HTTP_USER_AGENT="Laptop browser")

    page = client.get("/accounts/security/")
    html = page.content.decode()
    assert "198.51.100.20" in html and "Phone browser" in html and "Laptop browser" in html

    client.post("/accounts/security/sign-out-elsewhere/")

    assert phone.get("/deals/").status_code == 302
    assert client.get("/deals/").status_code == 200
    assert User.objects.get(pk=alice.pk).usersession_set.count() == 1


def test_sign_out_elsewhere_is_post_only(client, alice, sign_in):
    sign_in(client, "alice@alpha.test")
    assert client.get("/accounts/security/sign-out-elsewhere/").status_code == 405


def test_signup_is_closed(client):
    response = client.post(
        "/accounts/signup/",
        {"email": "new@example.test", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    assert response.status_code == 200
    assert not User.objects.filter(email="new@example.test").exists()


def test_email_management_page_is_not_offered(client, alice, sign_in):
    sign_in(client, "alice@alpha.test")
    assert client.get("/accounts/email/").status_code == 404


def test_last_login_is_recorded(client, alice, sign_in):
    sign_in(client, "alice@alpha.test")
    alice.refresh_from_db()
    assert alice.last_login is not None
    assert (timezone.now() - alice.last_login).total_seconds() < 60


def _setting_in_a_fresh_process(name, **env):
    """The setting as a process started with `env` reads it (settings.py executed afresh)."""
    import os

    from tests.fresh_settings import fresh_settings

    return str(getattr(fresh_settings({**os.environ, "SECRET_KEY": "x" * 50, **env}), name))


def test_staff_2fa_is_on_by_default_when_debug_is_off():
    assert _setting_in_a_fresh_process("STAFF_REQUIRE_2FA", DEBUG="false") == "True"
    assert _setting_in_a_fresh_process("STAFF_REQUIRE_2FA", DEBUG="true") == "False"
    assert (
        _setting_in_a_fresh_process("STAFF_REQUIRE_2FA", DEBUG="false", STAFF_REQUIRE_2FA="false")
        == "False"
    )


def test_invitations_are_read_only_in_admin(client, staff):
    client.force_login(staff)
    assert client.get("/admin/accounts/invitation/").status_code == 200
    assert client.get("/admin/accounts/invitation/add/").status_code == 403


def test_the_authenticator_app_cannot_be_removed_while_2fa_is_required(
    client, alpha, alice, enrol_totp
):
    enrol_totp(client, "alice@alpha.test")
    alpha.require_2fa = True
    alpha.save()

    response = client.post("/accounts/2fa/totp/deactivate/")

    assert response.status_code == 200
    assert "You cannot deactivate two-factor authentication." in response.content.decode()
    assert Authenticator.objects.filter(user=alice, type="totp").count() == 1


def test_the_authenticator_app_can_be_removed_when_2fa_is_optional(client, alice, enrol_totp):
    enrol_totp(client, "alice@alpha.test")

    response = client.post("/accounts/2fa/totp/deactivate/")

    assert response.status_code == 302
    assert Authenticator.objects.filter(user=alice, type="totp").count() == 0


def test_totp_secret_is_stored_encrypted_and_survives_a_key_rotation(
    client, alice, enrol_totp, settings, sign_in
):
    secret = enrol_totp(client, "alice@alpha.test")
    stored = Authenticator.objects.get(user=alice, type="totp").data["secret"]
    assert secret not in stored
    client.post("/logout/")
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "a-new-secret-key-" + "x" * 40
    cache.clear()  # forget the code used to enrol

    sign_in(client, "alice@alpha.test")
    response = client.post("/accounts/2fa/authenticate/", {"code": totp(secret)})

    assert response["Location"] == "/"
