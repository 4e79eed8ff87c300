"""The money loop's partner pages do the same work for 1 row as for a page of rows."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from billing.services.credit import record_payment, top_up
from partners.services import transfer_ownership
from tests.billing.conftest import link_account
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db
MAX_QUERIES = 8  # the portal's target for a partner page (bench/RESULTS.md)


def count(client, url):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200, url
    return len(queries)


def _more(alpha, alice, staff, capture, n, start):
    for i in range(start, start + n):
        customer = CustomerFactory()
        transfer_ownership(customer=customer, partner=alpha)
        account = link_account(alpha, customer, alice, staff, capture, account_id=f"acc-{i:04d}")
        top_up(account, partner=alpha, amount=1000, by=alice)


def test_cloud_account_pages_query_counts_are_flat(
    alice_client, alpha, alice, staff, alpha_account, django_capture_on_commit_callbacks
):
    record_payment(partner=alpha, amount=10_000_000, reference="UNC-1", by=staff)
    top_up(alpha_account, partner=alpha, amount=1000, by=alice)
    urls = [
        reverse("cloud_account_list"),
        reverse("cloud_account_credit"),
        reverse("cloud_account_detail", args=[alpha_account.pk]),
        reverse("customer_detail", args=[alpha_account.customer_id]),
    ]
    few = [count(alice_client, url) for url in urls]
    _more(alpha, alice, staff, django_capture_on_commit_callbacks, 30, 100)
    for _ in range(25):
        top_up(alpha_account, partner=alpha, amount=1000, by=alice)
    many = [count(alice_client, url) for url in urls]
    assert few == many
    assert max(many) <= MAX_QUERIES, dict(zip(urls, many, strict=True))
