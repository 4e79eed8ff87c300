"""The Discount menu: partner discounts and the customer discounts drawn on them."""

from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from discounts import selectors, services
from discounts.forms import CustomerDiscountForm
from discounts.models import EffectiveStatus
from partners.access import (
    ADMIN_ONLY_CUSTOMER_DISCOUNTS,
    partner_admin_required,
    partner_required,
)
from web.export import csv_response
from web.htmx import form_response
from web.submissions import Outcome, submit_once


def _status_filter(request) -> str:
    status = request.GET.get("status", "")
    return status if status in EffectiveStatus.values else ""


@partner_required
def discount_list(request):
    status = _status_filter(request)
    ending = request.GET.get("ending") == "soon"
    page = selectors.discount_page(
        request.partner, status=status, cursor=request.GET.get("cursor", ""), ending=ending
    )
    query_string = urlencode(
        {k: v for k, v in (("status", status), ("ending", "soon" if ending else "")) if v}
    )
    ctx = {
        "page": page,
        "status": status,
        "ending": ending,
        "statuses": EffectiveStatus.choices,
        "query_string": query_string,
    }
    return render(request, "discounts/discount_list.html", ctx)


def _lines_text(lines) -> str:
    return "; ".join(f"{line.product.display_name} {line.rate}%" for line in lines)


@partner_required
def discount_export(request):
    """The Discount list as CSV, with the list's status filter applied."""
    discounts = selectors.filter_discounts(
        selectors.discounts_for_partner(request.partner), status=_status_filter(request)
    )
    header = [
        _("Deal"),
        _("Customer"),
        _("Tax code"),
        _("Products and rates"),
        _("Valid from"),
        _("Valid until"),
        _("Status"),
        _("Passed on"),
    ]
    rows = (
        [
            d.deal.title,
            d.customer.name,
            d.customer.tax_code,
            _lines_text(d.lines.all()),
            d.valid_from.isoformat(),
            d.valid_until.isoformat(),
            EffectiveStatus(d.current_status).label,
            d.passed_on,
        ]
        for d in discounts
    )
    return csv_response("discounts", header, rows)


@partner_required
def discount_detail(request, pk):
    discount = selectors.get_discount_for_partner(request.partner, pk)
    can_manage = request.membership.is_admin
    ctx = {
        "discount": discount,
        "customer_discounts": selectors.customer_discounts_of(discount),
        "can_manage": can_manage,
        "can_create": can_manage and discount.current_status == EffectiveStatus.ACTIVE,
    }
    return render(request, "discounts/discount_detail.html", ctx)


@partner_required
@partner_admin_required(ADMIN_ONLY_CUSTOMER_DISCOUNTS)
def customer_discount_create(request, pk):
    """The Create customer discount sub-screen (modal via htmx, or a page without JS)."""
    discount = selectors.get_discount_for_partner(request.partner, pk)
    form = CustomerDiscountForm(request.POST or None, discount=discount)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data

        def write():
            created = services.create_customer_discount(
                discount,
                by=request.user,
                customer=data["customer"],
                rates=form.rates(),
                valid_from=data["valid_from"],
                valid_until=data["valid_until"],
                note=data["note"],
            )
            message = _("The customer discount for %(customer)s was created.") % {
                "customer": created.customer.name
            }
            return Outcome(url=discount.get_absolute_url(), message=message)

        try:
            return submit_once(request, write)
        except ValidationError as exc:
            form.add_service_errors(exc)
    ctx = {"discount": discount, "form": form}
    return form_response(
        request,
        page="discounts/customer_discount_form.html",
        partial="discounts/_customer_discount_form.html",
        ctx=ctx,
        invalid=form.is_bound,
    )


@partner_required
@require_POST
@partner_admin_required(ADMIN_ONLY_CUSTOMER_DISCOUNTS)
def customer_discount_revoke(request, pk, cd_pk):
    customer_discount = selectors.get_customer_discount_for_partner(request.partner, pk, cd_pk)
    try:
        services.revoke_customer_discount(customer_discount, by=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            _("The customer discount for %(customer)s was revoked.")
            % {"customer": customer_discount.customer.name},
        )
    return redirect(customer_discount.discount.get_absolute_url())
