"""seed_demo adds a month of consumption and a sent statement per demo partner, once."""

import pytest
from django.core.management import call_command

from statements.models import Consumption, EInvoice, Statement

pytestmark = pytest.mark.django_db


def test_seed_demo_adds_consumption_and_a_sent_statement_once():
    call_command("seed_demo")
    first = (Consumption.objects.count(), Statement.objects.count(), EInvoice.objects.count())
    call_command("seed_demo")
    assert (
        Consumption.objects.count(),
        Statement.objects.count(),
        EInvoice.objects.count(),
    ) == first
    assert first[1] == 2 and first[2] == 2 and first[0] > 0
    for statement in Statement.objects.all():
        assert statement.status == Statement.Status.SENT
        assert statement.total > 0
        assert statement.total == sum(line.amount for line in statement.lines.all())
