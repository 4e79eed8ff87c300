"""The deal list as CSV stays flat in memory: peak Python allocations while streaming the
download of N deals, for growing N. Creates a throwaway test database (SQLite by default,
PostgreSQL with DATABASE_URL). Usage:

    .venv/bin/python bench/deal_csv_memory.py [N ...]     (default: 1000 10000 100000)

`--database-url URL` uses that (throwaway, empty) database instead and migrates it (the test
suite passes a copy of its migrated one, so the script does not apply every migration again).
"""

import os
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "partner_portal.settings")
os.environ.setdefault("DEBUG", "true")
ARGS = sys.argv[1:]
DATABASE_URL = ""
if "--database-url" in ARGS:
    at = ARGS.index("--database-url")
    DATABASE_URL = ARGS[at + 1]
    del ARGS[at : at + 2]
    os.environ["DATABASE_URL"] = DATABASE_URL

import django  # noqa: E402

django.setup()

from datetime import timedelta  # noqa: E402
from decimal import Decimal  # noqa: E402

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402
from django.utils import timezone  # noqa: E402

SIZES = [int(n) for n in ARGS] or [1000, 10_000, 100_000]


def load(partner, member, customer, n):
    from deals.models import Deal

    today = timezone.localdate()
    Deal.objects.bulk_create(
        (
            Deal(
                partner=partner,
                customer=customer,
                title=f"=Deal {i} with a title of a usual length",
                estimated_value=Decimal(i * 1000),
                expected_close_date=today + timedelta(days=i % 90),
                status="approved",
                stage=Deal.Stage.values[i % 4],
                probability=10,
                created_by=member,
            )
            for i in range(n)
        ),
        batch_size=2000,
    )


def main():
    from partners.models import Customer, Membership, Partner, User

    setup_test_environment()
    if DATABASE_URL:
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        old_name = None
    else:
        old_name = connection.creation.create_test_db(verbosity=0)
    try:
        partner = Partner.objects.create(name="Alpha", tax_code="0100000000")
        member = User.objects.create_user("alpha@bench.test", "x")
        Membership.objects.create(user=member, partner=partner, role="admin")
        customer = Customer.objects.create(name="Customer", tax_code="0200000000")
        client = Client()
        client.force_login(member)
        loaded = 0
        print(f"database: {connection.vendor}")
        for n in SIZES:
            load(partner, member, customer, n - loaded)
            loaded = n
            response = client.get("/deals/export.csv")
            tracemalloc.start()
            start = time.perf_counter()
            size = sum(len(chunk) for chunk in response.streaming_content)
            seconds = time.perf_counter() - start
            _current, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            print(
                f"{n:>7} deals: {size / 1e6:6.1f} MB of CSV in {seconds:5.1f} s,"
                f" peak Python memory {peak / 1e6:5.1f} MB"
            )
    finally:
        if old_name is not None:
            connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
