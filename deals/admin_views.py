"""Staff pages in admin: the review queue (`/admin/review/`) and the programme view
(`/admin/programme/`), registered by the staff's admin site (partner_portal.admin_site).

Thin views: the reads are `deals.review_queue` and `deals.programme`, every write goes
through `deals.services.queue`, which calls the review services. Reading needs
`deals.view_deal`; acting on registrations needs `deals.change_deal`.
"""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.formats import date_format, number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from deals import programme as figures
from deals import review_queue as queue
from deals.business_days import calendar, sla_days
from deals.models import REVIEW_COMMENT_MAX_LENGTH, Deal, Product
from deals.services.queue import Decision, act_on_many
from partners.selectors import production_partners
from web.admin import FastAutocompleteSelect, KnownModelChoiceField, QuickSelect
from web.charts import bar_chart, compact_vnd
from web.export import csv_response
from web.paging import whole_number


def _require(request, permission: str) -> None:
    if not request.user.has_perm(permission):
        raise PermissionDenied


def _page_context(request, site, title: str) -> dict:
    return {**site.each_context(request), "title": title}


# --- the review queue --------------------------------------------------------------------------


def queue_summary(request) -> dict:
    """What the admin index opens with: the queue's counts (nothing for staff who may not
    read deals)."""
    if not request.user.has_perm("deals.view_deal"):
        return {}
    counts = queue.queue_counts(user=request.user, cal=calendar(), today=timezone.localdate())
    return {"review_counts": counts}


class PartnerAutocomplete(FastAutocompleteSelect):
    """Admin's partner autocomplete, showing "All partners" while none is chosen (admin's
    own widget leaves the box blank)."""

    def build_attrs(self, base_attrs, extra_attrs=None):
        return {
            **super().build_attrs(base_attrs, extra_attrs),
            "data-placeholder": _("All partners"),
        }


class QueueFilterForm(forms.Form):
    """The queue's filters as controls; the values are read by QueueFilters."""

    product = forms.ModelChoiceField(
        label=gettext_lazy("Product"),
        queryset=Product.objects.order_by("name"),
        required=False,
        empty_label=gettext_lazy("All products"),
        widget=QuickSelect,
    )

    def __init__(self, *args, site, **kwargs):
        super().__init__(*args, **kwargs)
        # Partners are many: an autocomplete through admin's own search, never a full list.
        widget = PartnerAutocomplete(Deal._meta.get_field("partner"), site)
        self.fields["partner"] = KnownModelChoiceField(
            label=_("Partner"), queryset=production_partners(), required=False, widget=widget
        )


class QueueActionForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Comment for the partner"),
        required=False,
        max_length=REVIEW_COMMENT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2, "cols": 60}),
        help_text=gettext_lazy("Required to send back or reject; optional to approve."),
    )


ACTION_DONE = {
    Decision.TAKE: gettext_lazy("Taken for review: %(count)s."),
    Decision.RELEASE: gettext_lazy("Given back to the queue: %(count)s."),
    Decision.APPROVE: gettext_lazy("Approved: %(count)s."),
    Decision.SEND_BACK: gettext_lazy("Sent back to the partner: %(count)s."),
    Decision.REJECT: gettext_lazy("Rejected: %(count)s."),
}


def _ids(values) -> list[int]:
    return [pk for pk in map(whole_number, values) if pk is not None][:500]


def _requested(post) -> tuple[str, list[int], bool]:
    """(decision, deal ids, take over) from the queue's form: one row's own button
    ("take:12", "take_over:12", "release:12"), or a button under the table with the ticked
    rows."""
    row = post.get("row_action", "")
    if row:
        decision, _sep, pk = row.partition(":")
        if decision == "take_over":
            return Decision.TAKE, _ids([pk]), True
        return decision, _ids([pk]), False
    return post.get("action", ""), _ids(post.getlist("deal")), post.get("take_over") == "1"


def review_queue(request, *, site):
    _require(request, "deals.view_deal")
    form, outcome, status = QueueActionForm(), None, 200
    if request.method == "POST":
        _require(request, "deals.change_deal")
        form = QueueActionForm(request.POST)
        form.is_valid()
        decision, ids, take_over = _requested(request.POST)
        if decision not in Decision.CHOICES or not ids:
            form.add_error(None, _("Tick the registrations to act on, then press an action."))
            status = 400
        else:
            deals = queue.deals_for_action(ids)
            outcome = act_on_many(
                deals,
                decision,
                by=request.user,
                reason=form.cleaned_data.get("reason", ""),
                take_over=take_over,
            )
            if outcome.done:
                count = len(outcome.done)
                messages.success(request, str(ACTION_DONE[decision]) % {"count": count})
            if outcome.clean:
                return redirect(request.get_full_path())
            if outcome.reason_error:
                form.add_error("reason", outcome.reason_error)
            status = 200 if outcome.done else 400
    return TemplateResponse(
        request,
        "admin/review_queue.html",
        _queue_context(request, site, form, outcome),
        status=status,
    )


def _queue_context(request, site, form, outcome) -> dict:
    cal, today = calendar(), timezone.localdate()
    filters = queue.QueueFilters.from_query(request.GET)
    refused = {pk: message for pk, (_deal, message) in (outcome.refused if outcome else {}).items()}
    page, rows = queue.queue_page(
        filters,
        user=request.user,
        cal=cal,
        today=today,
        cursor=request.GET.get("cursor", ""),
        errors=refused,
    )
    shown = {row.deal.pk for row in rows}
    return {
        **_page_context(request, site, _("Review queue")),
        "rows": rows,
        "page": page,
        "filters": filters,
        "filter_form": QueueFilterForm(
            {"partner": filters.partner, "product": filters.product}, site=site
        ),
        "form": form,
        "counts": queue.queue_counts(user=request.user, cal=cal, today=today),
        "sla": sla_days(),
        "refused": refused,
        # Refusals of registrations no longer in this page of the queue (reviewed meanwhile).
        "refused_elsewhere": [
            (deal, message)
            for pk, (deal, message) in (outcome.refused if outcome else {}).items()
            if pk not in shown
        ],
        "ticked": set(_ids(request.POST.getlist("deal"))) if request.method == "POST" else set(),
        "can_act": request.user.has_perm("deals.change_deal"),
        "take_over_ticked": request.method == "POST" and request.POST.get("take_over") == "1",
    }


