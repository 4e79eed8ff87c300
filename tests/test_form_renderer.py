"""web.form_renderer.QuickRenderer: the input widgets' markup, byte for byte Django's."""

import datetime
from decimal import Decimal

import pytest
from django import forms
from django.contrib.admin import widgets as admin_widgets
from django.forms.renderers import DjangoTemplates
from django.utils.safestring import mark_safe

from web.form_renderer import INPUT_TEMPLATES, QuickRenderer

WIDGETS = [
    forms.TextInput(),
    forms.TextInput(attrs={"class": "a<b", "required": True, "disabled": False, "maxlength": 200}),
    forms.TextInput(attrs={"data-x": mark_safe("<i>"), "aria-label": "Tên & số"}),
    forms.HiddenInput(),
    forms.NumberInput(attrs={"step": "any", "min": 0}),
    forms.CheckboxInput(),
    forms.DateInput(),
    forms.DateTimeInput(),
    forms.TimeInput(),
    forms.EmailInput(),
    forms.PasswordInput(render_value=True),
    forms.URLInput(),
    forms.SearchInput(),
    forms.TelInput(),
    forms.ColorInput(),
    forms.FileInput(),
    admin_widgets.AdminTextInputWidget(),
    admin_widgets.AdminIntegerFieldWidget(),
    admin_widgets.AdminEmailInputWidget(),
    admin_widgets.AdminDateWidget(),
]
VALUES = [None, "", "plain", 'quote " and <tag> & amp', mark_safe("<b>safe</b>"), 42, True,
          False, Decimal("1.50"), datetime.date(2026, 12, 6), ("a", "b")]  # fmt: skip


@pytest.mark.parametrize("widget", WIDGETS, ids=lambda w: type(w).__name__)
def test_inputs_are_djangos_markup(widget):
    djangos, ours = DjangoTemplates(), QuickRenderer()
    # AdminDateWidget's own template includes input.html through the template engine.
    assert widget.template_name in INPUT_TEMPLATES or "admin/" in widget.template_name
    for value in VALUES:
        for attrs in (None, {"id": "id_x", "autofocus": True, "placeholder": "Ví dụ"}):
            expected = widget.render("x", value, attrs, renderer=djangos)
            assert widget.render("x", value, attrs, renderer=ours) == expected, value


TEXTAREAS = [
    forms.Textarea(),
    forms.Textarea(attrs={"rows": 2, "cols": 60, "required": True, "disabled": False}),
    admin_widgets.AdminTextareaWidget(attrs={"data-x": mark_safe("<i>"), "maxlength": 50}),
]


@pytest.mark.parametrize("widget", TEXTAREAS, ids=lambda w: type(w).__name__)
def test_textareas_are_djangos_markup(widget):
    """A comment box, empty or shown again with what was typed (escaped, its line breaks and
    leading spaces kept), as Django's template writes it."""
    djangos, ours = DjangoTemplates(), QuickRenderer()
    values = [*VALUES, "  Thiếu BOM\n<b>v2</b> & giá \n", "0", 0]
    for value in values:
        for attrs in (None, {"id": "id_reason", "aria-describedby": "id_reason_helptext"}):
            expected = widget.render("reason", value, attrs, renderer=djangos)
            assert widget.render("reason", value, attrs, renderer=ours) == expected, value
    shown = widget.render("reason", "a <b>\n", renderer=ours)
    assert shown.startswith('<textarea name="reason"') and ">\na &lt;b&gt;\n</textarea>" in shown


def test_other_templates_and_overridden_inputs_keep_the_templates(settings, tmp_path):
    ours = QuickRenderer()
    select = forms.Select(choices=[("1", "one")])
    assert select.render("s", "1", renderer=ours) == select.render(
        "s", "1", renderer=DjangoTemplates()
    )
    # A project template overriding text.html is rendered, not written out.
    override = tmp_path / "django" / "forms" / "widgets"
    override.mkdir(parents=True)
    (override / "text.html").write_text("<input mine>")
    renderer = QuickRenderer()
    renderer.engine.engine.dirs.insert(0, str(tmp_path))
    assert forms.TextInput().render("t", "v", renderer=renderer) == "<input mine>"
    assert forms.NumberInput().render("n", 1, renderer=renderer).startswith('<input type="number"')


def test_the_project_uses_it(settings):
    from django.forms.renderers import get_default_renderer

    assert settings.FORM_RENDERER == "web.form_renderer.QuickRenderer"
    assert isinstance(get_default_renderer(), QuickRenderer)


class LabelForm(forms.Form):
    required_css_class = "required"
    plain = forms.CharField(label="Tên & <số>")
    safe = forms.CharField(label=mark_safe("<b>bold</b>"), required=False)
    asked = forms.CharField(label="Why?", required=False)
    empty = forms.CharField(label="", required=False)
    spaced = forms.CharField(label="  padded  ", required=False)
    box = forms.MultipleChoiceField(
        choices=[("a", "A")], widget=forms.CheckboxSelectMultiple, required=False
    )
    hidden = forms.CharField(widget=forms.HiddenInput, required=False)


@pytest.mark.parametrize("auto_id", ["id_%s", "", False])
def test_labels_are_djangos_markup(auto_id):
    forms_ = {
        renderer: LabelForm(auto_id=auto_id, renderer=renderer, label_suffix=suffix)
        for renderer, suffix in ((DjangoTemplates(), ":"), (QuickRenderer(), ":"))
    }
    djangos, ours = forms_.values()
    for name in LabelForm.base_fields:
        for kwargs in (
            {},
            {"attrs": {"class": "x", "data-on": True, "off": False}},
            {"contents": "Other <b>", "tag": "legend"},
            {"label_suffix": ""},
        ):
            expected = djangos[name].label_tag(**kwargs)
            assert ours[name].label_tag(**kwargs) == expected, (name, kwargs)
    assert str(ours) == str(djangos)


@pytest.mark.parametrize("language", ["en", "vi"])
@pytest.mark.parametrize("flags", range(64))
def test_related_widget_wrapper_is_djangos_markup(flags, language):
    """admin/widgets/related_widget_wrapper.html: every combination of its links, hidden or
    not, with and without limit_choices_to, values to escape."""
    from django.utils import translation

    from web.form_renderer import RELATED

    bits = [bool(flags & (1 << i)) for i in range(6)]
    context = {
        "rendered_widget": mark_safe('<select name="customer"><option>a</option></select>'),
        "is_hidden": bits[0],
        "name": 'cust"omer',
        "url_params": "_to_field=id&_popup=1",
        "model": "khách <hàng>",
        "model_name": "customer",
        "can_change_related": bits[1],
        "can_add_related": bits[2],
        "can_delete_related": bits[3],
        "can_view_related": bits[4],
        "model_has_limit_choices_to": {"x": 1} if bits[5] else None,
        "add_related_url": "/admin/partners/customer/add/",
        "change_related_template_url": "/admin/partners/customer/__fk__/change/",
        "delete_related_template_url": "/admin/partners/customer/__fk__/delete/",
        "view_related_url_params": "_to_field=id",
    }
    with translation.override(language):
        djangos = DjangoTemplates().render(RELATED, context)
        ours = QuickRenderer().render(RELATED, context)
    assert ours == djangos
