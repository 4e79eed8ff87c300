"""Reads of statements scoped to a partner: a partner sees its own statements once sent."""

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from partners.models import Partner
from statements.models import EInvoice, Statement, StatementLine
from web.paging import keyset_page

ORDERING = ("-month", "-pk")


def statements_for_partner(partner: Partner) -> QuerySet[Statement]:
    return Statement.objects.filter(partner=partner, status__in=Statement.VISIBLE)


def statement_page(partner: Partner, *, cursor: str = ""):
    """The list, newest month first, on the (partner, month, id) index."""
    return keyset_page(
        statements_for_partner(partner),
        ordering=ORDERING,
        cursor=cursor,
        scope=f"statements|{partner.pk}",
        count=False,
    )


def get_statement_for_partner(partner: Partner, pk) -> Statement:
    """The partner's sent statement, or 404 (a draft or another partner's too)."""
    return get_object_or_404(statements_for_partner(partner), pk=pk)


def lines_of(statement: Statement) -> QuerySet[StatementLine]:
    return statement.lines.select_related("customer", "product").order_by(
        "kind", "customer__name", "customer_id", "product__name", "first_day", "pk"
    )


def einvoices_of(statement: Statement) -> QuerySet[EInvoice]:
    return statement.einvoices.order_by("-issued_on", "-pk")


def get_einvoice_for_partner(partner: Partner, pk) -> EInvoice:
    """An e-invoice of the partner's sent statement or of its own top-up, or 404."""
    visible = EInvoice.objects.filter(partner=partner).exclude(
        statement__isnull=False, statement__status=Statement.Status.DRAFT
    )
    return get_object_or_404(visible, pk=pk)
