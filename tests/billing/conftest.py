"""The money loop's fixtures: customers owned by Alpha, a linked cloud account, credit."""

import re
from decimal import Decimal

import pytest
from django.core import mail

from billing.services.accounts import (
    approve_cloud_account,
    confirm_cloud_account,
    request_cloud_account,
)
from billing.services.credit import record_payment
from partners.services import transfer_ownership
from tests.factories import CustomerFactory

LINK = re.compile(r"/cloud-accounts/confirm/([A-Za-z0-9_-]+)/")


def confirmation_token(outbox=None) -> str:
    """The token of the newest confirmation e-mail."""
    return LINK.findall((outbox or mail.outbox)[-1].body)[-1]


def request_account(partner, customer, by, capture, **fields) -> tuple:
    """A request for an existing account; returns it and the e-mailed token."""
    fields = {"kind": "existing", "account_id": "acc-0001", "email": "it@customer.test", **fields}
    with capture(execute=True):
        account = request_cloud_account(partner=partner, customer=customer, by=by, **fields)
    return account, confirmation_token()


def link_account(partner, customer, by, staff, capture, **fields):
    """A linked account; its events delivered (a later event of the partner would otherwise
    wait for them: the outbox keeps a partner's events in order)."""
    account, token = request_account(partner, customer, by, capture, **fields)
    with capture(execute=True):
        confirm_cloud_account(token=token)
        return approve_cloud_account(account, by=staff)


@pytest.fixture
def alpha_customer(alpha):
    customer = CustomerFactory(name="Công ty Mặt Trời")
    transfer_ownership(customer=customer, partner=alpha)
    return customer


@pytest.fixture
def alpha_account(alpha, alice, staff, alpha_customer, django_capture_on_commit_callbacks):
    return link_account(alpha, alpha_customer, alice, staff, django_capture_on_commit_callbacks)


@pytest.fixture
def alpha_credit(alpha, staff):
    """Alpha paid 10,000,000 VND."""
    record_payment(partner=alpha, amount=Decimal(10_000_000), reference="UNC-1", by=staff)
    return Decimal(10_000_000)
