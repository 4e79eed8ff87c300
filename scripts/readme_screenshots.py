"""The README's two screenshots: the dashboard and a deal's page, in English at 1280x860.

Against a portal with the demo data (`make run` in one shell), with the dev extra installed:

    .venv/bin/python scripts/readme_screenshots.py [http://127.0.0.1:8000 [FOLDER]]

It signs in as the demo partner admin and writes docs/screenshots/dashboard.png and deal.png
(or into FOLDER: tests/test_bench_scripts.py runs it that way).
Run it again whenever the top bar, the dashboard or the deal page changes look.
"""

import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

OUT = Path(__file__).resolve().parent.parent / "docs" / "screenshots"
DEAL = "Chuyển đổi hạ tầng lên vServer"  # a seeded deal in negotiation, with a timeline


def main(base: str, out: Path = OUT) -> None:
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
        context = browser.new_context(
            viewport={"width": 1280, "height": 860}, reduced_motion="reduce"
        )
        context.add_cookies([{"name": "django_language", "value": "en", "url": base}])
        page = context.new_page()
        page.goto(f"{base}/login/")
        page.fill("input[name=login]", "alpha@example.com")
        page.fill("input[name=password]", "portal-demo")
        page.locator("main button[type=submit]").click()
        page.wait_for_url(f"{base}/")
        page.goto(f"{base}/")  # again: without the "signed in" toast
        page.screenshot(path=str(out / "dashboard.png"))
        page.goto(f"{base}/deals/")
        page.get_by_role("link", name=DEAL, exact=True).first.click()
        page.wait_for_url(f"{base}/deals/*/")
        page.screenshot(path=str(out / "deal.png"))
        browser.close()
    print(f"wrote {out / 'dashboard.png'} and {out / 'deal.png'}")


if __name__ == "__main__":
    args = sys.argv[1:]
    main(args[0].rstrip("/") if args else "http://127.0.0.1:8000", *[Path(a) for a in args[1:2]])
