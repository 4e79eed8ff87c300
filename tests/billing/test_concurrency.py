"""Top-ups at the same moment on real PostgreSQL, a connection each: the balance never goes
below zero, and the ledger always sums to the balance."""

import threading
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Sum

from billing.models import CreditEntry, PartnerCredit, TopUp
from billing.services.credit import fail_top_up, record_payment, top_up
from tests.postgres import THREADS, needs_postgres

pytestmark = needs_postgres(THREADS)

THREADS = 8


def _all_at_once(work, n=THREADS):
    barrier = threading.Barrier(n)
    outcomes, lock = [], threading.Lock()

    def run(i):
        try:
            barrier.wait(timeout=10)
            result = work(i)
        except ValidationError as error:
            result = error.code
        except Exception as error:  # reported by the assertion, not lost in the thread
            result = repr(error)
        finally:
            connection.close()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


def test_concurrent_top_ups_never_take_the_balance_below_zero(alpha, alice, staff, alpha_account):
    # 3.5 top-ups' worth of credit: exactly 3 of 8 concurrent top-ups fit.
    record_payment(partner=alpha, amount=Decimal(3_500_000), reference="UNC-1", by=staff)
    outcomes = _all_at_once(
        lambda i: top_up(alpha_account, partner=alpha, amount=Decimal(1_000_000), by=alice).status
    )
    assert sorted(outcomes) == ["insufficient"] * 5 + ["pending"] * 3
    credit = PartnerCredit.objects.get(partner=alpha)
    assert credit.balance == Decimal(500_000)
    assert TopUp.objects.count() == 3
    entries = CreditEntry.objects.filter(partner=alpha)
    assert entries.aggregate(t=Sum("amount"))["t"] == credit.balance
    # Each entry's running balance follows the one before: no two top-ups read the same one.
    afters = list(entries.order_by("pk").values_list("balance_after", flat=True))
    assert afters == [Decimal(3_500_000), Decimal(2_500_000), Decimal(1_500_000), Decimal(500_000)]


def test_concurrent_failures_of_one_top_up_return_its_credit_once(
    alpha, alice, staff, alpha_account
):
    record_payment(partner=alpha, amount=Decimal(1_000_000), reference="UNC-1", by=staff)
    made = top_up(alpha_account, partner=alpha, amount=Decimal(1_000_000), by=alice)
    outcomes = _all_at_once(lambda i: fail_top_up(made, by=staff, reason="suspended")[1], n=4)
    assert sorted(outcomes) == [False, False, False, True]
    assert PartnerCredit.objects.get(partner=alpha).balance == Decimal(1_000_000)
    assert CreditEntry.objects.filter(kind="top_up_returned").count() == 1
