"""Property: no sequence of create/revoke operations ever yields a customer discount above its
parent's rate, outside its window, or twice active for one (partner discount, customer)."""

from datetime import timedelta
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from deals.models import Deal, DiscountRule
from deals.services import change_stage
from discounts import counters as discount_counters
from discounts.models import (
    CustomerDiscount,
    CustomerDiscountLine,
    Discount,
    DiscountLine,
    DiscountStatus,
)
from discounts.services import (
    create_customer_discount,
    revoke_customer_discount,
    revoke_discount,
)
from partners.models import Customer
from tests.factories import (
    ContractFactory,
    CustomerFactory,
    DealFactory,
    MembershipFactory,
    PartnerFactory,
    ProductFactory,
    UserFactory,
)

RATES = st.one_of(
    st.decimals(min_value=Decimal("0.01"), max_value=Decimal("16"), places=2),
    st.decimals(min_value=Decimal("0.01"), max_value=Decimal("16"), places=2),
    st.decimals(min_value=Decimal("-2"), max_value=Decimal("25"), places=2),
    st.decimals(min_value=Decimal("0"), max_value=Decimal("20"), places=3),
    st.sampled_from(["0", "-1", "101", "12.345", "abc", ""]),
)
CREATE = st.tuples(
    st.just("create"),
    st.integers(0, 1),  # which partner discount
    st.integers(0, 2),  # which customer (the third one is not Alpha's)
    st.dictionaries(
        st.sampled_from([0, 0, 0, 1, 1, 2]), RATES, min_size=1, max_size=2
    ),  # product index -> rate
    st.integers(-3, 150),  # start, days from today
    st.integers(-3, 100),  # length in days (negative: reversed)
)
REVOKE_CHILD = st.tuples(st.just("revoke_child"), st.integers(0, 10))
REVOKE_PARENT = st.tuples(st.just("revoke_parent"), st.integers(0, 1))
# Mostly creates: revoking a partner discount early would make every later create a refusal.
OPERATION = st.integers(0, 9).flatmap(
    lambda n: CREATE if n < 7 else REVOKE_CHILD if n < 9 else REVOKE_PARENT
)
OPERATIONS = st.lists(OPERATION, min_size=1, max_size=10)


class CustomerDiscountPropertyTests(TestCase):
    """Each example starts from the same two won deals (hypothesis rolls back between them)."""

    @classmethod
    def setUpTestData(cls):
        alpha = PartnerFactory(name="Alpha Cloud Solutions")
        ContractFactory(partner=alpha, max_discount_rate=Decimal("20"))
        cls.alice_pk = MembershipFactory(partner=alpha, role="admin").user.pk
        cls.staff_pk = UserFactory(is_staff=True).pk
        products = [ProductFactory(code=code, name=code) for code in ("vserver", "vstorage", "vdb")]
        cls.product_pks = [p.pk for p in products]
        alice = UserFactory._meta.model.objects.get(pk=cls.alice_pk)
        rates = [
            {products[0]: Decimal("10"), products[1]: Decimal("15")},
            {products[0]: Decimal("7.5")},
        ]
        cls.discount_pks, cls.customer_pks = [], []
        for deal_rates in rates:
            deal = DealFactory(
                partner=alpha, created_by=alice, approved=True, stage="negotiation", rates={}
            )
            for product, rate in deal_rates.items():
                DiscountRule.objects.create(deal=deal, product=product, rate=rate)
            change_stage(deal, Deal.Stage.WON, by=alice)
            cls.discount_pks.append(deal.discount.pk)
            cls.customer_pks.append(deal.customer_id)
        cls.customer_pks.append(CustomerFactory().pk)  # owned by nobody

    def run_operation(self, operation, users):
        today = timezone.localdate()
        kind = operation[0]
        if kind == "create":
            _kind, d, c, rates, start, length = operation
            create_customer_discount(
                Discount.objects.get(pk=self.discount_pks[d]),
                by=users["alice"],
                customer=Customer.objects.get(pk=self.customer_pks[c]),
                rates={self.product_pks[p]: rate for p, rate in rates.items()},
                valid_from=today + timedelta(days=start),
                valid_until=today + timedelta(days=start + length),
            )
        elif kind == "revoke_child":
            active = list(CustomerDiscount.objects.filter(status=DiscountStatus.ACTIVE))
            if active:
                revoke_customer_discount(active[operation[1] % len(active)], by=users["alice"])
        else:
            revoke_discount(
                Discount.objects.get(pk=self.discount_pks[operation[1]]),
                by=users["staff"],
                reason="property test",
            )

    def assert_invariants(self):
        parent_rates = {
            (line.discount_id, line.product_id): line.rate for line in DiscountLine.objects.all()
        }
        for line in CustomerDiscountLine.objects.select_related("customer_discount__discount"):
            child = line.customer_discount
            parent = child.discount
            key = (parent.pk, line.product_id)
            assert key in parent_rates, "a product that is not in the partner discount"
            assert Decimal("0") < line.rate <= parent_rates[key]
            assert parent.valid_from <= child.valid_from <= child.valid_until
            assert child.valid_until <= parent.valid_until
        for child in CustomerDiscount.objects.select_related("discount"):
            assert child.lines.exists()
            assert child.customer_id in self.customer_pks[:2]
            if child.discount.status == DiscountStatus.REVOKED:
                assert child.status == DiscountStatus.REVOKED
        active = CustomerDiscount.objects.filter(status=DiscountStatus.ACTIVE)
        pairs = list(active.values_list("discount_id", "customer_id"))
        assert len(pairs) == len(set(pairs))
        # The reports' counters follow every create, revoke and refusal.
        assert discount_counters.stored_counts() == discount_counters.fresh_counts()

    @settings(
        max_examples=60,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
    @given(operations=OPERATIONS)
    def test_customer_discounts_stay_inside_their_partner_discount(self, operations):
        user_model = UserFactory._meta.model
        users = {
            "alice": user_model.objects.get(pk=self.alice_pk),
            "staff": user_model.objects.get(pk=self.staff_pk),
        }
        for operation in operations:
            try:
                self.run_operation(operation, users)
            except (ValidationError, PermissionDenied):
                pass
            self.assert_invariants()
