"""Two writes that would each give the partner an open deal with one title for one customer, at
the same moment, on real PostgreSQL with a connection per thread: a staff correction against a
registration, and two corrections. One of them is refused, so no partner ends with two open
deals "ERP" for one company (registration refuses exactly that)."""

import threading
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone

from deals.models import Deal
from deals.services import correct_deal, register_deal
from tests.factories import CustomerFactory, DealFactory
from tests.postgres import THREADS, needs_postgres

pytestmark = needs_postgres(THREADS)

ROUNDS = 6


def race(*writes):
    """Run each write in its own thread, released together. Returns "ok" or the refused fields."""
    barrier = threading.Barrier(len(writes))
    outcomes = []

    def run(write):
        try:
            barrier.wait(timeout=10)
            write()
            outcomes.append("ok")
        except ValidationError as error:
            outcomes.append(sorted(error.message_dict))
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(write,)) for write in writes]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return sorted(map(str, outcomes))


def open_titles(partner, customer):
    return sorted(
        Deal.objects.filter(partner=partner, customer=customer, closed_at__isnull=True).values_list(
            "title", flat=True
        )
    )


def test_a_correction_and_a_registration_of_one_title_leave_one_open_deal(
    alpha, alice, staff, vserver
):
    for round_ in range(ROUNDS):
        customer = CustomerFactory(tax_code=f"03100000{round_:02d}")
        deal = DealFactory(partner=alpha, created_by=alice, customer=customer, title="Kho lạnh")

        outcomes = race(
            lambda pk=deal.pk: correct_deal(
                Deal.objects.get(pk=pk), by=staff, changes={"title": "ERP"}
            ),
            lambda customer=customer: register_deal(
                partner=alpha,
                by=alice,
                customer_tax_code=customer.tax_code,
                customer_name=customer.name,
                title="ERP",
                estimated_value=Decimal(1),
                expected_close_date=timezone.localdate(),
                rates={vserver: Decimal(5)},
            ),
        )

        assert outcomes == ["['title']", "ok"]
        assert open_titles(alpha, customer).count("ERP") == 1


def test_two_corrections_to_one_title_leave_one_open_deal(alpha, alice, staff):
    for round_ in range(ROUNDS):
        customer = CustomerFactory(tax_code=f"03200000{round_:02d}")
        first, second = (
            DealFactory(partner=alpha, created_by=alice, customer=customer, title=title)
            for title in ("Kho lạnh", "Máy chủ")
        )

        outcomes = race(
            *(
                lambda pk=deal.pk: correct_deal(
                    Deal.objects.get(pk=pk), by=staff, changes={"title": "ERP"}
                )
                for deal in (first, second)
            )
        )

        assert outcomes == ["['title']", "ok"]
        assert open_titles(alpha, customer).count("ERP") == 1
