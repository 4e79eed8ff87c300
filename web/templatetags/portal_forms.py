"""Form helpers: Bootstrap classes for forms that come from a library (allauth), and the
one-time submission key of the portal's forms that create something."""

from django import template
from django.utils.html import format_html

from web import submissions

register = template.Library()

CHECK_TYPES = {"checkbox", "radio"}


@register.filter
def bootstrap_widget(field):
    """Render a bound field's widget with Bootstrap's class for its kind, marking errors."""
    input_type = getattr(field.field.widget, "input_type", "")
    if input_type in CHECK_TYPES:
        css = "form-check-input"
    elif input_type == "select":
        css = "form-select"
    else:
        css = "form-control"
    if field.errors:
        css += " is-invalid"
    existing = field.field.widget.attrs.get("class", "")
    return field.as_widget(attrs={"class": f"{existing} {css}".strip()})


@register.filter
def is_checkbox(field) -> bool:
    return getattr(field.field.widget, "input_type", "") in CHECK_TYPES


@register.simple_tag
def submission_key():
    """A hidden field with a new one-time key: sending the form twice creates one thing."""
    return format_html(
        '<input type="text" hidden name="{}" value="{}" data-submission-key>',
        submissions.FIELD,
        submissions.new_key(),
    )
