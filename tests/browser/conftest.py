"""Real-browser tests: Playwright drives Debian's Chromium against Django's live server."""

import atexit
import io
import os
import re
import shutil
import sqlite3
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.core.servers import basehttp
from django.db import connection
from django.test import Client

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
def browser_context_args(browser_context_args):
    """Every `page` test's context asks for reduced motion, as the `ui` tabs do: Bootstrap then
    shows a dialog at once instead of sliding it in for 0.3 s, so a test that reads where an
    element is (to drag its corner, say) never reads it mid-slide."""
    return {**browser_context_args, "reduced_motion": "reduce"}


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


# --- The demo data, seeded once per test process ------------------------------------------
# seed_demo takes seconds (about 10 idle, 25 under load) and most browser tests start from it;
# each test still gets it fresh (the live server's tests flush the database after each one).
# On SQLite's in-memory test database the seeded database is kept as a file across runs
# (tests/seeded.py, named by a digest of what it comes from), so a process copies it instead
# of seeding; and the first test's database is copied aside with SQLite's backup API and
# copied back for the next test in milliseconds. That copy holds a signed-in session for each
# demo login in SIGNED_IN, made by this process: every test's browser reuses it (a cookie, no
# sign-in form), the one signed-in state per process. Other databases seed for each test.
SIGNED_IN = ("alpha@example.com", "staff@example.com")
_SNAPSHOT: dict = {}


def _signed_in() -> dict[str, str]:
    from partners.models import User

    sessions = {}
    for email in SIGNED_IN:
        client = Client()
        client.force_login(User.objects.get(email=email))
        sessions[email] = client.cookies[django_settings.SESSION_COOKIE_NAME].value
    return sessions


def _seed_demo_signed_in() -> dict[str, str]:
    call_command("seed_demo", stdout=io.StringIO())
    return _signed_in()


@pytest.fixture
def demo(live_server, transactional_db) -> dict[str, str]:
    """The demo data in the live server's database; the signed-in session key of each
    SIGNED_IN login."""
    from tests import seeded

    if connection.vendor != "sqlite" or not connection.is_in_memory_db():
        return _seed_demo_signed_in()
    connection.ensure_connection()
    media = Path(django_settings.MEDIA_ROOT)  # each test's own (tests/conftest.py)
    if not _SNAPSHOT:
        if seeded.restore_into(connection, media):
            ContentType.objects.clear_cache()
        else:
            call_command("seed_demo", stdout=io.StringIO())
            seeded.save_from(connection, media)
        sessions = _signed_in()
        copy = sqlite3.connect(":memory:", check_same_thread=False)
        connection.connection.backup(copy)
        # The files the demo stored (e-invoices' PDF and XML) go with the rows that name them.
        files = Path(tempfile.mkdtemp(prefix="demo-media-"))
        atexit.register(shutil.rmtree, files, ignore_errors=True)  # this process's own copy
        if media.is_dir():
            shutil.copytree(media, files, dirs_exist_ok=True)
        _SNAPSHOT.update(copy=copy, sessions=sessions, media=files)
    else:
        _SNAPSHOT["copy"].backup(connection.connection)
        shutil.copytree(_SNAPSHOT["media"], media, dirs_exist_ok=True)
        # The previous test's flush made the content types again, under other ids.
        ContentType.objects.clear_cache()
    return _SNAPSHOT["sessions"]


def sign_in(page, base: str, session_key: str, to: str | None = "/"):
    """The browser takes a signed-in session as its cookie and opens the page at `to` (the
    dashboard unless told; None opens nothing, for a test whose next step is a page of its
    own: going straight there saves loading the dashboard first)."""
    page.context.add_cookies(
        [{"name": django_settings.SESSION_COOKIE_NAME, "value": session_key, "url": base}]
    )
    if to is not None:
        page.goto(base + to)