# --- the programme view ------------------------------------------------------------------------


def programme(request, *, site):
    _require(request, "deals.view_deal")
    cal, today = calendar(), timezone.localdate()
    window = figures.window_figures(cal, today)
    counters = figures.open_counters()
    stages = figures.pipeline_by_stage(counters)
    partners = figures.pipeline_by_partner(counters)
    ctx = {
        **_page_context(request, site, _("Programme")),
        "stages": stages,
        "stage_totals": _totals(stages),
        "open_pipeline": figures.OPEN_PIPELINE,
        "partners": partners[: figures.TOP_PARTNERS],
        "partner_count": len(partners),
        "window": window,
        "results": window.partners[: figures.TOP_PARTNERS],
        "inactive": figures.inactive_partners(today),
        "inactive_days": figures.INACTIVE_DAYS,
        "cache_minutes": figures.CACHE_SECONDS // 60,
        "top": figures.TOP_PARTNERS,
        "charts": _charts(stages, window),
    }
    return TemplateResponse(request, "admin/programme.html", ctx)


def _totals(rows) -> dict:
    return {key: sum(getattr(row, key) for row in rows) for key in ("count", "value", "weighted")}


def _stage_rows(stages) -> list[tuple]:
    """The stage pipeline's rows and its Total row, as the page's table ends (no
    probability)."""
    total = _totals(stages)
    rows = [(r.label, r.count, r.value, r.probability, r.weighted) for r in stages]
    return [*rows, (_("Total"), total["count"], total["value"], "", total["weighted"])]


def _days(value) -> str:
    return "—" if value is None else number_format(value, 1)


def _charts(stages, window) -> dict:
    return {
        "pipeline": bar_chart(
            [
                (
                    row.label,
                    [row.value, row.weighted],
                    [compact_vnd(row.value), compact_vnd(row.weighted)],
                )
                for row in stages
            ],
            series=2,
        ),
        "registrations": bar_chart(
            [
                (
                    date_format(p.first, "j/n"),
                    [p.count],
                    [number_format(p.count, force_grouping=True)],
                )
                for p in window.registrations
            ]
        ),
        # Medians of 0 (every review on its submission day) would draw an empty chart.
        "reviews": bar_chart(
            [
                (date_format(p.first, "j/n"), [p.median_days or 0], [_days(p.median_days)])
                for p in window.reviews
            ]
        )
        if any(p.median_days for p in window.reviews)
        else None,
        "discounts": bar_chart(
            [
                (
                    date_format(p.first, "n/Y"),
                    [p.count],
                    [number_format(p.count, force_grouping=True)],
                )
                for p in window.discounts
            ]
        ),
    }


def _csv_tables(today) -> dict:
    """Each table of the programme view as (file name, header, rows), every row included."""
    cal = calendar()
    window = figures.window_figures(cal, today)
    return {
        "pipeline-by-stage": lambda: (
            [
                _("Stage"),
                _("Deals"),
                _("Estimated value (VND)"),
                _("Probability (%)"),
                _("Weighted (VND)"),
            ],
            _stage_rows(figures.pipeline_by_stage()),
        ),
        "pipeline-by-partner": lambda: (
            [_("Partner"), _("Deals"), _("Estimated value (VND)"), _("Weighted (VND)")],
            [(r.label, r.count, r.value, r.weighted) for r in figures.pipeline_by_partner()],
        ),
        "registrations": lambda: (
            [_("Week from"), _("Registrations")],
            [(p.first.isoformat(), p.count) for p in window.registrations],
        ),
        "review-times": lambda: (
            # The page's share, and the count it comes from.
            [
                _("Week from"),
                _("Reviews"),
                _("Median business days"),
                _("Within the promise (%)"),
                _("Reviews within the promise"),
            ],
            [
                (
                    p.first.isoformat(),
                    p.reviews,
                    "" if p.median_days is None else p.median_days,
                    _blank(p.within_share),
                    p.within,
                )
                for p in window.reviews
            ],
        ),
        "partner-results": lambda: (
            [_("Partner"), _("Won"), _("Lost"), _("Win rate (%)"), _("Median days to win")],
            [
                (r.name, r.won, r.lost, _blank(r.win_rate), _blank(r.median_days))
                for r in window.partners
            ],
        ),
        "discounts": lambda: (
            [_("Month"), _("Discounts issued")],
            [(p.first.strftime("%Y-%m"), p.count) for p in window.discounts],
        ),
        "inactive-partners": lambda: (
            [_("Partner"), _("Joined"), _("Last activity")],
            [
                (
                    p.name,
                    timezone.localdate(p.joined).isoformat(),
                    timezone.localdate(p.last_activity).isoformat() if p.last_activity else "",
                )
                for p in figures.inactive_partners(today)
            ],
        ),
    }


def _blank(value):
    return "" if value is None else value


def programme_csv(request, table: str, *, site):
    _require(request, "deals.view_deal")
    tables = _csv_tables(timezone.localdate())
    if table not in tables:
        raise Http404
    header, rows = tables[table]()
    return csv_response(f"programme-{table}", header, rows)
