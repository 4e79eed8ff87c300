"""Template helpers of the staff pages in admin (review queue, programme view)."""

from urllib.parse import urlencode

from django import template
from django.urls import get_resolver, get_script_prefix, get_urlconf, reverse
from django.utils.formats import get_format
from django.utils.html import conditional_escape, escape
from django.utils.safestring import mark_safe
from django.utils.timezone import template_localtime
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from web.formats import format_with, grouped

register = template.Library()


@register.simple_tag
def admin_list(model: str, params: dict | None = None) -> str:
    """The admin change list of `model` ("deals_deal") filtered by Django admin's own URL
    parameters (`{"stage__exact": "won"}`), so the link lists exactly those rows."""
    url = changelist_url(model)
    return f"{url}?{urlencode(params)}" if params else url


def changelist_url(model: str) -> str:
    """reverse("admin:<model>_changelist"), worked out once per URL configuration and
    script prefix (the programme view links ~100 figures: a reverse each was a sixth of
    its CPU). Kept on the resolver, which Django replaces when the URLs change."""
    resolver = get_resolver(get_urlconf())
    urls = resolver.__dict__.setdefault("_staff_changelist_urls", {})
    key = (model, get_script_prefix())
    if key not in urls:
        urls[key] = reverse(f"admin:{model}_changelist")
    return urls[key]


@register.simple_tag(takes_context=True)
def queue_url(context, **changes) -> str:
    """The review queue's current URL with some filters changed (None or "" drops one); the
    cursor is dropped, since the filters changed the list."""
    params = context["request"].GET.copy()
    params.pop("cursor", None)
    for name, value in changes.items():
        params.pop(name, None)
        if value not in (None, ""):
            params[name] = value
    query = params.urlencode()
    return reverse("admin:review_queue") + (f"?{query}" if query else "")


class _Days:
    """`{{ value|date:"SHORT_DATE_FORMAT" }}` for one page: the language's format looked up
    once and written by web.formats (parsed once), each value written once."""

    def __init__(self, name: str):
        self.format, self.seen = get_format(name), {}

    def __call__(self, value) -> str:
        if value is None:
            return ""
        value = template_localtime(value)
        if value not in self.seen:
            self.seen[value] = format_with(value, self.format)
        return self.seen[value]


@register.simple_tag(takes_context=True)
def queue_rows(context) -> str:
    """The review queue's rows (`rows`, `can_act`, `ticked`, `filters`, `request`), written
    out as the template loop they replace did, byte for byte (tests/deals/
    test_review_queue_views.py compares them): the link base, the labels and the reviewer's
    id worked out once per page instead of resolved per row and cell. Ids are written
    without number formatting."""
    rows, can_act, ticked = context["rows"], context["can_act"], context["ticked"]
    if not rows:
        if context["filters"].active:
            empty = _("No registration waiting for review matches these filters.")
        else:
            empty = _("No registration is waiting for review.")
        return mark_safe(
            f'\n        <tr><td colspan="{9 if can_act else 8}">{escape(empty)}</td></tr>\n      '
        )
    deals_url = changelist_url("deals_deal")
    search_url = deals_url + "?"
    sent = escape(pgettext("submitted on a day", "sent"))
    due = escape(pgettext("due on a day", "due"))
    conflict_label = escape(_("Conflicting claim"))
    duplicate_label = escape(_("Possible duplicate"))
    you, give_back = escape(_("You")), escape(_("Give back"))
    take_over, take = escape(_("Take over")), escape(_("Take"))
    dash = '<span class="quiet">—</span>'
    short_date, short_datetime = _Days("SHORT_DATE_FORMAT"), _Days("SHORT_DATETIME_FORMAT")
    me = context["request"].user.pk
    out = []
    for index, row in enumerate(rows):
        deal, clock, error = row.deal, row.clock, row.error
        pk = str(deal.pk)
        tick = (
            f'<td><input type="checkbox" name="deal" value="{pk}" id="deal-{pk}"'
            f'{" checked" if deal.pk in ticked else ""} aria-labelledby="title-{pk}"></td>'
            if can_act
            else ""
        )
        refused = (
            f'<div class="queue-row-error" data-row-error>{conditional_escape(error)}</div>'
            if error
            else ""
        )
        conflict, duplicate = deal.has_conflict, deal.has_duplicate
        flags = (
            f'<a class="flag flag-conflict" href="{deals_url}{pk}/review/" data-flag="conflict">'
            f"{conflict_label}</a>"
            if conflict
            else ""
        )
        flags += "\n            "
        if duplicate:
            query = escape(search_url + urlencode(row.company_search))
            flags += (
                f'{"<br>" if conflict else ""}<a class="flag" href="{query}" '
                f'data-flag="duplicate">{duplicate_label}</a>'
            )
        flags += "\n            " + ("" if conflict or duplicate else dash)
        button = (
            '<button type="submit" name="row_action" value="{}:' + pk + '" class="button" '
            'aria-describedby="title-' + pk + '">{}</button>'
        )
        if deal.review_taken_by_id == me:
            taken = f"<strong>{you}</strong>"
            if can_act:
                taken += "<br>" + button.format("release", give_back)
            taken += "\n            "
        elif deal.review_taken_by:
            reviewer = deal.review_taken_by
            taken = (
                f"{escape(reviewer.get_full_name() or reviewer.email)}<br>"
                f'<span class="quiet nowrap">'
                f"{short_datetime(deal.review_taken_at)}</span>"
            )
            if can_act:
                taken += "<br>" + button.format("take_over", take_over)
            taken += "\n            "
        elif can_act:
            taken = button.format("take", take) + "\n            "
        else:
            taken = dash
        state = escape(clock.state)
        out.append(
            f'\n        <tr class="{"row2" if index % 2 else "row1"}'
            f'{" queue-refused" if error else ""}" data-deal="{pk}">\n'
            f"          {tick}\n"
            f'          <th scope="row">\n'
            f'            <a href="{deals_url}{pk}/change/" id="title-{pk}">'
            f"{escape(deal.title)}</a>\n"
            f"            {refused}\n"
            f"          </th>\n"
            f"          <td>{escape(deal.partner.name)}</td>\n"
            f"          <td>{escape(deal.customer.name)} "
            f'<span class="quiet nowrap">({escape(deal.customer.tax_code)})</span></td>\n'
            f'          <td class="num">{escape(grouped(deal.estimated_value))}</td>\n'
            f'          <td><span class="queue-age" data-age>{clock.age}</span><br>'
            f'<span class="quiet nowrap">{sent} '
            f"{short_date(deal.submitted_at or deal.created_at)}</span></td>\n"
            f'          <td><span class="sla sla-{state}" data-sla="{state}">'
            f"{escape(clock.state_label)}</span><br>"
            f'<span class="quiet nowrap">{due} {short_date(clock.due)}</span>'
            f"</td>\n"
            f"          <td>\n"
            f"            {flags}\n"
            f"          </td>\n"
            f"          <td data-taken-by>\n"
            f"            {taken}\n"
            f"          </td>\n"
            f"        </tr>\n      "
        )
    return mark_safe("".join(out))
