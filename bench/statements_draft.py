"""Drafting a month's statements at programme scale.

Seeds (in the database of DATABASE_URL, which it migrates; use a throwaway one) PARTNERS
partners with ACCOUNTS cloud accounts between them, each account linked for the whole month,
a partner discount per customer, and a month of daily consumption of PRODUCTS products per
account; then times `draft_statements` for that month (the beat job's work) and prints the
figures. Seeding writes rows in bulk (not through the services) — it measures drafting, not
seeding.

    DATABASE_URL=postgres://.../portal_bench_statements \\
        .venv/bin/python bench/statements_draft.py [--accounts 20000] [--partners 200]

On a database seeded by `bench/seed_scale.py` (its money step: 12 months of consumption), give
a month it holds and did not draft, e.g. `--month 2026-10`: nothing is seeded, the month's
statements are drafted and timed, then deleted again (`--keep` keeps them). A month with a
sent statement is refused: sent statements are never deleted.
"""

import argparse
import os
import sys
import time
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

BASE = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "partner_portal.settings")
os.environ.setdefault("DEBUG", "true")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

from billing.models import CloudAccount, CloudAccountLink  # noqa: E402
from deals.models import Deal, Product  # noqa: E402
from discounts.models import Discount, DiscountLine  # noqa: E402
from partners.models import Customer, CustomerOwnership, Partner, User  # noqa: E402
from statements.models import Consumption, Statement, StatementLine  # noqa: E402
from statements.services.drafting import draft_statements, month_end  # noqa: E402

MONTH = date(2026, 10, 1)


def seed(accounts: int, partners: int, products: int) -> None:
    start = timezone.make_aware(datetime(2026, 1, 1))
    user = User.objects.create_user(email="bench-statements@bench.test", password=None)
    prods = [
        Product.objects.get_or_create(code=f"bench-p{i}", defaults={"name": f"Bench {i}"})[0]
        for i in range(products)
    ]
    ps = Partner.objects.bulk_create(
        Partner(name=f"Bench partner {i}", tax_code=f"09{i:08d}") for i in range(partners)
    )
    customers = Customer.objects.bulk_create(
        Customer(name=f"Bench customer {i}", tax_code=f"08{i:08d}", owner=ps[i % partners])
        for i in range(accounts)
    )
    CustomerOwnership.objects.bulk_create(
        CustomerOwnership(customer=c, partner=ps[i % partners], started_at=start)
        for i, c in enumerate(customers)
    )
    deals = Deal.objects.bulk_create(
        Deal(
            partner=ps[i % partners],
            customer=c,
            title=f"Bench {i}",
            estimated_value=Decimal(1),
            expected_close_date=MONTH,
            created_by=user,
            status="approved",
            stage="won",
            probability=100,
            closed_at=start,
            closed_by=user,
        )
        for i, c in enumerate(customers)
    )
    discounts = Discount.objects.bulk_create(
        Discount(
            partner=d.partner,
            deal=d,
            customer=d.customer,
            valid_from=date(2026, 1, 1),
            valid_until=date(2027, 1, 1),
        )
        for d in deals
    )
    DiscountLine.objects.bulk_create(
        DiscountLine(discount=d, product=p, rate=Decimal(5 + i % 10))
        for d in discounts
        for i, p in enumerate(prods)
    )
    cloud = CloudAccount.objects.bulk_create(
        CloudAccount(
            customer=c,
            partner=ps[i % partners],
            kind="existing",
            account_id=f"bench-{i:06d}",
            email="it@bench.test",
            status="active",
            requested_by=user,
        )
        for i, c in enumerate(customers)
    )
    CloudAccountLink.objects.bulk_create(
        CloudAccountLink(
            cloud_account=a, partner_id=a.partner_id, started_at=start, start_reason="approved"
        )
        for a in cloud
    )
    days = [MONTH + timedelta(days=d) for d in range((month_end(MONTH) - MONTH).days + 1)]
    batch = []
    for a in cloud:
        for p in prods:
            for day in days:
                batch.append(
                    Consumption(
                        cloud_account=a,
                        day=day,
                        product=p,
                        amount=Decimal(10_000 + (a.pk * 7 + day.day) % 5_000),
                        partner_id=a.partner_id,
                        customer_id=a.customer_id,
                        source="import",
                    )
                )
        if len(batch) >= 50_000:
            Consumption.objects.bulk_create(batch)
            batch = []
    Consumption.objects.bulk_create(batch)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--accounts", type=int, default=20_000)
    parser.add_argument("--partners", type=int, default=200)
    parser.add_argument("--products", type=int, default=2)
    parser.add_argument("--month", default="", help="YYYY-MM (default 2026-10)")
    parser.add_argument("--keep", action="store_true", help="keep the drafted statements")
    args = parser.parse_args()
    global MONTH
    if args.month:
        MONTH = date.fromisoformat(f"{args.month}-01")
    call_command("migrate", verbosity=0)
    if Statement.objects.filter(month=MONTH).exclude(status="draft").exists():
        raise SystemExit(f"{MONTH:%Y-%m} has sent statements: give a month not drafted yet.")
    if not Consumption.objects.filter(day__gte=MONTH, day__lte=month_end(MONTH)).exists():
        began = time.perf_counter()
        seed(args.accounts, args.partners, args.products)
        print(f"seeded in {time.perf_counter() - began:.0f} s")
    Statement.objects.filter(month=MONTH, status="draft").delete()
    rows = Consumption.objects.filter(day__gte=MONTH, day__lte=month_end(MONTH)).count()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    began = time.perf_counter()
    made = draft_statements(MONTH)
    took = time.perf_counter() - began
    lines = StatementLine.objects.filter(statement__month=MONTH).count()
    print(
        f"{rows:,} consumption rows, {made} statements, {lines:,} lines drafted in {took:.1f} s "
        f"({took / max(made, 1) * 1000:.0f} ms a statement)"
    )
    began = time.perf_counter()
    again = draft_statements(MONTH)
    print(f"the hourly run once they exist: {again} drafted in {time.perf_counter() - began:.1f} s")
    if not args.keep:
        Statement.objects.filter(month=MONTH, status="draft").delete()


if __name__ == "__main__":
    main()
