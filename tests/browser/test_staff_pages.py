"""Every staff page in a real browser at 1280 px, in Vietnamese and English, on the demo data
(`seed_demo`): no serious or critical axe-core violation, nothing wider than the screen, no
table cut off inside its scrolling box, and, in Vietnamese, no English left in the page's own
words (headings, labels, buttons, filters, column titles; the data in the rows aside).

The review queue's work (take, approve, send back) and the programme view's links are walked
in test_staff_review.py.
"""

import re
from datetime import date

import pytest

from deals.models import Deal
from tests.browser.conftest import close, open_tab, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

STAFF = "staff@example.com"

# (label, path) of every staff page; {deal} is a deal with a history.
STAFF_PAGES = [
    ("admin-index", "/admin/"),
    ("queue", "/admin/review/"),
    ("programme", "/admin/programme/"),
    ("deals", "/admin/deals/deal/"),
    ("deals-pending", "/admin/deals/deal/?status__exact=pending"),
    ("deal-change", "/admin/deals/deal/{deal}/change/"),
    ("discounts", "/admin/discounts/discount/"),
    ("customer-discounts", "/admin/discounts/customerdiscount/"),
    ("customers", "/admin/partners/customer/"),
    ("ownerships", "/admin/partners/customerownership/"),
    ("events", "/admin/notifications/event/"),
    ("deliveries", "/admin/notifications/delivery/"),
    ("webhook-deliveries", "/admin/notifications/webhookdelivery/"),
    ("activity-log", "/admin/notifications/activity/"),
    ("partners", "/admin/partners/partner/"),
    ("days-off", "/admin/deals/dayoff/"),
]


# The walk goes in parts, each a test of its own, so pytest-xdist's workers share it
# (tests/conftest.py groups a file's tests by XDIST_SPLIT_BY).
PARTS = 4
XDIST_SPLIT_BY = "part"


@pytest.fixture
def staff_ui(request, browser, live_server, demo):
    tab = open_tab(browser, live_server.url, "desktop", "vi", name="staff-pages", sessions=demo)
    yield tab
    close(request, tab)


def sign_in_as_staff(ui):
    """The seeded staff session as the browser's cookie (the admin's sign-in form has its own
    tests, test_admin_sign_in.py); the next step opens a page."""
    sign_in(ui.page, ui.base, ui.sessions[STAFF], to=None)


def tables_cut_off(page) -> list[str]:
    """Tables whose columns reach past the screen or past the box they scroll in."""
    return page.evaluate(
        """() => [...document.querySelectorAll('table')].filter((t) => t.getClientRects().length)
          .flatMap((t) => {
            const right = t.getBoundingClientRect().right;
            let box = t.parentElement, clipped = false;
            for (; box && box !== document.body; box = box.parentElement) {
              const style = getComputedStyle(box);
              if (/(auto|scroll|hidden|clip)/.test(style.overflowX)) {
                clipped = box.scrollWidth > box.clientWidth + 1;
                break;
              }
            }
            const label = `table#${t.id}.${t.className} ${Math.round(right)}`;
            return right > window.innerWidth + 1 || clipped ? [label] : [];
          })"""
    )


# The page's own words: text outside the rows' data cells, and the labels a screen reader reads.
OWN_WORDS = """() => {
  const data = 'tbody td, tbody th, .readonly, textarea, select option, input[type=text], '
    + 'input[type=number], .vTextField, [data-value], .chart, svg, code, pre, .field-value';
  const words = new Set();
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const el = n.parentElement;
    if (!el || el.closest(data) || !el.getClientRects().length) continue;
    if (getComputedStyle(el).visibility === 'hidden') continue;
    const text = n.textContent.replace(/\\s+/g, ' ').trim();
    if (text) words.add(text);
  }
  for (const el of document.querySelectorAll('[aria-label], [title], [placeholder], input[type=submit], button[value]')) {
    for (const attr of ['aria-label', 'title', 'placeholder']) {
      const v = el.getAttribute(attr);
      if (v && !el.closest(data)) words.add(v.trim());
    }
    if (el.tagName === 'INPUT' && el.type === 'submit') words.add(el.value.trim());
  }
  return [...words];
}"""


