"""What a first visit transfers: the login page, then the dashboard, with an empty cache.

Drives Chromium against a running portal with the demo data (`make run`), records every
response and prints its size as served compressed: gzip level 9 for text (what whitenoise's
CompressedManifestStaticFilesStorage precomputes; brotli, when installed, is smaller still)
and the raw size for formats that are already compressed (woff2, png, jpeg). Usage:

    .venv/bin/python bench/first_visit.py [http://127.0.0.1:8000]
"""

import gzip
import sys

from playwright.sync_api import sync_playwright

BUDGET = 150 * 1024
PRECOMPRESSED = ("font/woff2", "image/png", "image/jpeg")


def served_size(response) -> int:
    body = response.body()
    kind = response.headers.get("content-type", "")
    if kind.startswith(PRECOMPRESSED):
        return len(body)
    return len(gzip.compress(body, 9))


def main(base: str) -> int:
    rows = {}  # url: size. Chromium reports a response again when its cache serves it (the
    # static files' hashed names are cached for good): a file counts once, as sent once.
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        page.on("response", lambda r: rows.setdefault(r.url, served_size(r)) if r.ok else None)
        page.goto(f"{base}/login/")
        page.fill("input[name=login]", "alpha@example.com")
        page.fill("input[name=password]", "portal-demo")
        page.locator("main button[type=submit]").click()
        page.wait_for_url(f"{base}/")
        page.wait_for_load_state("networkidle")
        browser.close()
    for url, size in rows.items():
        print(f"{size / 1024:8.1f} KB  {url.removeprefix(base)}")
    total = sum(rows.values())
    verdict = "within" if total <= BUDGET else "OVER"
    print(f"{total / 1024:8.1f} KB  total, {len(rows)} responses ({verdict} the 150 KB budget)")
    return total


if __name__ == "__main__":
    # Exit status 1 over the budget: tests/test_bench_scripts.py runs it against a fresh server.
    sys.exit(
        main(sys.argv[1].rstrip("/") if len(sys.argv) > 1 else "http://127.0.0.1:8000") > BUDGET
    )
