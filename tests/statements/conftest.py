"""Statements' fixtures: Alpha's customer with a cloud account linked since January, discounts
in October 2026, and helpers to send consumption."""

from datetime import date, datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from billing.models import CloudAccountLink
from discounts.models import (
    CustomerDiscount,
    CustomerDiscountLine,
    Discount,
    DiscountLine,
)
from partners.models import CustomerOwnership
from statements.models import Consumption
from statements.services.consumption import record_consumption
from tests.billing.conftest import alpha_customer, link_account  # noqa: F401 - fixtures
from tests.factories import DealFactory

OCTOBER = date(2026, 10, 1)


def at(day: date, hour: int = 0) -> datetime:
    return timezone.make_aware(datetime(day.year, day.month, day.day, hour))


def backdate_links(account, start=date(2026, 1, 1)):
    """The customer's ownership and the account's link as if they started on `start`."""
    CloudAccountLink.objects.filter(cloud_account=account).update(started_at=at(start))
    CustomerOwnership.objects.filter(customer_id=account.customer_id).update(started_at=at(start))


def send(rows, **kwargs):
    """Consumption through the service as billing's API would: [(account_id, day, code, amount)]."""
    return record_consumption(
        [
            {"account_id": a, "day": d.isoformat(), "product": p, "amount": str(m)}
            for a, d, p, m in rows
        ],
        source=Consumption.Source.API,
        **kwargs,
    )


def month_of(account_id, code, amount, month=OCTOBER, days=31):
    return [(account_id, month.replace(day=d), code, amount) for d in range(1, days + 1)]


def discount(partner, customer, by, start, end, rates: dict):
    deal = DealFactory(partner=partner, customer=customer, created_by=by, approved=True)
    made = Discount.objects.create(
        partner=partner, deal=deal, customer=customer, valid_from=start, valid_until=end
    )
    for product, rate in rates.items():
        DiscountLine.objects.create(discount=made, product=product, rate=Decimal(rate))
    return made


def customer_discount(parent, by, start, end, rates: dict):
    made = CustomerDiscount.objects.create(
        discount=parent, customer=parent.customer, valid_from=start, valid_until=end, created_by=by
    )
    for product, rate in rates.items():
        CustomerDiscountLine.objects.create(
            customer_discount=made, product=product, rate=Decimal(rate)
        )
    return made


@pytest.fixture
def account(alpha, alice, staff, alpha_customer, django_capture_on_commit_callbacks):  # noqa: F811
    linked = link_account(alpha, alpha_customer, alice, staff, django_capture_on_commit_callbacks)
    backdate_links(linked)
    return linked


@pytest.fixture
def october_discounts(alpha, alice, alpha_customer, vserver, vstorage):  # noqa: F811
    """vServer: 10 % on 1-15 October, 12 % from the 16th, of which 5 % passed on to the
    customer; vStorage: no discount."""
    discount(alpha, alpha_customer, alice, date(2026, 9, 1), date(2026, 10, 15), {vserver: 10})
    later = discount(
        alpha, alpha_customer, alice, date(2026, 10, 16), date(2027, 3, 31), {vserver: 12}
    )
    customer_discount(later, alice, date(2026, 10, 16), date(2026, 12, 31), {vserver: 5})
