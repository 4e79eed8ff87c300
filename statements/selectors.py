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


LINE_PAGE_SIZE = 50


def paged_lines(statement: Statement) -> QuerySet[StatementLine]:
    """The statement's lines for a page by id (the portal's and the API's): each page's
    customers and products come in a query of their own, after the page is cut. Joined
    into the page's query, PostgreSQL would join every line of the statement before the
    limit when its statistics predate the statement (a month's new statement always does
    until the next ANALYZE): 73 ms for the busiest partner's 14,600 lines at 1M deals,
    against 4 ms for the page alone."""
    return statement.lines.prefetch_related("customer", "product")


def line_page(statement: Statement, *, cursor: str = "", size: int = LINE_PAGE_SIZE):
    """A page of the statement's lines in reading order: a range of ids, since drafting
    creates them in that order (a partner with 10,000 accounts has some 15,000 lines)."""
    return keyset_page(
        paged_lines(statement),
        ordering=("pk",),
        cursor=cursor,
        scope=f"statement-lines|{statement.pk}",
        size=size,
        count=False,
    )


def einvoices_of(statement: Statement) -> QuerySet[EInvoice]:
    return statement.einvoices.order_by("-issued_on", "-pk")


def einvoices_of_top_ups(top_up_ids) -> dict:
    """{top-up id: [EInvoice, ...]} (billing's top-up pages ask through its registry)."""
    found: dict = {}
    for invoice in EInvoice.objects.filter(top_up_id__in=list(top_up_ids)).order_by(
        "-issued_on", "-pk"
    ):
        found.setdefault(invoice.top_up_id, []).append(invoice)
    return found


def get_einvoice_for_partner(partner: Partner, pk) -> EInvoice:
    """An e-invoice of the partner's sent statement or of its own top-up, or 404."""
    visible = EInvoice.objects.filter(partner=partner).exclude(
        statement__isnull=False, statement__status=Statement.Status.DRAFT
    )
    return get_object_or_404(visible, pk=pk)
