"""Helpers for the account flows: signing in through the real form, TOTP codes, e-mailed links."""

import base64
import hashlib
import hmac
import re
import struct
import time

import pytest
from django.conf import settings
from django.core import mail
from django.test import Client


def totp(secret: str, *, at: float | None = None) -> str:
    """The RFC 6238 code an authenticator app shows for `secret` (30 s, 6 digits)."""
    key = base64.b32decode(secret.upper() + "=" * (-len(secret) % 8))
    counter = int((at if at is not None else time.time()) // 30)
    digest = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return f"{value % 1_000_000:06d}"


def last_link(prefix: str = "http://testserver/") -> str:
    """The path of the first link in the newest e-mail (the way a person follows it)."""
    body = mail.outbox[-1].body
    match = re.search(r"https?://[^/\s]+(/\S+)", body)
    assert match, body
    return match.group(1)


@pytest.fixture
def sign_in():
    def do(client, email, password="test-password", **extra):
        return client.post("/accounts/login/", {"login": email, "password": password}, **extra)

    return do


def activate_totp(client, password="test-password") -> str:
    """Open the activation page, confirm the password as allauth asks, activate; the secret."""
    page = client.get("/accounts/2fa/totp/activate/")
    if page.status_code == 302 and page["Location"].startswith("/accounts/reauthenticate/"):
        confirmed = client.post(page["Location"], {"password": password})
        assert confirmed["Location"] == "/accounts/2fa/totp/activate/"
        page = client.get("/accounts/2fa/totp/activate/")
    assert page.status_code == 200
    secret = page.context["form"].secret
    for _attempt in range(2):
        # Once more only if the code's 30 s window ended between reading and posting it.
        window = int(time.time() // 30)
        response = client.post("/accounts/2fa/totp/activate/", {"code": totp(secret)})
        if response.status_code == 302 or int(time.time() // 30) == window:
            break
    assert response.status_code == 302, response.content.decode()
    return secret


@pytest.fixture
def enrol_totp(sign_in):
    """Sign in with the password and activate TOTP through the pages; returns the secret."""

    def do(client, email):
        assert sign_in(client, email).status_code == 302
        return activate_totp(client)

    return do


def another_browser(**defaults) -> Client:
    """A second browser (its own cookies), in English like the `client` fixture."""
    browser = Client(**defaults)
    browser.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return browser
