"""The dashboard's deal counters always equal a fresh count of the deals.

Random sequences of every service that creates a deal or moves its stage, review status,
value or closing; after each step the stored counters equal the aggregate over the deals.
"""

import importlib
import io
from decimal import Decimal

import pytest
from django.apps import apps as django_apps
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from deals import counters
from deals.models import Deal, DealCounter, WonCounter
from deals.services import (
    approve_deal,
    change_stage,
    correct_deal,
    register_deal,
    reject_deal,
    resubmit_deal,
    send_back_deal,
)
from tests.factories import (
    ContractFactory,
    DealFactory,
    MembershipFactory,
    PartnerFactory,
    ProductFactory,
    UserFactory,
)

ACTIONS = ["register", "approve", "send_back", "resubmit", "reject", "stage", "correct"]
steps = st.lists(
    st.tuples(
        st.sampled_from(ACTIONS),
        st.integers(0, 5),
        st.sampled_from(Deal.Stage.values),
        st.integers(1, 9),
    ),
    max_size=25,
)


class DealCounterProperties(TestCase):
    def make_world(self):
        self.partners = [PartnerFactory(), PartnerFactory()]
        self.users = []
        for partner in self.partners:
            ContractFactory(partner=partner)
            self.users.append(MembershipFactory(partner=partner, role="admin").user)
        self.staff = UserFactory(is_staff=True)
        self.product = ProductFactory(code="vserver", name="vServer")
        self.registered = 0
        self.refused = 0

    def act(self, action, index, stage, amount):
        deals = list(Deal.objects.order_by("pk"))
        deal = deals[index % len(deals)] if deals else None
        if action == "register" or deal is None:
            p = index % 2
            self.registered += 1
            register_deal(
                partner=self.partners[p],
                by=self.users[p],
                customer_tax_code=f"01{self.registered:08d}",
                customer_name=f"Customer {self.registered}",
                title=f"Deal {self.registered}",
                estimated_value=Decimal(amount * 1_000_000),
                expected_close_date=ContractFactory._meta.model.objects.first().end_date,
                rates={self.product: Decimal("5")},
            )
        elif action == "approve":
            approve_deal(deal, by=self.staff)
        elif action == "send_back":
            send_back_deal(deal, by=self.staff, comment="Fix it")
        elif action == "resubmit":
            resubmit_deal(deal, by=self.staff, estimated_value=Decimal(amount * 2_000_000))
        elif action == "reject":
            reject_deal(deal, by=self.staff, reason="No")
        elif action == "stage":
            change_stage(deal, stage, by=self.staff, lost_reason="gone")
        else:
            correct_deal(deal, by=self.staff, changes={"estimated_value": Decimal(amount)})

    @settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(steps=steps)
    def test_counters_always_equal_a_fresh_count(self, steps):
        self.make_world()
        for action, index, stage, amount in steps:
            try:
                self.act(action, index, stage, amount)
            except ValidationError:
                self.refused += 1  # a refused step changes nothing, counters included
            assert counters.stored_counts() == counters.fresh_counts()
            assert counters.stored_won() == counters.fresh_won()


@pytest.mark.django_db
def test_rebuild_command_repairs_counters():
    deal = DealFactory(approved=True, stage="proposal")
    won = DealFactory(
        partner=deal.partner,
        approved=True,
        stage="won",
        estimated_value=7,
        closed_at=timezone.now(),
    )
    DealCounter.objects.all().update(count=99)
    WonCounter.objects.all().update(count=99)
    DealFactory(partner=deal.partner)

    call_command("rebuild_deal_counters", stdout=io.StringIO())

    assert counters.stored_counts() == counters.fresh_counts()
    assert counters.stored_won() == {
        (deal.partner_id, timezone.localtime(won.closed_at).date().replace(day=1)): (1, 7)
    }
    assert counters.stored_counts()[(deal.partner_id, "proposal", "approved", True)] == (
        1,
        Decimal("100000000"),
    )


@pytest.mark.django_db
def test_a_win_counts_in_the_month_it_closed_and_the_migration_fills_the_same(alpha, alice):
    deal = DealFactory(
        partner=alpha,
        created_by=alice,
        approved=True,
        stage="negotiation",
        estimated_value=5_000_000,
    )
    assert WonCounter.objects.count() == 0

    change_stage(deal, "won", by=alice)

    deal.refresh_from_db()
    month = timezone.localtime(deal.closed_at).date().replace(day=1)
    assert counters.stored_won() == {(deal.partner_id, month): (1, Decimal(5_000_000))}
    # The release's migration fills the counters from the deals already won, the same way.
    fill = importlib.import_module("deals.migrations.0015_won_counters").fill_counters
    WonCounter.objects.all().delete()
    fill(django_apps, None)
    assert (
        counters.stored_won()
        == counters.fresh_won()
        == {(deal.partner_id, month): (1, Decimal(5_000_000))}
    )
