"""The reports page and the deal list as CSV."""

from django.shortcuts import render
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from deals import reports, selectors
from deals.models import Deal
from partners.access import partner_required
from partners.selectors import clean_search
from web.charts import bar_chart, compact_vnd
from web.export import csv_streaming_response


@partner_required
def report_page(request):
    figures = reports.closed_deal_figures(request.partner)
    months = figures.months
    chart = bar_chart(
        (date_format(m.month, "m/y"), [m.value], [compact_vnd(m.value)]) for m in months
    )
    ctx = {
        "months": months,
        "chart": chart,
        "closing": figures.closing,
        "discounts": reports.discount_figures(request.partner),
        "window_start": months[0].month,
    }
    return render(request, "deals/reports.html", ctx)


EXPORT_HEADER = (
    _("Title"),
    _("Customer"),
    _("Tax code"),
    _("Stage"),
    _("Review status"),
    _("Estimated value (VND)"),
    _("Probability"),
    _("Expected close date"),
    _("Protected until"),
    _("Registered"),
    _("Last update"),
    _("Closed"),
    _("Your CRM's id"),
)


@partner_required
def deal_export(request):
    """The deal list as CSV with the list's search, stage and sort; streamed row by row, so
    100,000 deals take no more memory than 100."""
    deals = selectors.deals_for_export(
        request.partner,
        q=clean_search(request.GET.get("q", "")),
        stage=request.GET.get("stage", ""),
        sort=request.GET.get("sort", ""),
        view=request.GET.get("view", ""),
    )
    stages = dict(Deal.Stage.choices)
    statuses = dict(Deal.Status.choices)
    rows = (
        [
            deal.title,
            deal.customer.name,
            deal.customer.tax_code,
            stages[deal.stage],
            statuses[deal.status],
            deal.estimated_value,
            deal.probability,
            deal.expected_close_date.isoformat(),
            deal.protected_until.isoformat() if deal.protected_until else "",
            _day(deal.created_at),
            _day(deal.updated_at),
            _day(deal.closed_at),
            deal.external_id or "",
        ]
        for deal in deals.iterator(chunk_size=2000)
    )
    return csv_streaming_response("deals", [str(title) for title in EXPORT_HEADER], rows)


def _day(moment) -> str:
    return timezone.localdate(moment).isoformat() if moment else ""
