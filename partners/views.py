from urllib.parse import urlencode

from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from partners import selectors
from partners.access import partner_required
from web.export import csv_response


def _search(request) -> str:
    return selectors.clean_search(request.GET.get("q", ""))


def _customer_rows(request):
    q = _search(request)
    customers = selectors.owned_customers(request.partner)
    return selectors.search_customers(customers, q).order_by(*selectors.CUSTOMER_ORDERING), q


@partner_required
def customer_list(request):
    q = _search(request)
    page = selectors.customer_page(request.partner, q=q, cursor=request.GET.get("cursor", ""))
    ctx = {
        "page": page,
        "q": q,
        "query_string": urlencode({"q": q}) if q else "",
        "search_too_short": bool(request.GET.get("q", "").strip()) and not q,
        "search_min_length": selectors.SEARCH_MIN_LENGTH,
    }
    return render(request, "partners/customer_list.html", ctx)


def _discounts_text(customer) -> str:
    return "; ".join(
        f"{cd.discount.deal.title}: "
        + ", ".join(f"{line.product.display_name} {line.rate}%" for line in cd.lines.all())
        + f" ({cd.valid_from.isoformat()} – {cd.valid_until.isoformat()})"
        for cd in customer.active_customer_discounts
    )


def _customer_row(customer) -> list:
    # None only if Customer.owner drifted from the ownership (sync_customer_owners repairs it).
    ownership = next(iter(customer.active_ownerships), None)
    return [
        customer.name,
        customer.tax_code,
        timezone.localtime(ownership.started_at).date().isoformat() if ownership else "",
        ownership.deal.title if ownership and ownership.deal else "",
        _discounts_text(customer),
    ]


@partner_required
def customer_export(request):
    """The Customers list as CSV, with the list's search applied."""
    customers, _q = _customer_rows(request)
    header = [
        _("Name"),
        _("Tax code"),
        _("Customer since"),
        _("From deal"),
        _("Active customer discounts"),
    ]
    return csv_response("customers", header, (_customer_row(c) for c in customers))


@partner_required
def customer_detail(request, pk):
    # The page lists every customer discount given (below), not the ones in force.
    customer = selectors.get_customer_for_partner(request.partner, pk, in_force=False)
    ctx = {
        "customer": customer,
        "ownership": customer.active_ownerships[0],
        "deals": selectors.customer_deals(request.partner, customer),
        "customer_discounts": selectors.customer_discounts_given(request.partner, customer),
        "cloud_accounts": selectors.customer_cloud_accounts(request.partner, customer),
    }
    return render(request, "partners/customer_detail.html", ctx)