@pytest.fixture
def login(page, live_server):
    """Signs a user in and opens the dashboard (or the page at `to`): with a session made for
    them (a cookie, no round trip through the form), or through the sign-in form with
    `form=True` (the account flows, which test the form and need the sign-in it records)."""

    def do(email, password="test-password", *, form=False, to="/"):
        if not form:
            from partners.models import User

            client = Client()
            client.force_login(User.objects.get(email=email))
            key = client.cookies[django_settings.SESSION_COOKIE_NAME].value
            sign_in(page, live_server.url, key, to)
            return page
        page.goto(f"{live_server.url}/login/")
        page.fill("input[name=login]", email)
        page.fill("input[name=password]", password)
        page.locator("main button[type=submit]").click()
        page.wait_for_url(f"{live_server.url}/")
        return page

    return do


# The partner flows (test_partner_flows.py) run at two sizes and in both languages, each
# asserting what a user would see as broken: a console error, a page wider than the screen,
# a serious or critical axe-core violation. One browser and one live server serve them all.
# A failed test leaves a screenshot of its last page in ARTIFACTS; BROWSER_SCREENSHOTS=1 also
# keeps one of every checked page (a look at each page at each size and in each language),
# about 0.1 s each, a twentieth of the browser tests' time.
ARTIFACTS = Path(__file__).parent / "artifacts"
SCREENSHOTS = os.environ.get("BROWSER_SCREENSHOTS", "") not in ("", "0")
VIEWPORTS = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}
SERIOUS = ("serious", "critical")


@dataclass
class UI:
    """A browser tab at one size and in one language, with the checks every page passes."""

    page: object
    base: str
    lang: str
    size: str
    name: str
    errors: list = field(default_factory=list)
    checked: int = 0
    # A form page with errors answers 400, a missing page 404: Chromium logs either as a
    # console error.
    refusals_expected: bool = False
    # Signed-in session keys by e-mail (the `demo` fixture): login() uses them as a cookie.
    sessions: dict = field(default_factory=dict)
    # (event, listener) on the page for this test (open_tab), removed when it ends.
    listeners: list = field(default_factory=list)

    def text(self, vi: str, en: str) -> str:
        return vi if self.lang == "vi" else en

    def speak(self, lang: str):
        """Switch the tab's language (its language cookie) for the pages it opens next."""
        self.page.context.add_cookies(
            [{"name": django_settings.LANGUAGE_COOKIE_NAME, "value": lang, "url": self.base}]
        )
        self.lang = lang

    def go(self, path: str):
        self.page.goto(self.base + path)
        return self.page

    def login(self, email: str, password: str = "portal-demo", *, form=False, to="/"):
        """Signed in on the dashboard, or straight on the page at `to`: with the seeded
        session when there is one, through the sign-in form when asked (`form=True`) or when
        there is none (the form lands on the dashboard)."""
        if email in self.sessions and not form:
            sign_in(self.page, self.base, self.sessions[email], to)
            return
        self.go("/login/")
        self.page.fill("input[name=login]", email)
        self.page.fill("input[name=password]", password)
        self.page.locator("main button[type=submit]").click()
        self.page.wait_for_url(self.base + "/")
        if to not in ("/", None):
            self.go(to)

    def menu(self, href: str):
        """Open a top-bar section; on a phone the menu is folded behind its button first."""
        toggler = self.page.locator(".navbar-toggler")
        if toggler.is_visible():
            toggler.click()
            self.page.locator("#main-nav.show").wait_for()
        self.page.locator(f"#main-nav a.nav-link[href='{href}']").click()
        self.page.wait_for_url(self.base + href + "*")

    def check(self, label: str):
        """No horizontal overflow, no serious axe violation; a screenshot for the artefacts
        when asked (BROWSER_SCREENSHOTS=1)."""
        self.page.wait_for_load_state("load")
        overflow = self.page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        if overflow > 0:
            # Name the elements that reach past the screen's edge, widest first.
            culprits = self.page.evaluate(
                """() => [...document.querySelectorAll('body *')]
                  .map(e => [e.getBoundingClientRect().right, e])
                  .filter(([right]) => right > document.documentElement.clientWidth + 1)
                  .sort((a, b) => b[0] - a[0]).slice(0, 5)
                  .map(([right, e]) => `${e.tagName.toLowerCase()}.${e.className} ${Math.round(right)}`)"""
            )
            raise AssertionError(
                f"{label}: the page is {overflow}px wider than the screen: {culprits}"
            )
        state = self._state()
        if state not in _AXED:  # the same page in the same state was checked by another flow
            # Colours do not change with the language: contrast is measured once for a page
            # in a state at a size, in whichever language comes first.
            shape = state[:-1]
            serious = serious_violations(self.page, contrast=shape not in _CONTRASTED)
            assert not serious, f"{label}: axe violations {serious}"
            _AXED.add(state)
            _CONTRASTED.add(shape)
        self.checked += 1
        if SCREENSHOTS:
            self.screenshot(f"{self.checked:02d}-{label}")

    def screenshot(self, label: str):
        ARTIFACTS.mkdir(exist_ok=True)
        shot = ARTIFACTS / f"{self.name}-{label}-{self.size}-{self.lang}.png"
        self.page.screenshot(path=str(shot))

    def _state(self) -> tuple:
        """What axe would see: the page (ids aside), an open dialog, errors shown, the size,
        the language."""
        path = re.sub(r"\d+", "N", self.page.url.removeprefix(self.base))
        marks = self.page.evaluate(
            "[!!document.querySelector('#portal-modal.show'),"
            " !!document.querySelector('.is-invalid, .alert-danger'),"
            " document.querySelectorAll('[data-toast]').length]"
        )
        return (path, *marks, self.size, self.lang)


