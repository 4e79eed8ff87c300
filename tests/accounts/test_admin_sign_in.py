"""Signing in to admin asks for the password once: staff who must use 2FA set it up right after
signing in without typing the password again (allauth's re-authentication), and read their
recovery codes; later changes to 2FA still ask for the password."""

import time

from allauth.account.internal.flows.login import AUTHENTICATION_METHODS_SESSION_KEY

from tests.accounts.conftest import totp


def follow(client, response, limit=8):
    """Follow redirects the way a browser does: the paths visited and the last page."""
    visited = []
    while response.status_code in (301, 302) and limit:
        visited.append(response["Location"])
        response = client.get(response["Location"])
        limit -= 1
    return visited, response


def sign_in_at_admin(client):
    login_page = client.get("/admin/login/?next=/admin/")["Location"]
    response = client.post(
        login_page, {"login": "staff@vngcloud.test", "password": "test-password"}
    )
    return follow(client, response)


def asked_for_password(visited):
    return any(path.startswith("/accounts/reauthenticate/") for path in visited)


def test_staff_signing_in_at_admin_type_the_password_once(client, staff, settings):
    settings.STAFF_REQUIRE_2FA = True

    visited, page = sign_in_at_admin(client)

    assert not asked_for_password(visited), visited
    assert visited[-1] == "/accounts/2fa/totp/activate/"
    assert page.status_code == 200
    secret = page.context["form"].secret

    activated = client.post("/accounts/2fa/totp/activate/", {"code": totp(secret)})
    visited, page = follow(client, activated)
    assert not asked_for_password(visited), visited
    assert visited == ["/accounts/2fa/recovery-codes/"]
    assert page.status_code == 200
    assert staff.authenticator_set.count() == 2  # the app and the recovery codes
    assert client.get("/admin/").status_code == 200


def test_the_password_is_asked_again_once_the_sign_in_is_minutes_old(client, staff, settings):
    settings.STAFF_REQUIRE_2FA = True
    sign_in_at_admin(client)
    session = client.session
    records = session[AUTHENTICATION_METHODS_SESSION_KEY]
    records[0]["at"] = time.time() - 301  # allauth asks again after 300 s
    session[AUTHENTICATION_METHODS_SESSION_KEY] = records
    session.save()

    response = client.get("/accounts/2fa/totp/activate/")

    assert response["Location"].startswith("/accounts/reauthenticate/")


def test_setting_up_2fa_by_choice_still_asks_for_the_password(client, staff, settings):
    settings.STAFF_REQUIRE_2FA = False
    sign_in_at_admin(client)

    response = client.get("/accounts/2fa/totp/activate/")

    assert response["Location"].startswith("/accounts/reauthenticate/")
    assert not staff.authenticator_set.exists()
