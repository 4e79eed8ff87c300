"""The Update stage sub-screen."""

from django.http import Http404

from partners.selectors import partner_required


@partner_required
def stage_update(request, pk):
    """Placeholder until the stage issue lands."""
    raise Http404
