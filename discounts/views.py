from django.core.paginator import Paginator
from django.shortcuts import render

from discounts import selectors
from discounts.models import EffectiveStatus
from partners.selectors import partner_required


@partner_required
def discount_list(request):
    discounts = selectors.discounts_for_partner(request.partner)
    status = request.GET.get("status", "")
    if status in EffectiveStatus.values:
        discounts = discounts.filter(current_status=status)
    else:
        status = ""
    page = Paginator(discounts.order_by("-created_at", "-pk"), 25).get_page(request.GET.get("page"))
    ctx = {"page": page, "status": status, "statuses": EffectiveStatus.choices}
    return render(request, "discounts/discount_list.html", ctx)


@partner_required
def discount_detail(request, pk):
    discount = selectors.get_discount_for_partner(request.partner, pk)
    ctx = {
        "discount": discount,
        "customer_discounts": selectors.customer_discounts_of(discount),
    }
    return render(request, "discounts/discount_detail.html", ctx)