_AXE = []
_AXED: set[tuple] = set()  # _state()s axe checked in this process
_CONTRASTED: set[tuple] = set()  # the same without the language: contrast was measured


def _axe():
    # axe-playwright-python ships axe-core in its wheel: nothing is fetched from the network.
    if not _AXE:
        from axe_playwright_python.sync_playwright import Axe

        _AXE.append(Axe())
    return _AXE[0]


# axe's run in the page, leaving out the rules that cannot fail a check: those whose every
# check reports a minor or moderate impact (29 of axe 4.12's 105, about 13 % of a run; read
# from axe's own rule data, so a newer axe is read the same way). `contrast` false leaves out
# `color-contrast` too (85 % of a run on a table page).
_AXE_RUN = """(contrast) => {
  const low = new Set(['minor', 'moderate']);
  const checks = axe._audit.data.checks;
  const rules = {};
  for (const rule of axe._audit.rules) {
    const ids = [...rule.any, ...rule.all, ...rule.none].map((c) => c.id || c);
    const impacts = ids.map((id) => (checks[id] || {}).impact);
    if (rule.impact) impacts.push(rule.impact);
    if (impacts.length && impacts.every((impact) => low.has(impact))) {
      rules[rule.id] = {enabled: false};
    }
  }
  if (!contrast) rules['color-contrast'] = {enabled: false};
  return axe.run({resultTypes: ['violations'], rules}).then((r) => r.violations);
}"""


def serious_violations(page, *, contrast: bool = True) -> list[str]:
    """axe-core's serious and critical violations on the page as it is now, each with the
    first elements it names. axe is put into the document only if it is not there yet: a
    dialog or an error checked after its page is the same document, and compiling axe's half
    a megabyte costs 50-150 ms a time. Only the violations come back to Python, not axe's
    other result lists."""
    if not page.evaluate("typeof window.axe === 'object'"):
        page.evaluate(_axe().axe_script)
    return [
        f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']][:3]}"
        for v in page.evaluate(_AXE_RUN, contrast)
        if v["impact"] in SERIOUS
    ]


def _console(tab: UI, message):
    refused = re.search(r"status of 40[04]", message.text) and tab.refusals_expected
    if message.type == "error" and not refused:
        tab.errors.append(message.text)


