"""The reports page's discount figures come from counters the services keep, and the counters
always equal a fresh count of the discounts (issue 22: the reports page counted a year of the
partner's discounts on every view)."""

import io
import re
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from discounts import counters
from discounts.models import Discount, DiscountCounter
from discounts.services import create_customer_discount

pytestmark = pytest.mark.django_db


def shown(client, figure: str) -> int:
    html = client.get("/reports/").content.decode()
    return int(re.search(rf'data-figure="{figure}">(\d+)<', html).group(1))


def pass_on(discount, customer, by, vserver):
    return create_customer_discount(
        discount,
        by=by,
        customer=customer,
        rates={vserver.pk: "5"},
        valid_from=discount.valid_from,
        valid_until=discount.valid_until,
    )


def test_a_win_and_a_customer_discount_show_on_the_reports_page(
    client, alice, discount, customer, vserver
):
    client.force_login(alice)
    assert (shown(client, "discounts-issued"), shown(client, "passed-on")) == (1, 0)

    pass_on(discount, customer, alice, vserver)

    assert (shown(client, "discounts-issued"), shown(client, "passed-on")) == (1, 1)
    month = timezone.localdate().replace(day=1)
    row = DiscountCounter.objects.get(partner=discount.partner)
    assert (row.month, row.issued, row.passed_on) == (month, 1, 1)
    assert counters.stored_counts() == counters.fresh_counts()


def test_the_figures_read_no_discount_rows(client, alice, discount, customer, vserver):
    pass_on(discount, customer, alice, vserver)
    client.force_login(alice)
    client.get("/reports/")  # the closed-deal figures go in the cache

    with CaptureQueriesContext(connection) as queries:
        client.get("/reports/")

    tables = " ".join(q["sql"] for q in queries.captured_queries)
    assert "discounts_discountcounter" in tables
    assert '"discounts_discount"' not in tables and '"discounts_customerdiscount"' not in tables


def test_discounts_older_than_the_window_do_not_count(client, alice, discount):
    old = timezone.now() - timedelta(days=400)
    Discount.objects.filter(pk=discount.pk).update(created_at=old)
    counters.rebuild()
    client.force_login(alice)

    assert shown(client, "discounts-issued") == 0
    assert DiscountCounter.objects.get(partner=discount.partner).issued == 1  # kept, older month


def test_rebuild_command_repairs_the_discount_counters(alice, discount, customer, vserver):
    pass_on(discount, customer, alice, vserver)
    DiscountCounter.objects.update(issued=99, passed_on=0)

    out = io.StringIO()
    call_command("rebuild_deal_counters", stdout=out)

    assert "discount counter rows" in out.getvalue()
    assert counters.stored_counts() == counters.fresh_counts()
    assert counters.stored_counts() == {
        (discount.partner_id, timezone.localdate().replace(day=1)): [1, 1]
    }
