"""The accessibility check every browser test relies on (conftest.serious_violations) finds
what it is there to find: it leaves out only axe's rules that cannot report a serious or
critical violation, and contrast only when asked."""

import pytest

from tests.browser.conftest import serious_violations

pytestmark = pytest.mark.browser

# Grey on white (about 1.5:1) and an image with no text alternative: a serious contrast
# violation and a critical missing alt; a heading level skipped (moderate) as well.
BAD_PAGE = """<!doctype html><html lang="en"><head><title>t</title></head><body><main>
<h1>Title</h1><h4>Skipped levels</h4>
<p style="color:#ccc;background:#fff">Hard to read</p>
<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">
</main></body></html>"""


def test_the_check_finds_serious_violations_and_contrast_only_when_asked(page):
    page.set_content(BAD_PAGE)

    found = [v.split(" ")[0] for v in serious_violations(page)]
    assert sorted(found) == ["color-contrast", "image-alt"]
    without_contrast = [v.split(" ")[0] for v in serious_violations(page, contrast=False)]
    assert without_contrast == ["image-alt"]


def test_the_rules_left_out_can_only_report_minor_or_moderate(page):
    page.set_content(BAD_PAGE)
    serious_violations(page)  # puts axe into the page

    impacts = page.evaluate(
        """() => Object.fromEntries(axe._audit.rules.map((rule) => [rule.id,
             [...rule.any, ...rule.all, ...rule.none]
               .map((c) => (axe._audit.data.checks[c.id || c] || {}).impact)]))"""
    )
    # What a full run reports here: heading-order (moderate) is among the rules left out.
    full = page.evaluate("axe.run({resultTypes: ['violations']}).then(r => r.violations)")
    assert {v["id"]: v["impact"] for v in full}["heading-order"] == "moderate"
    low = {
        rule for rule, checks in impacts.items() if checks and set(checks) <= {"minor", "moderate"}
    }
    assert "heading-order" in low and "color-contrast" not in low and "image-alt" not in low
    for violation in full:
        if violation["id"] in low:
            assert violation["impact"] in ("minor", "moderate"), violation
