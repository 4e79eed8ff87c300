"""Each database constraint rejects a bad row, whatever the Python code does."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from deals.models import Deal, DiscountRule
from discounts.models import CustomerDiscount, CustomerDiscountLine, Discount, DiscountLine
from partners.models import Contract, Customer, CustomerOwnership
from tests.factories import CustomerFactory, DealFactory, ProductFactory

pytestmark = pytest.mark.django_db


def refused(make):
    with pytest.raises(IntegrityError), transaction.atomic():
        make()


@pytest.fixture
def won_discount(alpha_deal):
    Deal.objects.filter(pk=alpha_deal.pk).update(stage="won", closed_at=timezone.now())
    return Discount.objects.create(
        partner=alpha_deal.partner,
        deal=alpha_deal,
        customer=alpha_deal.customer,
        valid_from=date(2026, 1, 1),
        valid_until=date(2026, 12, 31),
    )


def test_one_discount_per_deal(won_discount):
    refused(
        lambda: Discount.objects.create(
            partner=won_discount.partner,
            deal=won_discount.deal,
            customer=won_discount.customer,
            valid_from=date(2026, 1, 1),
            valid_until=date(2026, 2, 1),
        )
    )
    assert Discount.objects.filter(deal=won_discount.deal).count() == 1


def test_one_active_ownership_per_customer(alpha, beta):
    customer = CustomerFactory()
    CustomerOwnership.objects.create(customer=customer, partner=alpha)
    refused(lambda: CustomerOwnership.objects.create(customer=customer, partner=beta))
    # An ended link is history and does not count.
    CustomerOwnership.objects.filter(customer=customer).update(ended_at=timezone.now())
    CustomerOwnership.objects.create(customer=customer, partner=beta)
    assert CustomerOwnership.objects.filter(customer=customer).count() == 2


@pytest.mark.parametrize("rate", [Decimal("0"), Decimal("-1"), Decimal("100.01")])
def test_rates_are_above_zero_and_at_most_100(alpha_deal, won_discount, rate):
    product = ProductFactory(code="other")
    refused(lambda: DiscountRule.objects.create(deal=alpha_deal, product=product, rate=rate))
    refused(lambda: DiscountLine.objects.create(discount=won_discount, product=product, rate=rate))
    cd = CustomerDiscount.objects.create(
        discount=won_discount,
        customer=won_discount.customer,
        valid_from=date(2026, 1, 1),
        valid_until=date(2026, 1, 31),
        created_by=alpha_deal.created_by,
    )
    refused(
        lambda: CustomerDiscountLine.objects.create(
            customer_discount=cd, product=product, rate=rate
        )
    )


def test_a_rate_of_exactly_100_is_allowed(alpha_deal):
    rule = DiscountRule.objects.create(deal=alpha_deal, product=ProductFactory(code="x"), rate=100)
    assert rule.pk is not None


def test_one_rule_per_deal_and_product(alpha_deal):
    product = alpha_deal.discount_rules.get().product
    refused(lambda: DiscountRule.objects.create(deal=alpha_deal, product=product, rate=5))


def test_a_closed_deal_has_closed_at(alpha_deal):
    refused(lambda: Deal.objects.filter(pk=alpha_deal.pk).update(stage="lost"))


def test_only_an_approved_deal_can_be_won(alpha, alice):
    deal = DealFactory(partner=alpha, created_by=alice)
    refused(lambda: Deal.objects.filter(pk=deal.pk).update(stage="won", closed_at=timezone.now()))


def test_unique_customer_tax_code():
    CustomerFactory(tax_code="0311111111")
    refused(lambda: Customer.objects.create(name="Copy", tax_code="0311111111"))


@pytest.mark.parametrize("tax_code", ["123", "03111111111", "0311111111-1", "abcdefghij"])
def test_customer_tax_code_format(tax_code):
    refused(lambda: Customer.objects.create(name="Bad", tax_code=tax_code))


def test_branch_tax_code_is_accepted():
    assert Customer.objects.create(name="Branch", tax_code="0311111111-001").pk


def test_contract_dates_and_limits(alpha):
    today = timezone.localdate()
    base = {"partner": alpha, "start_date": today, "end_date": today + timedelta(days=1)}
    refused(lambda: Contract.objects.create(number="A", max_discount_rate=0, **base))
    refused(lambda: Contract.objects.create(number="B", max_discount_rate=101, **base))
    refused(
        lambda: Contract.objects.create(
            number="D", max_discount_rate=10, discount_validity_days=3651, **base
        )
    )
    refused(
        lambda: Contract.objects.create(
            number="C",
            partner=alpha,
            start_date=today,
            end_date=today - timedelta(days=1),
            max_discount_rate=10,
        )
    )


def test_discount_validity_window(won_discount):
    refused(
        lambda: Discount.objects.filter(pk=won_discount.pk).update(valid_until=date(2025, 1, 1))
    )


def test_one_active_customer_discount_per_parent_and_customer(won_discount, alice):
    kwargs = {
        "discount": won_discount,
        "customer": won_discount.customer,
        "valid_from": date(2026, 1, 1),
        "valid_until": date(2026, 1, 31),
        "created_by": alice,
    }
    CustomerDiscount.objects.create(**kwargs)
    refused(lambda: CustomerDiscount.objects.create(**kwargs))
    CustomerDiscount.objects.update(status="revoked")
    assert CustomerDiscount.objects.create(**kwargs).pk
