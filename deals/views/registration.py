"""Registering a deal and resubmitting one that staff sent back."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from deals import selectors
from deals.forms import DealRegistrationForm, DealResubmitForm
from deals.models import Deal, Product
from deals.services import register_deal, resubmit_deal
from deals.services.registration import has_conflicting_claim
from partners.access import partner_required
from web.submissions import Outcome, submit_once

REGISTER_FIELDS = (
    "customer_tax_code",
    "customer_name",
    "title",
    "description",
    "estimated_value",
    "expected_close_date",
    "external_id",
)
EDIT_FIELDS = ("title", "description", "estimated_value", "expected_close_date")


def _active_products():
    return Product.objects.filter(is_active=True).order_by("name")


def _success_message(deal: Deal, *, known_customer) -> str:
    text = _("Deal “%(title)s” registered. VNG Cloud will review it.") % {"title": deal.title}
    if known_customer is not None:
        text += " " + _("It uses the customer already known for this tax code: %(name)s.") % {
            "name": known_customer.name
        }
    if has_conflicting_claim(deal):
        # Yes/no only: the other partner and its deal stay hidden.
        text += " " + _(
            "Another partner already holds a protected registration for this customer: "
            "VNG Cloud will review a possible conflict before deciding."
        )
    return text


@partner_required
@require_http_methods(["GET", "POST"])
def deal_register(request):
    """The Register a deal page; refused while the partner has no contract in force."""
    contract = request.partner.contract_on(timezone.localdate())
    form = DealRegistrationForm(
        request.POST if request.method == "POST" else None,
        products=_active_products(),
        contract=contract,
    )
    ctx = {"form": form, "contract": contract, "mode": "register"}
    if request.method == "GET" or contract is None:
        # Without a contract in force the page says why and nothing can be posted.
        status = 200 if request.method == "GET" else 403
        return render(request, "deals/deal_form.html", ctx, status=status)
    if form.is_valid():

        def write():
            deal = register_deal(
                partner=request.partner,
                by=request.user,
                rates=form.rates(),
                **{name: form.cleaned_data[name] for name in REGISTER_FIELDS},
            )
            message = _success_message(deal, known_customer=form.known_customer)
            return Outcome(url=deal.get_absolute_url(), message=message)

        try:
            return submit_once(request, write)
        except ValidationError as error:
            form.add_service_error(error)
    return render(request, "deals/deal_form.html", ctx, status=400)


@partner_required
@require_http_methods(["GET", "POST"])
def deal_resubmit(request, pk):
    """Edit and resubmit a deal staff sent back; any other status is refused with a message."""
    deal = selectors.get_deal_for_partner(request.partner, pk)
    if deal.status != Deal.Status.ACTION_REQUIRED:
        messages.warning(request, _not_editable(deal))
        return redirect(deal)
    contract = request.partner.contract_on(timezone.localdate())
    form = DealResubmitForm(
        request.POST if request.method == "POST" else None,
        deal=deal,
        products=_active_products(),
        contract=contract,
    )
    ctx = {"form": form, "contract": contract, "deal": deal, "mode": "resubmit"}
    if request.method == "GET" or contract is None:
        # Without a contract in force the page says why and nothing can be posted.
        status = 200 if request.method == "GET" else 403
        return render(request, "deals/deal_form.html", ctx, status=status)
    if form.is_valid():
        try:
            resubmit_deal(
                deal,
                by=request.user,
                rates=form.rates(),
                note=form.cleaned_data["note"],
                **{name: form.cleaned_data[name] for name in EDIT_FIELDS},
            )
        except ValidationError as error:
            if getattr(error, "code", None) == "not_action_required":
                # Somebody else was faster (another tab, a colleague): say so on the deal page.
                messages.warning(request, error.messages[0])
                return redirect(deal)
            form.add_service_error(error)
        else:
            messages.success(request, _("Your changes were sent to VNG Cloud for review."))
            return redirect(deal)
    return render(request, "deals/deal_form.html", ctx, status=400)


def _not_editable(deal: Deal) -> str:
    return _(
        "Only a deal that VNG Cloud sent back for changes can be edited and resubmitted; "
        "this one is “%(status)s”."
    ) % {"status": deal.get_status_display()}
