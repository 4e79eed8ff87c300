"""Every partner and staff page through gunicorn over HTTP, against a seeded database.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal_scale_1m \\
        .venv/bin/python bench/pages.py --port 8101 --requests 30

One gunicorn sync worker, DEBUG off, the busiest partner's session (staff pages: a VNG staff
member's, seeded with an authenticator; --staff times only those, --partner-only none of
them). Each round requests every
page once, the floor page included, so the floor is timed interleaved with the pages in the
same run. Prints p50/p95 (ms), the p50 as a ratio to the floor's, the SQL queries per request
(X-Queries, counted by bench.bench_settings; a range when requests differed, as when the
API records a token's last use, once a minute) and the response size.
"""

import argparse
import os
import statistics
import time

from server import (
    Server,
    collectstatic,
    get,
    pages,
    review_pages,
    session_cookie,
    setup_django,
    staff_pages,
)


def p95(values):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8101)
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--partner-only", action="store_true", help="leave out the staff pages")
    parser.add_argument("--staff", action="store_true", help="only the staff pages")
    parser.add_argument(
        "--only", default="", help="only the pages whose name holds this (any case)"
    )
    args = parser.parse_args()
    # Staff sign in with 2FA in production; the bench's session is made directly (no sign-in
    # round trip), so the 2FA set-up page is not what is timed.
    os.environ.setdefault("STAFF_REQUIRE_2FA", "false")
    setup_django()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)  # a database seeded by an older checkout

    from deals.models import Deal
    from partners.models import Partner

    collectstatic()
    partner = Partner.objects.get(memberships__user__email="admin1@partner.bench")
    cookie = session_cookie()
    staff = [*staff_pages(partner), *review_pages(partner)]
    if args.staff:
        targets = [("floor", "/bench/floor/", {}), *staff]
    else:
        targets = pages(partner) + ([] if args.partner_only else staff)
    if args.only:
        # Case-insensitive: `--only api` means the "API: ..." pages, not only the one whose
        # name happens to hold the path /api/.
        only = args.only.casefold()
        targets = [t for t in targets if t[0] == "floor" or only in t[0].casefold()]
    print(
        f"database: {connection.vendor} {connection.settings_dict['NAME']}, "
        f"{Deal.objects.count():,} deals, busiest partner {partner.deals.count():,}"
    )
    connection.close()
    times = {name: [] for name, _path, _headers in targets}
    queries, sizes = {}, {}
    with Server(args.port, workers=1):
        for round_ in range(args.warmup + args.requests):
            for name, path, headers in targets:
                status, ms, count, size = get(args.port, path, cookie, headers)
                if status != 200:
                    raise SystemExit(f"{name}: {path} answered {status}")
                if round_ >= args.warmup:
                    times[name].append(ms)
                queries.setdefault(name, set()).add(count)
                sizes[name] = size
    floor = statistics.median(times["floor"])
    print(f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {args.requests} requests each")
    print("| page | p50 ms | p95 ms | p50 / floor | queries | bytes |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, _path, _headers in targets:
        p50 = statistics.median(times[name])
        print(
            f"| {name} | {p50:.1f} | {p95(times[name]):.1f} | {p50 / floor:.2f}x "
            f"| {'–'.join(str(n) for n in sorted({min(queries[name]), max(queries[name])}))} "
            f"| {sizes[name]:,} |"
        )


if __name__ == "__main__":
    main()