def walk(ui, deal, pages):
    """Each page: checked, and its own words."""
    words = {}
    for label, path in pages:
        ui.go(path.format(deal=deal.pk))
        ui.page.wait_for_load_state("load")
        assert ui.errors == [], f"{label} ({ui.lang}): console errors {ui.errors}"
        ui.check(label)
        # axe-core adds a <style> element while it measures some pages (the deal page), which
        # the CSP refuses: its refusal, not the page's.
        ui.errors = [e for e in ui.errors if "style-src" not in e]
        cut = tables_cut_off(ui.page)
        assert cut == [], f"{label} ({ui.lang}): tables cut off at 1280 px: {cut}"
        words[label] = set(ui.page.evaluate(OWN_WORDS))
    return words


# Words that are the same in both languages: names and abbreviations.
SAME_IN_BOTH = {"VNG", "API", "SHA-256", "CSV", "ID"}


def english_left(vi: set[str], en: set[str]) -> list[str]:
    """The page's own words that read the same in Vietnamese as in English: untranslated.
    Anything with a Vietnamese letter (a deal's title in the breadcrumbs) is data."""
    return sorted(
        w for w in vi & en if w not in SAME_IN_BOTH and re.search("[A-Za-z]{3}", w) and w.isascii()
    )


@pytest.mark.parametrize("part", range(PARTS))
def test_every_staff_page_in_both_languages_passes_axe_fits_and_is_translated(staff_ui, part):
    ui = staff_ui
    pages = STAFF_PAGES[part::PARTS]
    deal = Deal.objects.filter(stage_changes__isnull=False).order_by("pk").first()
    ui.speak("vi")
    sign_in_as_staff(ui)
    vi = walk(ui, deal, pages)
    ui.speak("en")
    en = walk(ui, deal, pages)

    untranslated = {label: english_left(vi[label], en[label]) for label in vi}
    assert {label: words for label, words in untranslated.items() if words} == {}


def test_protection_date_is_picked_in_a_vietnamese_calendar(staff_ui):
    """Admin's calendar (not the browser's date picker, which speaks the browser's language)
    names the month and the days in Vietnamese, and the date it writes is saved."""
    ui = staff_ui
    deal = (
        Deal.objects.filter(status=Deal.Status.APPROVED, closed_at__isnull=True)
        .order_by("pk")
        .first()
    )
    ui.speak("vi")
    sign_in_as_staff(ui)

    ui.go(f"/admin/deals/deal/{deal.pk}/protection/")
    ui.page.click("#calendarlink0")
    calendar = ui.page.locator("#calendarbox0")
    caption = calendar.locator("caption").inner_text()
    days = calendar.locator("th").all_inner_texts()
    today = calendar.locator("a", has_text="Hôm nay").inner_text()  # "Today"
    months = (deal.protected_until.year * 12 + deal.protected_until.month) - (
        date.today().year * 12 + date.today().month
    )
    for _month in range(months + 1):  # past the date it is protected until now
        calendar.locator(".calendarnav-next").click()
    calendar.locator("td a", has_text=re.compile(r"^15$")).click()
    typed = ui.page.input_value("#id_until")
    ui.page.locator("input.default[type=submit]").click()
    ui.page.wait_for_url(f"{ui.base}/admin/deals/deal/{deal.pk}/change/")

    assert caption.lower().startswith("tháng "), caption
    assert days == ["CN", "2", "3", "4", "5", "6", "7"] and today == "Hôm nay"
    assert re.fullmatch(r"\d\d/\d\d/\d{4}", typed), typed
    deal.refresh_from_db()
    assert deal.protected_until.strftime("%d/%m/%Y") == typed
    assert ui.errors == []
