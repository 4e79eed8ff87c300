"""`check_deal_rates`: "the deal's rates under the contract" has one home, and registration,
staff's rule changes and the win refuse the same rate with the same words."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from deals.models import Deal
from deals.services import change_stage, register_deal, set_discount_rules
from discounts.models import Discount
from discounts.rates import check_deal_rates
from tests.factories import DealFactory

pytestmark = pytest.mark.django_db

ABOVE = "vServer: At most 20.00% under contract"


def test_a_rate_within_the_contract_returns_the_contract(alpha, vserver):
    contract = check_deal_rates(alpha, {vserver: Decimal("20")}, timezone.localdate())

    assert contract == alpha.contracts.get()


def test_registration_refuses_a_rate_above_the_contract(alpha, alice, vserver):
    with pytest.raises(ValidationError) as refused:
        register_deal(
            partner=alpha,
            by=alice,
            customer_tax_code="0101234567",
            customer_name="Sao Mai",
            title="Cloud move",
            estimated_value=Decimal("150000000"),
            expected_close_date=timezone.localdate() + timedelta(days=30),
            rates={vserver: Decimal("25")},
        )

    assert refused.value.message_dict["rates"][0].startswith(ABOVE)
    assert Deal.objects.count() == 0


def test_staff_rule_change_refuses_the_same_rate_with_the_same_words(alpha, alpha_deal, staff):
    vserver = alpha_deal.discount_rules.get().product

    with pytest.raises(ValidationError) as refused:
        set_discount_rules(alpha_deal, by=staff, rates={vserver: Decimal("25")})

    assert refused.value.message_dict["rates"][0].startswith(ABOVE)
    assert alpha_deal.discount_rules.get().rate == Decimal("10")


def test_the_win_refuses_a_rate_the_contract_no_longer_allows(alpha, alice, alpha_deal):
    alpha.contracts.update(max_discount_rate=Decimal("5"))

    with pytest.raises(ValidationError) as refused:
        change_stage(alpha_deal, "won", by=alice)

    assert refused.value.code == "rate_out_of_range"
    assert refused.value.messages[0].startswith("vServer: At most 5.00% under contract")
    assert "Ask your account manager" in refused.value.messages[0]
    alpha_deal.refresh_from_db()
    assert (alpha_deal.stage, Discount.objects.count()) == ("negotiation", 0)


def test_the_win_keeps_a_product_no_longer_offered(alpha, alice):
    deal = DealFactory(partner=alpha, created_by=alice, approved=True, stage="negotiation")
    deal.discount_rules.get().product.__class__.objects.update(is_active=False)

    change_stage(deal, "won", by=alice)

    assert Discount.objects.get(deal=deal).lines.count() == 1


def test_registration_refuses_a_product_no_longer_offered(alpha, vserver):
    vserver.is_active = False
    vserver.save()

    with pytest.raises(ValidationError) as refused:
        check_deal_rates(alpha, {vserver: Decimal("5")}, timezone.localdate())

    assert refused.value.message_dict == {"rates": ["vServer is no longer offered."]}


def test_no_contract_is_one_message_wherever_it_is_met(alpha, alice, alpha_deal):
    alpha.contracts.update(end_date=timezone.localdate() - timedelta(days=1))
    expected = (
        "Your organisation has no contract with VNG Cloud in force today. Contact your VNG "
        "Cloud account manager."
    )

    with pytest.raises(ValidationError) as at_check:
        check_deal_rates(alpha, {}, timezone.localdate())
    with pytest.raises(ValidationError) as at_win:
        change_stage(alpha_deal, "won", by=alice)

    assert at_check.value.messages == at_win.value.messages == [expected]
