"""Property-based test of the stage machine: random stage changes by random users.

After every step the invariants hold: closed deals never change; a deal has a discount if
and only if it is won; a customer has at most one active owner; the history replays to the
current stage; a refused step changes nothing.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from deals.models import Deal, StageChange
from deals.services import change_stage
from discounts.models import Discount
from partners.models import CustomerOwnership
from tests.factories import (
    ContractFactory,
    CustomerFactory,
    DealFactory,
    MembershipFactory,
    PartnerFactory,
    UserFactory,
)

STAGES = [*Deal.Stage.values, "bogus"]
steps = st.lists(
    st.tuples(st.integers(0, 3), st.sampled_from(STAGES), st.integers(0, 3)), max_size=20
)


class StageMachineProperties(TestCase):
    """Each example starts from the same world, built once (hypothesis rolls back between
    examples); its deals and users are read afresh in every example."""

    @classmethod
    def setUpTestData(cls):
        alpha, beta = PartnerFactory(), PartnerFactory()
        ContractFactory(partner=alpha)
        ContractFactory(partner=beta)
        alice = MembershipFactory(partner=alpha, role="admin").user
        sam = MembershipFactory(partner=alpha, role="member").user
        bob = MembershipFactory(partner=beta, role="admin").user
        staff = UserFactory(is_staff=True)
        shared = CustomerFactory()
        deals = [
            DealFactory(partner=alpha, customer=shared, created_by=alice, approved=True),
            DealFactory(partner=alpha, created_by=sam, approved=True, stage="proposal"),
            DealFactory(partner=beta, customer=shared, created_by=bob, approved=True),
            DealFactory(partner=beta, created_by=bob),  # pending: never moves
        ]
        cls.deal_pks = [deal.pk for deal in deals]
        cls.user_pks = [user.pk for user in (alice, sam, bob, staff)]

    def make_world(self):
        deals = [Deal.objects.get(pk=pk) for pk in self.deal_pks]
        user_model = UserFactory._meta.model
        return deals, [user_model.objects.get(pk=pk) for pk in self.user_pks]

    @settings(
        max_examples=60,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
    @given(steps=steps)
    def test_random_stage_changes_keep_the_invariants(self, steps):
        deals, users = self.make_world()
        closed = {}
        for deal_index, stage, user_index in steps:
            deal = Deal.objects.get(pk=deals[deal_index].pk)
            history_before = StageChange.objects.count()
            try:
                change_stage(deal, stage, by=users[user_index], lost_reason="because")
            except (ValidationError, PermissionDenied):
                assert StageChange.objects.count() == history_before
            self.assert_invariants(deals, closed)

    def assert_invariants(self, deals, closed):
        for original in deals:
            deal = Deal.objects.get(pk=original.pk)
            if deal.pk in closed:
                assert (deal.stage, deal.closed_at) == closed[deal.pk], "a closed deal changed"
            if deal.stage in Deal.CLOSING_STAGES:
                assert deal.closed_at is not None
                closed[deal.pk] = (deal.stage, deal.closed_at)
            assert Discount.objects.filter(deal=deal).exists() == (deal.stage == Deal.Stage.WON)
            assert deal.probability == Deal.PROBABILITY[deal.stage]
            self.assert_history_replays(deal, original.stage)
        customers = {d.customer_id for d in deals}
        for customer_id in customers:
            active = CustomerOwnership.objects.filter(
                customer_id=customer_id, ended_at__isnull=True
            )
            assert active.count() <= 1

    def assert_history_replays(self, deal, initial_stage):
        stage = initial_stage
        for change in StageChange.objects.filter(deal=deal).order_by("at", "pk"):
            assert change.from_stage == stage
            stage = change.to_stage
        assert stage == deal.stage
