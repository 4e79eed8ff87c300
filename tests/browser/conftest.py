"""Real-browser tests: Playwright drives Debian's Chromium against Django's live server."""

import os
import shutil

import pytest

CHROMIUM = "/usr/bin/chromium"

# Playwright's sync API runs an event loop in the test thread; the ORM calls the tests make
# for set-up and assertions are still plain synchronous code.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def pytest_collection_modifyitems(items):
    if os.path.exists(CHROMIUM) or shutil.which("chromium"):
        return
    skip = pytest.mark.skip(reason="Chromium is not installed (apt-get install chromium)")
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM if os.path.exists(CHROMIUM) else shutil.which("chromium"),
        "args": [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    }


@pytest.fixture
def login(page, live_server):
    def do(email, password="test-password"):
        page.goto(f"{live_server.url}/login/")
        page.fill("input[name=login]", email)
        page.fill("input[name=password]", password)
        page.locator("main button[type=submit]").click()
        page.wait_for_url(f"{live_server.url}/")
        return page

    return do
