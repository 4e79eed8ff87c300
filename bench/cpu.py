"""CPU per page, in-process: what a page costs this process, which other processes' load
barely changes (gunicorn's wall-clock p50 on a shared machine moves with the load).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal_scale_1m \\
        .venv/bin/python bench/cpu.py --staff --only "deals" --requests 8

Django's test client with the bench settings (DEBUG off), the same pages and sessions as
bench/pages.py. Prints the median `time.process_time()` and wall time per page (SQL waiting
is in the wall time only). `--profile NAME` runs cProfile over that page's requests and
prints the functions with the most cumulative and own time (`--dump FILE` keeps it for
pstats).
"""

import argparse
import cProfile
import os
import pstats
import statistics
import time

from server import collectstatic, pages, review_pages, session_cookie, setup_django, staff_pages


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=8)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--staff", action="store_true", help="only the staff pages")
    parser.add_argument("--only", default="", help="only the pages whose name holds this")
    parser.add_argument("--profile", default="", help="profile the page of exactly this name")
    parser.add_argument("--dump", default="", help="also write the profile to this file (pstats)")
    args = parser.parse_args()
    os.environ.setdefault("STAFF_REQUIRE_2FA", "false")
    setup_django()
    collectstatic()  # the manifest storage needs it, as the server does
    from django.test import Client

    from partners.models import Partner

    partner = Partner.objects.get(memberships__user__email="admin1@partner.bench")
    staff = [*staff_pages(partner), *review_pages(partner)]
    floor = ("floor", "/bench/floor/", {"Cookie": session_cookie()})
    targets = [floor, *staff] if args.staff else [*pages(partner), *staff]
    if args.only:
        targets = [t for t in targets if t[0] == "floor" or args.only in t[0]]
    if args.profile:
        targets = [t for t in targets if t[0] == args.profile]
    client = Client(HTTP_HOST="127.0.0.1")
    partner_cookie = session_cookie()

    def request(path, headers):
        client.cookies.clear()
        extra = {}
        # A partner page names no session (bench/pages.py sends the partner's by default).
        headers = headers if "Cookie" in headers else {"Cookie": partner_cookie, **headers}
        for name, value in headers.items():
            if name == "Cookie":
                key, _, val = value.partition("=")
                client.cookies[key] = val
            else:
                extra["HTTP_" + name.upper().replace("-", "_")] = value
        response = client.get(path, **extra)
        if response.status_code != 200:
            raise SystemExit(f"{path} answered {response.status_code}")

    print("| page | CPU ms (p50) | wall ms (p50) |")
    print("|---|---:|---:|")
    for name, path, headers in targets:
        for _ in range(args.warmup):
            request(path, headers)
        cpu, wall = [], []
        profiler = cProfile.Profile() if args.profile else None
        for _ in range(args.requests):
            start_cpu, start = time.process_time(), time.perf_counter()
            if profiler:
                profiler.enable()
            request(path, headers)
            if profiler:
                profiler.disable()
            cpu.append((time.process_time() - start_cpu) * 1000)
            wall.append((time.perf_counter() - start) * 1000)
        print(f"| {name} | {statistics.median(cpu):.1f} | {statistics.median(wall):.1f} |")
        if profiler:
            stats = pstats.Stats(profiler).strip_dirs()
            stats.sort_stats("cumulative").print_stats(60)
            stats.sort_stats("tottime").print_stats(30)
            if args.dump:
                stats.dump_stats(args.dump)


if __name__ == "__main__":
    main()
