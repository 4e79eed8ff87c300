"""The dashboard's deal counters always equal a fresh count of the deals.

Random sequences of every service that creates a deal or moves its stage, review status,
value or closing; after each step the stored counters equal the aggregate over the deals.
"""

import io
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from deals import counters
from deals.models import Deal, DealCounter
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


@pytest.mark.django_db
def test_rebuild_command_repairs_counters():
    deal = DealFactory(approved=True, stage="proposal")
    DealCounter.objects.all().update(count=99)
    DealFactory(partner=deal.partner)

    call_command("rebuild_deal_counters", stdout=io.StringIO())

    assert counters.stored_counts() == counters.fresh_counts()
    assert counters.stored_counts()[(deal.partner_id, "proposal", "approved", True)] == (
        1,
        Decimal("100000000"),
    )
