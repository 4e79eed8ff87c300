"""How GET /api/v1/deals/ scales: p50 and query count at N deals per partner, next to a floor.

Creates a throwaway test database (SQLite by default, PostgreSQL with DATABASE_URL), loads N
deals for each of two partners (bench/deal_pages.py's loader), creates an API token and prints
the median time and the SQL queries of the API list (first page, a deep page reached by
cursor, a search, a sort), of the portal's deal list page, and of a floor: the cheapest
authenticated API request (products, one row). Usage:

    .venv/bin/python bench/api_deals.py [N ...]      # default: 1000 10000
"""

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "partner_portal.settings")
os.environ.setdefault("DEBUG", "true")

import django  # noqa: E402

django.setup()

from deal_pages import load  # noqa: E402
from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402

RUNS = 30


def measure(rows):
    """Median time and most queries of each row's request. The rows take turns run by run, so
    a busy machine slows them all alike and the ratios to the floor stay fair."""
    times = {label: [] for label, *_ in rows}
    counts = {label: 0 for label, *_ in rows}
    for _ in range(RUNS):
        for label, client, url, extra in rows:
            with CaptureQueriesContext(connection) as queries:
                start = time.perf_counter()
                response = client.get(url, **extra)
                times[label].append((time.perf_counter() - start) * 1000)
            assert response.status_code == 200, (url, response.status_code)
            counts[label] = max(counts[label], len(queries))
    return {label: (statistics.median(times[label]), counts[label]) for label in times}


def deep_cursor(client, auth, pages):
    """The URL of page `pages` of the list, 100 a page, reached by following `next`."""
    url = "/api/v1/deals/?limit=100"
    for _ in range(pages - 1):
        url = client.get(url, **auth).json()["next"]
    return url


def run(n):
    from api.services import create_api_token
    from partners.models import Membership

    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        start = time.perf_counter()
        user, _deal = load(n)
        loaded = time.perf_counter() - start
        membership = Membership.objects.get(user=user)
        _token, secret = create_api_token(partner=membership.partner, by=user, name="bench")
        auth = {"HTTP_AUTHORIZATION": f"Bearer {secret}"}
        api, browser = Client(), Client()
        browser.force_login(user)
        print(f"\n{connection.vendor}, {n} deals per partner (loaded in {loaded:.1f} s)")
        rows = [
            ("floor: GET /api/v1/products/", api, "/api/v1/products/", auth),
            ("GET /api/v1/deals/", api, "/api/v1/deals/", auth),
            ("  limit=100", api, "/api/v1/deals/?limit=100", auth),
            ("  page 5 of 100 (cursor)", api, deep_cursor(api, auth, 5), auth),
            ("  sort=-value", api, "/api/v1/deals/?sort=-value", auth),
            ("  q=Customer 0-12", api, "/api/v1/deals/?q=Customer+0-12", auth),
            ("portal page /deals/", browser, "/deals/", {}),
        ]
        results = measure(rows)
        floor = results[rows[0][0]][0]
        for label, (ms, queries) in results.items():
            print(f"  {label:<30} p50 {ms:7.1f} ms  ({ms / floor:4.1f}x floor)  {queries} queries")
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


def main():
    sizes = [int(arg) for arg in sys.argv[1:]] or [1000, 10000]
    if len(sizes) > 1:
        # One process per size: each gets a fresh test database (SQLite's in-memory one lives
        # as long as the process).
        for n in sizes:
            subprocess.run([sys.executable, __file__, str(n)], check=True)
        return
    setup_test_environment()
    settings.API_RATE_LIMIT = "1000000/minute"
    run(sizes[0])


if __name__ == "__main__":
    main()
