"""The Update stage sub-screen: a modal over the deal page, or a page without JavaScript."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from deals import selectors
from deals.services import change_stage
from deals.stage_forms import StageForm
from partners.access import partner_required
from web.htmx import form_response
from web.submissions import Outcome, replayed, submit_once


@require_http_methods(["GET", "POST"])
@partner_required
def stage_update(request, pk):
    deal = selectors.get_deal_for_partner(request.partner, pk)
    # The stage path's links name the stage to preselect (?stage=won); an unknown one is ignored.
    initial = {"stage": request.GET.get("stage", "")}
    if request.method == "POST" and (answer := replayed(request)) is not None:
        return answer  # a double click after the first was saved: its answer, not "closed"
    form = StageForm(request.POST or None, request.FILES or None, deal=deal, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data

        def write():
            change_stage(
                deal,
                data["stage"],
                by=request.user,
                note=data["note"],
                files=data["files"],
                kind=data["kind"],
                lost_reason=data["lost_reason_text"],
                lost_reason_code=data["lost_reason"],
            )
            return Outcome(url=deal.get_absolute_url(), message=_stage_message(deal))

        try:
            return submit_once(request, write)
        except ValidationError as exc:
            form.add_service_error(exc)
    ctx = {"deal": deal, "form": form}
    return form_response(
        request,
        page="deals/stage_form.html",
        partial="deals/_stage_form.html",
        ctx=ctx,
        invalid=form.is_bound,
    )


def _stage_message(deal):
    if deal.stage == deal.Stage.WON:
        return _("The deal is won and closed.")
    if deal.stage == deal.Stage.LOST:
        return _("The deal is closed as lost.")
    return _("The stage is now %(stage)s.") % {"stage": deal.get_stage_display()}
