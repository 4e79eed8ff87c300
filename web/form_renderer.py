"""The form renderer: Django's own (DjangoTemplates), with its `<input>` widgets written out.

Every input widget (text, hidden, number, checkbox, date, ...) renders `input.html`, which
includes `attrs.html`: two templates through the renderer for each box, ~0.25 ms apiece, a
tenth of the staff deal page; each field's label_tag renders `label.html` the same way. Here
the same markup is built in Python, byte for byte (tests/test_form_renderer.py compares it
with the templates for every input widget and for labels), as
long as the template the renderer would load is Django's own: a project or app template
overriding one of them is rendered as before.
"""

from pathlib import Path

import django.forms
from django.forms.renderers import DjangoTemplates
from django.template.defaultfilters import stringformat
from django.utils.formats import localize
from django.utils.html import conditional_escape
from django.utils.safestring import SafeData, mark_safe

_DJANGOS = Path(django.forms.__file__).parent / "templates"
INPUT_TEMPLATES = frozenset(
    f"django/forms/widgets/{name}.html"
    for name in (
        "input",
        "checkbox",
        "color",
        "date",
        "datetime",
        "email",
        "file",
        "hidden",
        "number",
        "password",
        "search",
        "tel",
        "text",
        "time",
        "url",
    )
)
_ATTRS, _INPUT = "django/forms/widgets/attrs.html", "django/forms/widgets/input.html"
LABEL, _LABEL_ATTRS = "django/forms/label.html", "django/forms/attrs.html"


def _text(value) -> str:
    """`{{ value|stringformat:'s' }}` in an autoescaped template."""
    shown = stringformat(value, "s")
    if isinstance(value, SafeData):  # the filter is is_safe: a safe value stays unescaped
        shown = mark_safe(shown)
    return conditional_escape(shown)


def input_html(widget: dict) -> str:
    """django/forms/widgets/input.html (and attrs.html) for a widget's context."""
    value = widget["value"]
    shown = f' value="{_text(value)}"' if value is not None else ""
    attrs = "".join(
        f" {conditional_escape(name)}"
        if value is True
        else f' {conditional_escape(name)}="{_text(value)}"'
        for name, value in widget["attrs"].items()
        if value is not False
    )
    return (
        f'<input type="{conditional_escape(widget["type"])}"'
        f' name="{conditional_escape(widget["name"])}"{shown}{attrs}>'
    )


def _attrs(attrs) -> str:
    """django/forms/widgets/attrs.html (and django/forms/attrs.html, the same loop)."""
    return "".join(
        f" {conditional_escape(name)}"
        if value is True
        else f' {conditional_escape(name)}="{_text(value)}"'
        for name, value in (attrs or {}).items()
        if value is not False
    )


def label_html(context: dict) -> str:
    """django/forms/label.html (a field's label_tag), as the renderer returns it (stripped)."""
    label = conditional_escape(localize(context["label"]))
    if not context["use_tag"]:
        return label.strip()
    tag = conditional_escape(context["tag"])
    return f"<{tag}{_attrs(context['attrs'])}>{label}</{tag}>".strip()


class QuickRenderer(DjangoTemplates):
    """Django's DjangoTemplates renderer; the input widgets' and labels' templates written
    out."""

    def __init__(self):
        super().__init__()
        self._djangos: dict[str, bool] = {}

    def _is_djangos(self, *names: str) -> bool:
        """Whether the renderer would load Django's own templates of these names (the
        template and those it includes), once per name."""
        if names not in self._djangos:
            self._djangos[names] = all(
                str(self.get_template(name).origin.name) == str(_DJANGOS / name) for name in names
            )
        return self._djangos[names]

    def render(self, template_name, context, request=None):
        if template_name in INPUT_TEMPLATES and self._is_djangos(template_name, _INPUT, _ATTRS):
            return input_html(context["widget"])
        if template_name == LABEL and self._is_djangos(LABEL, _LABEL_ATTRS):
            return label_html(context)
        return super().render(template_name, context, request)
