from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.core.paginator import Paginator
from django.db.models import Q
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from partners import selectors
from partners.selectors import partner_required


class EmailAuthenticationForm(AuthenticationForm):
    """The login form, with the e-mail as the login (the field keeps Django's name)."""

    username = forms.EmailField(
        label=_("E-mail"),
        widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"}),
    )

    def clean_username(self):
        return self.cleaned_data["username"].strip().lower()


@partner_required
def customer_list(request):
    customers = selectors.owned_customers(request.partner)
    q = request.GET.get("q", "").strip()
    if q:
        customers = customers.filter(Q(name__icontains=q) | Q(tax_code__icontains=q))
    page = Paginator(customers.order_by("name", "pk"), 25).get_page(request.GET.get("page"))
    ctx = {"page": page, "q": q}
    return render(request, "partners/customer_list.html", ctx)


@partner_required
def customer_detail(request, pk):
    customer = selectors.get_customer_for_partner(request.partner, pk)
    ctx = {
        "customer": customer,
        "ownership": customer.active_ownerships[0],
        # Reverse relations keep the floors: partners does not import deals or discounts.
        "deals": customer.deals.filter(partner=request.partner).order_by("-updated_at"),
        "customer_discounts": customer.customer_discounts.filter(
            discount__partner=request.partner
        ).select_related("discount__deal"),
    }
    return render(request, "partners/customer_detail.html", ctx)
