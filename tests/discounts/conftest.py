"""Discount fixtures: real won deals (through change_stage), so the data is what users get."""

from decimal import Decimal

import pytest

from deals.models import Deal, DiscountRule
from deals.services import change_stage
from tests.factories import CustomerFactory, DealFactory, ProductFactory


@pytest.fixture
def vdb(db):
    """A product that no discount in these tests has."""
    return ProductFactory(code="vdb", name="vDB")


@pytest.fixture
def won_deal(alpha_deal, alice, vserver, vstorage):
    """alpha_deal won by alice: vServer 10 %, vStorage 15 %, valid 180 days from today."""
    DiscountRule.objects.create(deal=alpha_deal, product=vstorage, rate=Decimal("15"))
    change_stage(alpha_deal, Deal.Stage.WON, by=alice)
    return alpha_deal


@pytest.fixture
def discount(won_deal):
    return won_deal.discount


@pytest.fixture
def customer(won_deal):
    """The won deal's customer: Alpha owns it now."""
    return won_deal.customer


@pytest.fixture
def second_customer(alpha, alice, vserver):
    """Another customer Alpha owns (won through a second deal)."""
    deal = DealFactory(
        partner=alpha,
        created_by=alice,
        approved=True,
        stage=Deal.Stage.PROPOSAL,
        customer=CustomerFactory(name="Công ty Cổ phần Sao Mai", tax_code="0312345678"),
        rates={vserver: Decimal("8")},
    )
    change_stage(deal, Deal.Stage.WON, by=alice)
    return deal.customer


@pytest.fixture
def beta_discount(beta_deal, bob):
    change_stage(beta_deal, Deal.Stage.WON, by=bob)
    return beta_deal.discount


@pytest.fixture
def sam_client(client, sam):
    client.force_login(sam)
    return client


@pytest.fixture
def bob_client(client, bob):
    client.force_login(bob)
    return client
