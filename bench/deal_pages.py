"""How the partner's busiest pages scale: deal list, detail and Update stage with many deals.

Creates a throwaway test database (SQLite by default, PostgreSQL with DATABASE_URL), loads
N deals for one partner (and as many for another), then prints the median time and the
number of SQL queries of each page. Usage:

    .venv/bin/python bench/deal_pages.py [N]
"""

import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "partner_portal.settings")
os.environ.setdefault("DEBUG", "true")

import django  # noqa: E402

django.setup()

from datetime import timedelta  # noqa: E402
from decimal import Decimal  # noqa: E402

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402
from django.utils import timezone  # noqa: E402

N = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
RUNS = 15


def load(n):
    from deals.models import Deal, DiscountRule, Product, StageChange
    from partners.models import Contract, Customer, Membership, Partner, User

    today = timezone.localdate()
    product = Product.objects.create(code="vserver", name="vServer")
    user = None
    for p_index, name in enumerate(("Alpha", "Beta")):
        partner = Partner.objects.create(name=name, tax_code=f"010000000{p_index}")
        Contract.objects.create(
            partner=partner,
            number=f"HD-{p_index}",
            start_date=today - timedelta(days=10),
            end_date=today + timedelta(days=400),
            max_discount_rate=20,
        )
        member = User.objects.create_user(f"{name.lower()}@bench.test", "x")
        Membership.objects.create(user=member, partner=partner, role="admin")
        user = user or member
        customers = Customer.objects.bulk_create(
            Customer(name=f"Customer {p_index}-{i}", tax_code=f"{p_index + 1}{i:09d}")
            for i in range(n // 4)
        )
        stages = Deal.Stage.values[:4]
        deals = Deal.objects.bulk_create(
            Deal(
                partner=partner,
                customer=customers[i % len(customers)],
                title=f"Deal {i}",
                estimated_value=Decimal(i * 1000),
                expected_close_date=today + timedelta(days=i % 90),
                status="approved",
                stage=stages[i % 4],
                probability=10,
                created_by=member,
            )
            for i in range(n)
        )
        DiscountRule.objects.bulk_create(
            DiscountRule(deal=d, product=product, rate=10) for d in deals
        )
        StageChange.objects.bulk_create(
            StageChange(deal=d, to_stage=d.stage, by=member) for d in deals
        )
    return user, Deal.objects.filter(partner__name="Alpha").first()


def measure(client, url, **extra):
    times = []
    for _ in range(RUNS):
        with CaptureQueriesContext(connection) as queries:
            start = time.perf_counter()
            response = client.get(url, **extra)
            times.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    return statistics.median(times), len(queries)


def main():
    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0)
    try:
        start = time.perf_counter()
        user, deal = load(N)
        print(
            f"database: {connection.vendor}, {N} deals per partner, loaded in {time.perf_counter() - start:.1f} s"
        )
        client = Client()
        client.force_login(user)
        for label, url, extra in (
            ("deal list", "/deals/", {}),
            ("deal list, search", "/deals/?q=Customer+0-12&sort=-value", {}),
            ("deal list, page 100", "/deals/?stage=proposal&page=100", {}),
            ("deal list, htmx partial", "/deals/?sort=close", {"HTTP_HX_REQUEST": "true"}),
            ("deal detail", f"/deals/{deal.pk}/", {}),
            ("update stage modal", f"/deals/{deal.pk}/stage/", {"HTTP_HX_REQUEST": "true"}),
            ("dashboard", "/", {}),
        ):
            ms, queries = measure(client, url, **extra)
            print(f"{label:<26} median {ms:7.1f} ms   {queries:3d} queries")
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
