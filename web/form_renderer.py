"""The form renderer: Django's own (DjangoTemplates), with its `<input>` and `<textarea>`
widgets written out.

Every input widget (text, hidden, number, checkbox, date, ...) renders `input.html`, which
includes `attrs.html`: two templates through the renderer for each box, ~0.25 ms apiece, a
tenth of the staff deal page; a textarea renders `textarea.html` and `attrs.html` (the review
queue's comment box, a tenth of its CPU); each field's label_tag renders `label.html` the
same way. Here
the same markup is built in Python, byte for byte (tests/test_form_renderer.py compares it
with the templates for every input widget and for labels), as
long as the template the renderer would load is Django's own: a project or app template
overriding one of them is rendered as before.
"""

from pathlib import Path

import django.contrib.admin
import django.forms
from django.forms.renderers import DjangoTemplates
from django.template.defaultfilters import stringformat
from django.templatetags.static import static
from django.utils.formats import localize
from django.utils.html import conditional_escape, strip_spaces_between_tags
from django.utils.safestring import SafeData, mark_safe
from django.utils.translation import gettext

_DJANGOS = Path(django.forms.__file__).parent / "templates"
_ADMINS = Path(django.contrib.admin.__file__).parent / "templates"
RELATED = "admin/widgets/related_widget_wrapper.html"
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
TEXTAREA = "django/forms/widgets/textarea.html"
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


def textarea_html(widget: dict) -> str:
    """django/forms/widgets/textarea.html (and attrs.html) for a widget's context."""
    value = widget["value"]
    text = conditional_escape(localize(value)) if value else ""
    return (
        f'<textarea name="{conditional_escape(widget["name"])}"{_attrs(widget["attrs"])}>'
        f"\n{text}</textarea>"
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


def _related_link(kind: str, context: dict, url: str, title: str, icon: str) -> str:
    """One link of the related-widget wrapper, its template's text and whitespace."""
    name = conditional_escape(context["name"])
    model = conditional_escape(context["model"])
    title = gettext(title) % {"model": model}  # blocktranslate: the value escaped, not the text
    src = conditional_escape(static(f"admin/img/{icon}"))
    if kind == "add":
        return (
            f'\n        <a class="related-widget-wrapper-link add-related" id="add_id_{name}"\n'
            f'            data-popup="yes"\n'
            f'            href="{url}"\n'
            f'            title="{title}">\n'
            f'            <img src="{src}" alt="" width="24" height="24">\n        </a>\n        '
        )
    if kind == "view":
        return (
            f'\n          <a class="related-widget-wrapper-link view-related" id="view_id_{name}"\n'
            f'             data-href-template="{url}"\n'
            f'             title="{title}">\n'
            f'            <img src="{src}" alt="" width="24" height="24">\n          </a>\n        '
        )
    return (
        f'\n        <a class="related-widget-wrapper-link {kind}-related" id="{kind}_id_{name}"\n'
        f'            data-href-template="{url}"\n'
        f'            data-popup="yes"\n'
        f'            title="{title}">\n'
        f'            <img src="{src}" alt="" width="24" height="24">\n        </a>\n        '
    )


def related_widget_wrapper_html(context: dict) -> str:
    """admin/widgets/related_widget_wrapper.html (RelatedFieldWidgetWrapper: a foreign key's
    box with its change, add, delete and view links)."""
    links = ""
    if not context["is_hidden"]:
        params = conditional_escape(context["url_params"])

        def url(key, query=params):
            return f"{conditional_escape(context[key])}?{query}"

        parts = []
        if context["can_change_related"]:
            parts.append(
                _related_link(
                    "change",
                    context,
                    url("change_related_template_url"),
                    "Change selected %(model)s",
                    "icon-changelink.svg",
                )
            )
        if context["can_add_related"]:
            parts.append(
                _related_link(
                    "add",
                    context,
                    url("add_related_url"),
                    "Add another %(model)s",
                    "icon-addlink.svg",
                )
            )
        if context["can_delete_related"]:
            parts.append(
                _related_link(
                    "delete",
                    context,
                    url("delete_related_template_url"),
                    "Delete selected %(model)s",
                    "icon-deletelink.svg",
                )
            )
        if context["can_view_related"]:
            view = conditional_escape(context["view_related_url_params"])
            parts.append(
                _related_link(
                    "view",
                    context,
                    url("change_related_template_url", view),
                    "View selected %(model)s",
                    "icon-viewlink.svg",
                )
            )
        links = "".join(parts)
    ref = ""
    if not context["model_has_limit_choices_to"]:
        ref = f'data-model-ref="{conditional_escape(context["model_name"])}"'
    return (
        f'<div class="related-widget-wrapper" {ref}>\n'
        f"    {conditional_escape(context['rendered_widget'])}\n"
        f"    \n        {strip_spaces_between_tags(links.strip())}\n    \n</div>"
    )


class QuickRenderer(DjangoTemplates):
    """Django's DjangoTemplates renderer; the input widgets', textareas' and labels'
    templates written out."""

    def __init__(self):
        super().__init__()
        self._djangos: dict[str, bool] = {}

    def _is_djangos(self, *names: str) -> bool:
        """Whether the renderer would load Django's own templates of these names (the
        template and those it includes), once per name."""
        if names not in self._djangos:
            self._djangos[names] = all(
                str(self.get_template(name).origin.name)
                in (str(_DJANGOS / name), str(_ADMINS / name))
                for name in names
            )
        return self._djangos[names]

    def render(self, template_name, context, request=None):
        if template_name in INPUT_TEMPLATES and self._is_djangos(template_name, _INPUT, _ATTRS):
            return input_html(context["widget"])
        if template_name == TEXTAREA and self._is_djangos(TEXTAREA, _ATTRS):
            return textarea_html(context["widget"])
        if template_name == LABEL and self._is_djangos(LABEL, _LABEL_ATTRS):
            return label_html(context)
        if template_name == RELATED and self._is_djangos(RELATED):
            return related_widget_wrapper_html(context)
        return super().render(template_name, context, request)
