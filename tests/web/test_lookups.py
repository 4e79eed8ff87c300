"""`__any_of` (web.lookups): the rows `__in` finds, sent to PostgreSQL as one array."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from deals.models import Deal
from tests.factories import DealFactory

pytestmark = pytest.mark.django_db


def test_any_of_finds_the_rows_in_finds_on_either_database(alpha):
    deals = DealFactory.create_batch(4, partner=alpha)
    customers = [deals[0].customer_id, deals[2].customer_id, None]
    ids = [deals[1].pk, deals[3].pk, 10**12]

    by_customer = Deal.objects.filter(customer_id__any_of=customers)
    by_id = Deal.objects.filter(pk__any_of=ids)

    assert set(by_customer) == set(Deal.objects.filter(customer_id__in=customers))
    assert set(by_customer) == {deals[0], deals[2]}
    assert set(by_id) == {deals[1], deals[3]}
    assert list(Deal.objects.filter(pk__any_of=[])) == []
    assert list(Deal.objects.filter(pk__any_of=[None])) == []


def test_any_of_sends_postgresql_one_array_whatever_the_length(alpha):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: other databases get Django's IN")
    deals = DealFactory.create_batch(3, partner=alpha)
    ids = [deal.pk for deal in deals] + list(range(10**9, 10**9 + 500))

    with CaptureQueriesContext(connection) as queries:
        found = list(Deal.objects.filter(pk__any_of=ids).order_by("pk"))

    assert found == deals
    sql = queries.captured_queries[0]["sql"]
    assert "= ANY(" in sql and " IN (" not in sql
