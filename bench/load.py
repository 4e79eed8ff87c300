"""Load against a seeded database: 16 clients on the deal list and on the floor, then the
won storm.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal_scale_1m \\
        .venv/bin/python bench/load.py --port 8102 --seconds 30

1. wrk (Debian's package), 16 connections, 2 threads, `--seconds` each, against the deal
   list and the floor page, gunicorn with 4 sync workers, DEBUG off: req/s, p50/p95/p99,
   errors (non-2xx and socket errors), and the deal list's req/s as a share of the floor's.
2. The storm: `--storm` (200) approved deals (each with its own new customer) are moved to
   won by two processes at once, each posting all of them in its own random order over HTTP.
   Then exactly one discount and one active ownership per deal and 0 server errors are
   expected: the first post of
   each pair redirects (302), the second is refused with "already closed" (400, the form
   page with the message).
"""

import argparse
import multiprocessing
import random
import re
import subprocess
import tempfile
import urllib.parse
from collections import Counter
from pathlib import Path

from server import Server, collectstatic, session_cookie, setup_django

CSRF = "benchcsrftokenbenchcsrftoken1234"  # 32 characters: Django accepts it unmasked
REPORT = """
done = function(summary, latency, requests)
  io.write(string.format("PCT %d %d %d\\n", latency:percentile(50), latency:percentile(95),
    latency:percentile(99)))
end
"""


def wrk(port: int, path: str, cookie: str, seconds: int) -> dict:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(REPORT)
    out = subprocess.run(
        ["wrk", "-t2", "-c16", f"-d{seconds}s", "--timeout", "30s", "-s", script.name,
         "-H", f"Cookie: {cookie}", f"http://127.0.0.1:{port}{path}"],
        capture_output=True, text=True, check=True, timeout=seconds + 60,
    ).stdout  # fmt: skip
    Path(script.name).unlink()
    p50, p95, p99 = (int(x) / 1000 for x in re.search(r"PCT (\d+) (\d+) (\d+)", out).groups())
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(r"Socket errors: (.*)", out)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "p50": p50,
        "p95": p95,
        "p99": p99,
        "errors": int(non2xx.group(1)) if non2xx else 0,
        "socket": socket_errors.group(1) if socket_errors else "none",
    }


def storm_deals(partner, n: int = 200) -> list[int]:
    """`n` approved deals in negotiation, each with a customer nobody owns yet."""
    from datetime import timedelta
    from decimal import Decimal

    from django.utils import timezone

    from deals import counters
    from deals.models import Deal, DiscountRule, Product
    from partners.models import Customer

    user = partner.memberships.get().user
    product = Product.objects.order_by("pk").first()
    base = Customer.objects.count() + 7_000_000
    ids = []
    for i in range(n):
        customer = Customer.objects.create(name=f"Storm {base + i}", tax_code=f"{base + i:010d}")
        deal = Deal.objects.create(
            partner=partner, customer=customer, title=f"Storm deal {i}",
            estimated_value=Decimal(1_000_000), status=Deal.Status.APPROVED,
            stage=Deal.Stage.NEGOTIATION, probability=75, created_by=user,
            expected_close_date=timezone.localdate() + timedelta(days=30),
            protected_until=timezone.localdate() + timedelta(days=90),
        )  # fmt: skip
        DiscountRule.objects.create(deal=deal, product=product, rate=Decimal("10"))
        counters.record(None, deal)
        ids.append(deal.pk)
    return ids


def post_won(args) -> list[int]:
    port, cookie, ids, seed = args
    import http.client

    random.Random(seed).shuffle(ids)
    statuses = []
    body = urllib.parse.urlencode({"stage": "won", "confirm_close": "on", "kind": "other"})
    for pk in ids:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        conn.request(
            "POST", f"/deals/{pk}/stage/", body=body,
            headers={"Cookie": f"{cookie}; csrftoken={CSRF}", "X-CSRFToken": CSRF,
                     "Content-Type": "application/x-www-form-urlencoded"},
        )  # fmt: skip
        response = conn.getresponse()
        response.read()
        statuses.append(response.status)
        conn.close()
    return statuses


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8102)
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--no-storm", action="store_true")
    parser.add_argument("--storm", type=int, default=200, help="deals won twice at once")
    args = parser.parse_args()
    setup_django()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)  # a database seeded by an older checkout

    from deals.models import Deal
    from discounts.models import Discount
    from partners.models import CustomerOwnership, Partner

    collectstatic()
    partner = Partner.objects.get(memberships__user__email="admin1@partner.bench")
    cookie = session_cookie()
    print(f"database: {connection.vendor} {connection.settings_dict['NAME']}, "
          f"{Deal.objects.count():,} deals")  # fmt: skip
    ids = [] if args.no_storm else storm_deals(partner, args.storm)
    connection.close()
    with Server(args.port, workers=4):
        results = {
            name: wrk(args.port, path, cookie, args.seconds)
            for name, path in (("floor", "/bench/floor/"), ("deal list", "/deals/"))
        }
        print(
            "| 16 clients, 4 workers | req/s | p50 ms | p95 ms | p99 ms | errors | socket errors |"
        )
        print("|---|---:|---:|---:|---:|---:|---|")
        for name, r in results.items():
            print(f"| {name} | {r['rps']:.1f} | {r['p50']:.1f} | {r['p95']:.1f} | {r['p99']:.1f} "
                  f"| {r['errors']} | {r['socket']} |")  # fmt: skip
        if results["floor"]["rps"]:  # none in a very short run on a busy machine
            share = results["deal list"]["rps"] / results["floor"]["rps"]
            print(f"deal list req/s = {share:.0%} of the floor's")
        if ids:
            with multiprocessing.get_context("spawn").Pool(2) as pool:
                runs = pool.map(post_won, [(args.port, cookie, list(ids), s) for s in (1, 2)])
            statuses = [s for run in runs for s in run]
            discounts = Discount.objects.filter(deal_id__in=ids).count()
            owned = CustomerOwnership.objects.filter(deal_id__in=ids, ended_at__isnull=True)
            server_errors = sum(1 for s in statuses if s >= 500)
            print(f"storm: {len(statuses)} posts from 2 processes, {discounts} discounts, "
                  f"{owned.count()} active ownerships, {server_errors} server errors, "
                  f"statuses {dict(sorted(Counter(statuses).items()))}")  # fmt: skip


if __name__ == "__main__":
    main()
