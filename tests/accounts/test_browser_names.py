"""Sign-ins and sessions name the browser as a person does: "Chrome on Linux"."""

import re

import pytest
from django.utils import translation

from tests.accounts.conftest import another_browser
from web.useragents import describe

pytestmark = pytest.mark.django_db

CHROME_LINUX = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)
IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
)
EDGE = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0"
)


@pytest.mark.parametrize(
    ("user_agent", "en", "vi"),
    [
        (CHROME_LINUX, "Chrome on Linux", "Chrome trên Linux"),
        (IPHONE, "Mobile Safari on iOS", "Mobile Safari trên iOS"),
        (EDGE, "Edge on Windows", "Edge trên Windows"),
        ("python-requests/2.32", "Python Requests", "Python Requests"),
        ("", "Unknown browser", "Trình duyệt không xác định"),
        (None, "Unknown browser", "Trình duyệt không xác định"),
    ],
)
def test_describe_names_browser_and_system(user_agent, en, vi):
    with translation.override("en"):
        assert describe(user_agent) == en
    with translation.override("vi"):
        assert describe(user_agent) == vi


def visible_text(html: str) -> str:
    return re.sub(r"<[^>]+>", " ", html)


def test_security_and_sessions_pages_show_browser_names(client, alice, sign_in):
    phone = another_browser(HTTP_USER_AGENT=IPHONE)
    sign_in(phone, "alice@alpha.test")
    sign_in(client, "alice@alpha.test", HTTP_USER_AGENT=CHROME_LINUX)

    for url in ("/accounts/security/", "/accounts/sessions/"):
        text = visible_text(client.get(url).content.decode())

        assert "Chrome on Linux" in text and "Mobile Safari on iOS" in text, url
        assert "AppleWebKit" not in text, url
