"""The Update stage sub-screen: a modal over the deal page, or a page without JavaScript."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from deals import selectors
from deals.services import change_stage
from deals.stage_forms import StageForm
from partners.access import partner_required
from web.htmx import done, form_response


@require_http_methods(["GET", "POST"])
@partner_required
def stage_update(request, pk):
    deal = selectors.get_deal_for_partner(request.partner, pk)
    # The stage path's links name the stage to preselect (?stage=won); an unknown one is ignored.
    initial = {"stage": request.GET.get("stage", "")}
    form = StageForm(request.POST or None, request.FILES or None, deal=deal, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
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
        except ValidationError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, _stage_message(deal))
            return done(request, deal.get_absolute_url())
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
