"""Template helpers of the staff pages in admin (review queue, programme view)."""

from urllib.parse import urlencode

from django import template
from django.urls import reverse

register = template.Library()


@register.simple_tag
def admin_list(model: str, params: dict | None = None) -> str:
    """The admin change list of `model` ("deals_deal") filtered by Django admin's own URL
    parameters (`{"stage__exact": "won"}`), so the link lists exactly those rows."""
    url = reverse(f"admin:{model}_changelist")
    return f"{url}?{urlencode(params)}" if params else url


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
