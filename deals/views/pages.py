from django.shortcuts import render
from django.utils.cache import patch_vary_headers

from deals import counters, selectors
from deals import dashboard as figures
from deals.filters import DealFilter
from deals.models import Deal
from deals.services import allowed_stages
from partners.access import partner_required
from partners.selectors import SEARCH_MIN_LENGTH, clean_search
from web.charts import bar_chart, compact_vnd


@partner_required
def dashboard(request):
    counts, counted_pipeline = counters.dashboard_figures(request.partner)
    pipeline = figures.weighted_pipeline(counted_pipeline)
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
        "counts": counts,
        "attention": figures.attention(request.partner),
        "quarters": figures.won_quarters(request.partner),
        "activity": selectors.recent_activity(request.partner),
    }
    return render(request, "deals/dashboard.html", ctx)


def _totals(pipeline: list[dict]) -> dict:
    """The pipeline table's totals: the "Open pipeline" card shows the same numbers."""
    return {key: sum(row[key] for row in pipeline) for key in ("count", "value", "weighted")}


@partner_required
def deal_list(request):
    # The form only renders the controls; the selector reads the values itself and ignores
    # what it does not know (an unknown sort, a forged cursor) instead of failing.
    filterset = DealFilter(request.GET, queryset=Deal.objects.none())
    raw_q = request.GET.get("q", "")
    q = clean_search(raw_q)
    stage = request.GET.get("stage", "")
    sort = request.GET.get("sort", "")
    view = request.GET.get("view", "")
    view = view if view in figures.DEAL_VIEW_LABELS else ""
    page = selectors.deal_page(
        request.partner,
        q=q,
        stage=stage,
        sort=sort,
        cursor=request.GET.get("cursor", ""),
        view=view,
    )
    _label_rows(page.rows)
    params = request.GET.copy()
    params.pop("cursor", None)
    ctx = {
        "filter": filterset,
        "page": page,
        "query_string": params.urlencode(),
        "current_sort": sort if sort in selectors.DEAL_SORTS else selectors.DEFAULT_DEAL_SORT,
        "search_too_short": bool(raw_q.strip()) and not q,
        "search_min_length": SEARCH_MIN_LENGTH,
        "has_any_deal": bool(page.rows) or selectors.deals_for_partner(request.partner).exists(),
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
    limit = _timeline_limit(request)
    timeline, has_more = selectors.deal_timeline(deal, limit)
    ctx = {
        "deal": deal,
        "rules": deal.discount_rules.select_related("product"),
        "timeline": timeline,
        "timeline_more": limit + selectors.TIMELINE_SIZE if has_more else None,
        "allowed_stages": allowed_stages(deal),
        "discount": getattr(deal, "discount", None) if deal.stage == deal.Stage.WON else None,
    }
    return render(request, "deals/deal_detail.html", ctx)


def _timeline_limit(request) -> int:
    """How many timeline entries to show: ?entries=N from "show more", else the newest 20."""
    try:
        return max(1, min(int(request.GET.get("entries", "")), selectors.TIMELINE_MAX))
    except ValueError:
        return selectors.TIMELINE_SIZE


def _label_rows(deals):
    """Give each row its stage and status labels, translated once per request:
    get_FOO_display() on every row of every page was a fifth of the list's time."""
    stages = {value: str(label) for value, label in Deal.Stage.choices}
    statuses = {value: str(label) for value, label in Deal.Status.choices}
    for deal in deals:
        deal.stage_label = stages[deal.stage]
        deal.status_label = statuses[deal.status]
