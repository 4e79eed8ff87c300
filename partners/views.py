from urllib.parse import urlencode

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from partners import selectors
from partners.access import partner_required
from partners.export import csv_response


class EmailAuthenticationForm(AuthenticationForm):
    """The login form, with the e-mail as the login (the field keeps Django's name)."""

    username = forms.EmailField(
        label=_("E-mail"),
        widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"}),
    )
    # Django's own text says both fields may be case-sensitive; the e-mail is not here.
    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": _(
            "The e-mail address or the password is wrong. Capital letters matter in the "
            "password, not in the e-mail address."
        ),
    }

    def clean_username(self):
        return self.cleaned_data["username"].strip().lower()


class StaffAuthenticationForm(AdminAuthenticationForm):
    """The admin's login: the e-mail in any case, and a message that says so."""

    error_messages = {
        **AdminAuthenticationForm.error_messages,
        "invalid_login": _(
            "The e-mail address or the password is wrong, or the account is not a staff "
            "account. Capital letters matter in the password, not in the e-mail address."
        ),
    }

    def clean_username(self):
        return self.cleaned_data["username"].strip().lower()


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
    ownership = customer.active_ownerships[0]
    return [
        customer.name,
        customer.tax_code,
        timezone.localtime(ownership.started_at).date().isoformat(),
        ownership.deal.title if ownership.deal else "",
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
    customer = selectors.get_customer_for_partner(request.partner, pk)
    ctx = {
        "customer": customer,
        "ownership": customer.active_ownerships[0],
        "deals": selectors.customer_deals(request.partner, customer),
        "customer_discounts": selectors.customer_discounts_given(request.partner, customer),
    }
    return render(request, "partners/customer_detail.html", ctx)
