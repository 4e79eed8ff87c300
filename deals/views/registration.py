"""Registering a deal and resubmitting one that staff sent back."""

from django.http import Http404

from partners.selectors import partner_required


@partner_required
def deal_register(request):
    """Placeholder until registration lands."""
    raise Http404


@partner_required
def deal_resubmit(request, pk):
    """Placeholder until registration lands."""
    raise Http404
