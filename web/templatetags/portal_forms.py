"""Form helpers for templates whose forms come from a library (allauth): Bootstrap classes."""

from django import template

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
