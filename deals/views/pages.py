from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils.cache import patch_vary_headers

from deals import dashboard as figures
from deals import selectors
from deals.filters import DealFilter
from deals.services import allowed_stages
from partners.access import partner_required
from partners.charts import bar_chart, compact_vnd

PAGE_SIZE = 25


@partner_required
def dashboard(request):
    pipeline = figures.weighted_pipeline(selectors.pipeline_by_stage(request.partner))
    ctx = {
        "pipeline": pipeline,
        "totals": _totals(pipeline),
        "chart": bar_chart(
            [
                (
                    row["label"],
                    [row["value"], row["weighted"]],
                    [compact_vnd(row["value"]), compact_vnd(row["weighted"])],
                )
                for row in pipeline
            ],
            series=2,
            width=560,
        ),
        "counts": selectors.deal_counts(request.partner),
        "attention": figures.attention(request.partner),
        "quarters": figures.won_quarters(request.partner),
        "discounts_ending": figures.discounts_ending_soon(request.partner),
        "activity": selectors.recent_activity(request.partner),
    }
    return render(request, "deals/dashboard.html", ctx)


def _totals(pipeline: list[dict]) -> dict:
    """The pipeline table's totals: the "Open pipeline" card shows the same numbers."""
    return {key: sum(row[key] for row in pipeline) for key in ("count", "value", "weighted")}


@partner_required
def deal_list(request):
    view, deals = figures.apply_deal_view(
        selectors.deals_for_partner(request.partner), request.GET.get("view", "")
    )
    filterset = DealFilter(request.GET, queryset=deals)
    deals = filterset.qs
    # A stable order across pages, whatever the chosen sort.
    ordering = list(deals.query.order_by) or ["-updated_at"]
    deals = deals.order_by(*ordering, "-pk")
    page = Paginator(deals, PAGE_SIZE).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    ctx = {
        "filter": filterset,
        "page": page,
        "query_string": params.urlencode(),
        "current_sort": (filterset.form.cleaned_data.get("sort") or ["-updated"])[0],
        "has_any_deal": selectors.deals_for_partner(request.partner).exists(),
        "view": view,
        "view_label": figures.DEAL_VIEW_LABELS.get(view),
    }
    template = "deals/_deal_table.html" if request.htmx else "deals/deal_list.html"
    response = render(request, template, ctx)
    patch_vary_headers(response, ("HX-Request",))
    return response


@partner_required
def deal_detail(request, pk):
    deal = selectors.get_deal_for_partner(request.partner, pk)
    ctx = {
        "deal": deal,
        "rules": deal.discount_rules.select_related("product"),
        "timeline": selectors.deal_timeline(deal),
        "allowed_stages": allowed_stages(deal),
        "discount": getattr(deal, "discount", None) if deal.stage == deal.Stage.WON else None,
    }
    return render(request, "deals/deal_detail.html", ctx)
