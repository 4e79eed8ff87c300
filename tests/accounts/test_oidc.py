"""Single sign-on against a real OpenID Connect provider on 127.0.0.1.

The provider is django-oauth-toolkit in its own process (tests/oidc_provider/); the portal
fetches its discovery document, exchanges the code and checks the signed ID token over real
HTTP. Only the provider's sign-in page is a shortcut (?username=...).
"""

import os
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests
from allauth.socialaccount.models import SocialAccount
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.conf import settings as django_settings

from partners.models import Membership, User
from tests.accounts.conftest import activate_totp
from tests.oidc_provider.bootstrap import CLIENT_ID, CLIENT_SECRET
from tests.servers import free_port

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

ROOT = Path(django_settings.BASE_DIR)
# http with DEBUG (a developer's .env), https otherwise (ACCOUNT_DEFAULT_HTTP_PROTOCOL).
CALLBACKS = " ".join(
    f"{scheme}://testserver/accounts/oidc/sso/login/callback/" for scheme in ("http", "https")
)
PROVIDER_USERS = [
    "alice:alice@alpha.test",  # verified, matches a partner user
    "unverified-alice:alice@alpha.test",  # same address, not verified by the provider
    "stranger:stranger@example.test",  # verified, no portal account
    "nobody:nobody@example.test",  # verified, a portal account without a partner
]


def _private_key() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


@pytest.fixture(scope="module")
def provider(tmp_path_factory):
    """Start the provider; yields its issuer URL, stops it afterwards."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.oidc_provider.settings",
        "OIDC_PROVIDER_DB": str(tmp_path_factory.mktemp("oidc") / "provider.sqlite3"),
        "OIDC_RSA_PRIVATE_KEY": _private_key(),
    }
    run = [sys.executable, "-m", "tests.oidc_provider.bootstrap", CALLBACKS, *PROVIDER_USERS]
    subprocess.run(run, env=env, cwd=ROOT, check=True, capture_output=True)
    # The provider's log, for a failing test to show.
    log = (tmp_path_factory.getbasetemp() / "oidc-provider.log").open("w")
    server, issuer = _start_provider(env, log)
    try:
        yield issuer
    finally:
        server.terminate()
        server.wait(timeout=10)
        log.close()


def _start_provider(env: dict, log) -> tuple[subprocess.Popen, str]:
    """runserver on a free port; another one if something took it before runserver bound it."""
    for _attempt in range(3):
        port = free_port()
        server = subprocess.Popen(
            [sys.executable, "-m", "django", "runserver", f"127.0.0.1:{port}", "--noreload"],
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=log,
        )
        issuer = f"http://127.0.0.1:{port}/o"
        if _wait_until_up(f"{issuer}/.well-known/openid-configuration", server):
            return server, issuer
    raise RuntimeError("the OIDC provider did not start (its log: oidc-provider.log)")


def _wait_until_up(url: str, server) -> bool:
    """True once the provider answers; False if it exited (the port was taken)."""
    for _ in range(150):  # 30 s at most
        if server.poll() is not None:
            return False
        try:
            if requests.get(url, timeout=2).status_code == 200:
                return True
        except requests.ConnectionError:
            pass
        time.sleep(0.2)
    server.kill()
    raise RuntimeError("the OIDC provider did not answer")


@pytest.fixture
def sso_on(settings, provider):
    settings.SOCIALACCOUNT_PROVIDERS = {
        "openid_connect": {
            "APPS": [
                {
                    "provider_id": "sso",
                    "name": "VNG Cloud",
                    "client_id": CLIENT_ID,
                    "secret": CLIENT_SECRET,
                    "settings": {"server_url": provider, "token_auth_method": "client_secret_post"},
                }
            ],
            "OAUTH_PKCE_ENABLED": True,
        }
    }
    return provider


def sign_in_with_sso(client, provider: str, username: str):
    """Press the SSO button, sign in at the provider, follow its redirect back to the portal."""
    start = client.post("/accounts/oidc/sso/login/")
    assert start.status_code == 302, start.content.decode()
    assert start["Location"].startswith(provider)
    browser = requests.Session()
    browser.get(f"{provider.removesuffix('/o')}/sign-in/", params={"username": username})
    answer = browser.get(start["Location"], allow_redirects=False, timeout=10)
    assert answer.status_code == 302, answer.text
    back = urlsplit(answer.headers["Location"])
    assert back.path == "/accounts/oidc/sso/login/callback/"
    return client.get(f"{back.path}?{back.query}")


def test_sso_signs_in_the_account_with_the_verified_email(client, alice, sso_on):
    users, memberships = User.objects.count(), Membership.objects.count()

    response = sign_in_with_sso(client, sso_on, "alice")

    assert response.status_code == 302
    assert response["Location"] == "/"
    assert client.get("/deals/").status_code == 200
    assert SocialAccount.objects.get().user == alice
    assert (User.objects.count(), Membership.objects.count()) == (users, memberships)
    alice.refresh_from_db()
    assert alice.check_password("test-password")  # the password still works


def test_sso_with_an_unverified_email_opens_nothing(client, alice, sso_on):
    users = User.objects.count()

    response = sign_in_with_sso(client, sso_on, "unverified-alice")

    assert "No portal account" in response.content.decode()
    assert client.get("/deals/").status_code == 302
    assert User.objects.count() == users and SocialAccount.objects.count() == 0
    alice.refresh_from_db()
    assert alice.check_password("test-password")


def test_sso_without_a_portal_account_creates_none(client, alpha, sso_on):
    response = sign_in_with_sso(client, sso_on, "stranger")

    assert "No portal account" in response.content.decode()
    assert not User.objects.filter(email="stranger@example.test").exists()
    assert Membership.objects.count() == 0


def test_sso_never_creates_a_membership(client, nobody, alpha, sso_on):
    response = sign_in_with_sso(client, sso_on, "nobody")

    assert response.status_code == 302
    page = client.get("/deals/")
    assert page.status_code == 403
    assert "Your account is not linked to a partner" in page.content.decode()
    assert Membership.objects.filter(user=nobody).count() == 0


def test_sso_still_asks_for_the_second_factor(client, alice, sso_on, sign_in):
    sign_in(client, "alice@alpha.test")
    activate_totp(client)
    client.post("/logout/")

    response = sign_in_with_sso(client, sso_on, "alice")

    assert response["Location"] == "/accounts/2fa/authenticate/"
    assert client.get("/deals/").status_code == 302


def test_sso_is_refused_for_a_deactivated_user(client, alice, sso_on):
    alice.is_active = False
    alice.save()

    response = sign_in_with_sso(client, sso_on, "alice")

    assert response["Location"] == "/accounts/inactive/"
    assert client.get("/deals/").status_code == 302


def test_sso_is_off_without_configuration(client, settings):
    settings.SOCIALACCOUNT_PROVIDERS = {"openid_connect": {"APPS": []}}

    assert "Sign in with" not in client.get("/login/").content.decode()
    assert client.post("/accounts/oidc/sso/login/").status_code == 404


def test_login_page_offers_sso_when_configured(client, sso_on):
    html = client.get("/login/").content.decode()
    assert "Sign in with VNG Cloud" in html