@pytest.fixture(params=[(s, lang) for s in VIEWPORTS for lang in ("vi", "en")], ids="-".join)
def ui(request, browser, live_server, demo):
    size, lang = request.param
    name = request.node.originalname.removeprefix("test_")
    tab = open_tab(browser, live_server.url, size, lang, name=name, sessions=demo)
    yield tab
    close(request, tab)


# One browser context and its tab per screen size in each test process, handed from test to
# test: a new context with its tab costs 0.2-0.3 s (Chromium starts a renderer process for
# it), a tenth of a short flow. Between two tests the tab is made as a new one would be
# (close() and _reset): no cookie, nothing in the live server's local or session storage (htmx
# keeps its history there), no other tab, blank, with no listener of the last test; the
# browser's cache of static files stays. After a failed test the context is closed instead.
_TABS: dict = {}


def _answer_and_close(cleanup_headers):
    """The live server's answers say `Connection: close` and the server closes each
    connection after its answer. A reused tab would otherwise keep its keep-alive
    connections open after its test, and the server thread serving one would end (closing the
    shared in-memory database connection from its thread) in the middle of a later test that
    may not touch the database, failing it. A new connection a request costs microseconds on
    127.0.0.1."""

    def closing(self):
        cleanup_headers(self)
        self.headers["Connection"] = "close"
        self.request_handler.close_connection = True

    return closing


basehttp.ServerHandler.cleanup_headers = _answer_and_close(basehttp.ServerHandler.cleanup_headers)


def open_tab(browser, base: str, size: str, lang: str, **fields) -> UI:
    """A tab at `size` (VIEWPORTS) speaking `lang` (its language cookie), signed out, that
    fails the test on a console error or an uncaught exception (close())."""
    context, page = _TABS.get(size) or (None, None)
    if page is None or page.is_closed():
        # Reduced motion turns Bootstrap's fades off: axe never measures a half-faded dialog.
        context = browser.new_context(
            viewport=VIEWPORTS[size], accept_downloads=True, reduced_motion="reduce"
        )
        page = context.new_page()
        _TABS[size] = context, page
    tab = UI(page=page, base=base, lang=lang, size=size, **fields)
    tab.speak(lang)
    tab.listeners = [
        ("console", lambda m: _console(tab, m)),
        ("pageerror", lambda exc: tab.errors.append(str(exc))),
    ]
    for event, listener in tab.listeners:
        page.on(event, listener)
    return tab


def close(request, tab: UI):
    """The end of a tab: a screenshot of where a failed test stopped, then no console error."""
    report = getattr(request.node, "report_call", None)
    failed = report is not None and report.failed
    if failed:
        tab.screenshot("failed")
    for event, listener in tab.listeners:
        tab.page.remove_listener(event, listener)
    context, _page = _TABS[tab.size]
    if failed or not _reset(tab):
        _TABS.pop(tab.size)
        context.close()
    assert tab.errors == [], f"console errors: {tab.errors}"


def _reset(tab: UI) -> bool:
    """The tab as a new one: other tabs closed, the live server's storage and every cookie
    cleared, blank (nothing left running against the database the next test gets)."""
    try:
        for other in tab.page.context.pages:
            if other != tab.page:
                other.close()
        # The storage is cleared from a page of the live server's: the last one, or else one
        # of its static files.
        if not tab.page.url.startswith(tab.base + "/"):
            tab.page.goto(tab.base + django_settings.STATIC_URL + "css/portal.css")
        tab.page.evaluate("localStorage.clear(); sessionStorage.clear()")
        tab.page.goto("about:blank")
        tab.page.context.clear_cookies()
    except Exception:  # a crashed tab, a download still saving: a new context next time
        return False
    return True


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """The call's report on the test item, for close() to see whether the test failed."""
    outcome = yield
    report = outcome.get_result()
    if report.when == "call":
        item.report_call = report
