"""Races and faults around change_stage, on real PostgreSQL with separate connections.

Each thread gets its own database connection (Django opens one per thread), so the row lock
and the database constraints are what keep the outcome right, not the Python code's order.
"""

import threading
from collections import Counter

from django.core.exceptions import ValidationError
from django.db import connection

from deals.models import Deal, StageChange
from deals.services import change_stage
from discounts.models import Discount
from partners.models import CustomerOwnership
from tests.factories import DealFactory
from tests.postgres import THREADS, needs_postgres

pytestmark = needs_postgres(THREADS)

ROUNDS = 20
THREADS = 8


def race(deal_pk, stages, user):
    """Start len(stages) threads at one barrier; each tries its stage. Returns the outcomes."""
    barrier = threading.Barrier(len(stages))
    outcomes = []
    lock = threading.Lock()

    def press(stage):
        try:
            deal = Deal.objects.get(pk=deal_pk)
            barrier.wait(timeout=10)
            change_stage(deal, stage, by=user, lost_reason="Lost in the race")
            result = ("ok", stage)
        except ValidationError as exc:
            result = ("refused", exc.error_list[0].code)
        finally:
            connection.close()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=press, args=(stage,)) for stage in stages]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


def test_concurrent_won_gives_exactly_one_discount_and_owner(alpha, alice):
    for _round in range(ROUNDS):
        deal = DealFactory(partner=alpha, created_by=alice, approved=True, stage="negotiation")

        outcomes = race(deal.pk, ["won"] * THREADS, alice)

        kinds = Counter(kind for kind, _detail in outcomes)
        assert kinds == {"ok": 1, "refused": THREADS - 1}
        # "This deal is already closed (Won); it cannot change any more."
        assert [detail for kind, detail in outcomes if kind == "refused"] == ["closed"] * (
            THREADS - 1
        )
        assert Discount.objects.filter(deal=deal).count() == 1
        assert (
            CustomerOwnership.objects.filter(customer=deal.customer, ended_at__isnull=True).count()
            == 1
        )
        assert StageChange.objects.filter(deal=deal, to_stage="won").count() == 1


def test_concurrent_won_and_lost_close_the_deal_once(alpha, alice):
    for _round in range(ROUNDS):
        deal = DealFactory(partner=alpha, created_by=alice, approved=True, stage="negotiation")

        outcomes = race(deal.pk, ["won", "lost"] * (THREADS // 2), alice)

        winners = [detail for kind, detail in outcomes if kind == "ok"]
        assert len(winners) == 1
        deal.refresh_from_db()
        assert deal.stage == winners[0]
        assert StageChange.objects.filter(deal=deal, to_stage__in=["won", "lost"]).count() == 1
        has_discount = Discount.objects.filter(deal=deal).exists()
        assert has_discount == (deal.stage == "won")


def test_concurrent_wins_for_one_customer_leave_one_active_owner(alpha, beta, alice, bob):
    for _round in range(5):
        a = DealFactory(partner=alpha, created_by=alice, approved=True)
        b = DealFactory(partner=beta, customer=a.customer, created_by=bob, approved=True)
        barrier = threading.Barrier(2)

        def press(deal, user, barrier=barrier):
            try:
                barrier.wait(timeout=10)
                change_stage(Deal.objects.get(pk=deal.pk), "won", by=user)
            finally:
                connection.close()

        threads = [threading.Thread(target=press, args=args) for args in ((a, alice), (b, bob))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)

        assert Discount.objects.filter(deal__in=[a, b]).count() == 2
        assert (
            CustomerOwnership.objects.filter(customer=a.customer, ended_at__isnull=True).count()
            == 1
        )
        assert CustomerOwnership.objects.filter(customer=a.customer).count() == 2
