"""A change list's rows, as Django's `{% result_list %}` renders them, for less CPU.

Django's `items_for_result` works out each of a page's 25 × 10 cells on its own: the column's
CSS class, whether it links, the empty value, a `format_html` per cell and per link, and for
every row's link `add_preserved_filters`, which resolves the link's URL against the whole URL
configuration (a quarter of a filtered deal list's CPU). Here what is the same for every row
is worked out once per page (the classes, the link column, the filters kept on the links, a
choice column's labels), each row is one string, and the values come from Django's own
`lookup_field` and `display_for_*` (or what they would return: a text as it is, a choice's
label), so the markup is the same, byte for byte (`tests/test_admin_scale.py`,
`test_change_list_rows_are_djangos_markup`).

A list with editable columns (`list_editable`), a popup or a `to_field` keeps Django's path.
"""

import datetime
import html
from urllib.parse import parse_qsl, urlencode

from django import template
from django.contrib.admin.templatetags.admin_list import (
    ResultList,
    _coerce_field_name,
    result_headers,
    result_hidden_fields,
    results,
)
from django.contrib.admin.templatetags.admin_modify import cell_count
from django.contrib.admin.templatetags.admin_urls import admin_urlname
from django.contrib.admin.templatetags.base import InclusionAdminNode
from django.contrib.admin.utils import display_for_field, display_for_value, lookup_field
from django.core.exceptions import FieldDoesNotExist, ObjectDoesNotExist
from django.db import models
from django.template.defaultfilters import capfirst, striptags
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.urls import NoReverseMatch, reverse
from django.utils.functional import Promise
from django.utils.html import conditional_escape, escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, gettext

from web.formats import choice_labels, grouped

register = template.Library()

# Values display_for_value shows as str(value).
_TEXT = (str, SafeString)


def scale_result_list(cl):
    """The context of Django's `result_list` tag, the rows made by `fast_results`."""
    headers = list(result_headers(cl))
    return {
        "cl": cl,
        "result_hidden_fields": list(result_hidden_fields(cl)),
        "result_headers": headers,
        "num_sorted_fields": sum(1 for h in headers if h["sortable"] and h["sorted"]),
        "results": list(fast_results(cl)),
    }


@register.tag(name="scale_result_list")
def scale_result_list_tag(parser, token):
    return InclusionAdminNode(
        parser,
        token,
        func=scale_result_list,
        template_name="change_list_results.html",
        takes_context=False,
    )


def fast_results(cl):
    """Each row as a ResultList holding the row's cells as one string."""
    if cl.formset or cl.is_popup or cl.to_field or not cl.result_list:
        yield from results(cl)
        return
    columns = _columns(cl)
    link_query = _link_query(cl)
    empty = cl.model_admin.get_empty_value_display()
    for result in cl.result_list:
        cells = [_cell(cl, result, column, link_query, empty) for column in columns]
        yield ResultList(None, [SafeString("".join(cells))])


def _columns(cl) -> list[tuple]:
    """(field name, CSS class, links?, cell tag, how to read the value) of each column:
    what Django's items_for_result works out again for every cell."""
    links = cl.list_display_links
    columns, first = [], True
    for index, name in enumerate(cl.list_display):
        if links is None:
            link = False
        elif first and not links:
            link = True
        else:
            link = name in links
        tag = "th" if link and first else "td"
        if link:
            first = False
        css = f"field-{_coerce_field_name(name, index)}"
        columns.append((name, css, link, tag, _reader(cl, name), _choices(cl, name)))
    return columns


def _choices(cl, name):
    """A field column's choice labels (what display_for_field looks up in the field's
    flatchoices, built again for every cell), or None."""
    if not isinstance(name, str):
        return None
    try:
        field = cl.lookup_opts.get_field(name)
    except FieldDoesNotExist:
        return None
    if field.is_relation or field.auto_created:
        return None
    if isinstance(field, (models.DateField, models.TimeField)):
        return None  # their cells are also marked nowrap: Django's own path
    labels = choice_labels(field)
    return None if labels is None else (field, labels)


def _reader(cl, name):
    """lookup_field for one column, its dispatch done once: a callable or an admin method
    (asking the model's fields for them first raises and catches an exception per cell)."""
    model_admin = cl.model_admin
    if callable(name):
        return lambda obj: (None, name, name(obj))
    if isinstance(name, str) and name != "__str__" and hasattr(model_admin, name):
        try:
            cl.lookup_opts.get_field(name)
        except FieldDoesNotExist:
            method = getattr(model_admin, name)
            return lambda obj: (None, method, method(obj))
    return lambda obj: lookup_field(name, obj, model_admin)


def _link_query(cl) -> str:
    """The filters every row's link keeps (`?_changelist_filters=…`): the same for each row
    of the page. What Django's add_preserved_filters makes of a change page's link, without
    its URL resolve (a walk of the whole admin's URL list, 0.5 ms on every filtered or
    searched list): it resolves the link only to tell whether it is the change list's own,
    and a row's link never is."""
    if not cl.preserved_filters:
        return ""
    return "?" + urlencode(dict(parse_qsl(cl.preserved_filters)))


def _escaped(text) -> str:
    """conditional_escape(text), as text: without its check of every argument for a lazy
    string (a tenth of a cell's time)."""
    if isinstance(text, Promise):
        text = str(text)
    if hasattr(text, "__html__"):
        return text.__html__()
    return html.escape(str(text))


def _cell(cl, result, column, link_query, empty) -> str:
    name, css, link, tag, read, choices = column
    classes = css
    try:
        f, attr, value = read(result)
    except ObjectDoesNotExist:
        shown = empty
    else:
        empty = getattr(attr, "empty_value_display", empty)
        if isinstance(value, str) and value.strip() == "":
            value = ""
        if f is None or f.auto_created:
            if name == "action_checkbox":
                classes = "action-checkbox"
            boolean = getattr(attr, "boolean", False)
            if isinstance(attr, property) and hasattr(attr, "fget"):
                boolean = getattr(attr.fget, "boolean", False)
            if type(value) in _TEXT and value and not boolean:
                shown = value  # display_for_value's str(value)
            else:
                shown = display_for_value(value, empty, boolean)
            if isinstance(value, (datetime.date, datetime.time)):
                classes += " nowrap"
        elif choices is not None and f is choices[0]:
            try:
                shown = choices[1].get(value, empty)
            except TypeError:  # an unhashable value: Django's own lookup
                shown = display_for_field(value, f, empty, avoid_link=link)
        else:
            if isinstance(f.remote_field, models.ManyToOneRel):
                related = getattr(result, f.name)
                shown = empty if related is None else related
            else:
                shown = display_for_field(value, f, empty, avoid_link=link)
            if isinstance(f, (models.DateField, models.TimeField, models.ForeignKey)):
                classes += " nowrap"
    shown = _escaped(shown)
    if link:
        try:
            url = cl.url_for_result(result)
        except NoReverseMatch:
            pass
        else:
            shown = f'<a href="{escape(url + link_query)}">{shown}</a>'
    return f'<{tag} class="{classes}">{shown}</{tag}>'


@register.simple_tag
def scale_fieldset(fieldset, heading_level=2, prefix="fieldset", id_prefix=0, id_suffix=0):
    """Admin's `admin/includes/fieldset.html` for one fieldset, written out: the same
    markup byte for byte (tests/test_admin_scale.py compares it with Django's), without a
    template variable resolved per field (a page of 22 fields spent ~8 ms in that template).
    The fields' own pieces (label, widget, errors, read-only contents) are Django's."""
    name, collapsible = fieldset.name, fieldset.is_collapsible
    heading = f"{prefix}-{id_prefix}-{id_suffix}-heading"
    labelled = f' aria-labelledby="{heading}"' if name else ""
    out = [f'<fieldset class="module aligned {escape(fieldset.classes)}"{labelled}>\n    ']
    if name:
        level = heading_level or 2
        out.append(
            f"\n        {'<details><summary>' if collapsible else ''}\n"
            f'        <h{level} id="{heading}" class="fieldset-heading">{escape(name)}</h{level}>\n'
            f"        {'</summary>' if collapsible else ''}\n    "
        )
    out.append("\n    ")
    if fieldset.description:
        out.append(f'\n        <div class="description">{fieldset.description}</div>\n    ')
    out.append("\n    ")
    labels = _Labels(fieldset.form)
    for line in fieldset:
        out.append(_fieldline(line, labels))
    out.append(f"\n    {'</details>' if name and collapsible else ''}\n</fieldset>\n")
    return mark_safe("".join(out))


MULTILINE = '<div class="flex-container form-multiline">'


# A read-only field's <label>, by (its label, first in its line?, language, label suffix).
_READONLY_LABELS: dict[tuple, tuple[object, str]] = {}


class _Labels:
    """The read-only fields' labels of one form, each worked out once per language.

    Admin's AdminReadonlyField.label_tag translates the label and the form's label suffix
    again for every field and request: two lazy translations, a tenth of the fieldsets' CPU.
    The label is the model field's own `verbose_name` (the same object every request), so its
    markup is kept, made by Django's label_tag the first time."""

    def __init__(self, form):
        self.language = get_language()
        self.suffix = str(form.label_suffix)

    def readonly(self, field) -> str:
        label = field.field["label"]
        # A lazy label is known by its identity (hashing it translates it); the cache holds
        # it, so its id is not reused. A str label is its own key.
        known = id(label) if isinstance(label, Promise) else label
        key = (known, field.is_first, self.language, self.suffix)
        cached = _READONLY_LABELS.get(key)
        if cached is None or cached[0] is not label:
            cached = _READONLY_LABELS[key] = (label, field.label_tag())
        return cached[1]


@register.filter
def readonly_contents(field) -> str:
    """A read-only field's contents (admin's AdminReadonlyField.contents()), a whole-đồng
    amount grouped as on the portal: "20.000.000" where admin showed "20000000" (a credit
    entry's amount, a closed deal's value). The amounts are the decimals without decimals."""
    name = field.field["name"]
    if isinstance(name, str):
        try:
            model_field = field.form._meta.model._meta.get_field(name)
        except FieldDoesNotExist:
            model_field = None
        if isinstance(model_field, models.DecimalField) and model_field.decimal_places == 0:
            value = getattr(field.form.instance, name, None)
            if value is not None:
                return grouped(value)
    return field.contents()


def _fieldline(line, labels: _Labels) -> str:
    fields = list(line)
    single = len(line.fields) == 1
    classes = "".join(
        f" field-{field.field['name'] if field.is_readonly else field.field.name}"
        for field in fields
        if (field.field["name"] if field.is_readonly else field.field.name)
    )
    errors = _line_errors(line) if single else ""
    out = [
        f'\n        <div class="form-row{" errors" if single and errors else ""}'
        f'{"" if line.has_visible_field else " hidden"}{escape(classes)}">\n'
        f"            {errors if single else MULTILINE}"
        f"\n            "
    ]
    for field in fields:
        out.append(_field(field, single, labels))
    out.append(f"\n            {'' if single else '</div>'}\n        </div>\n    ")
    return "".join(out)


def _errors_ul(errors) -> str:
    """errors.as_ul(), and nothing without a template rendered when there is no error."""
    return errors.as_ul() if errors else ""


def _line_errors(line) -> str:
    """Admin's Fieldline.errors(), each field's list made only when it has errors."""
    return mark_safe(
        "\n".join(
            _errors_ul(line.form[name].errors)
            for name in line.fields
            if name not in line.readonly_fields
        ).strip("\n")
    )


def _field(field, single: bool, labels: _Labels) -> str:
    readonly = field.is_readonly
    if readonly:
        name, hidden, help_text = field.field["name"], False, field.field["help_text"]
        id_for_label = ""
    else:
        bound = field.field
        name, hidden, help_text = bound.name, bound.is_hidden, bound.help_text
        id_for_label = bound.id_for_label
    own_errors = _errors_ul(field.field.errors) if not single and not readonly else ""
    box = ""
    if not single:
        box = f" fieldBox{f' field-{escape(name)}' if name else ''}"
        box += " errors" if not readonly and own_errors else ""
        box += " hidden" if hidden else ""
    box += " checkbox-row" if field.is_checkbox else ""
    if field.is_checkbox:
        inner = f"\n                                {field.field}{field.label_tag()}\n                            "
    else:
        value = (
            f'\n                                    <div class="readonly">{readonly_contents(field)}</div>\n                                '
            if readonly
            else f"\n                                    {field.field}\n                                "
        )
        label = labels.readonly(field) if readonly else field.label_tag()
        inner = f"\n                                {label}\n                                {value}\n                            "
    help_html = ""
    if help_text:
        help_id = f' id="{escape(id_for_label)}_helptext"' if id_for_label else ""
        help_html = (
            f'\n                        <div class="help{" hidden" if hidden else ""}"{help_id}>\n'
            f"                            <div>{help_text}</div>\n"
            f"                        </div>\n                    "
        )
    return (
        f"\n                <div>\n                    {own_errors}\n"
        f'                        <div class="flex-container{box}">\n'
        f"                            {inner}\n"
        f"                        </div>\n"
        f"                    {help_html}\n"
        f"                </div>\n            "
    )


@register.simple_tag
def newest_inline(inline_admin_formset):
    """A history inline (web.admin.NewestInline) as `admin/edit_inline/tabular_newest.html`
    wrote it, byte for byte (tests/test_admin_scale.py compares them), without a template
    variable resolved per cell: the header once per inline and language, each row one
    string."""
    formset, inline = inline_admin_formset.formset, inline_admin_formset.opts
    prefix = escape(formset.prefix)
    columns = formset.columns
    out = [
        f'\n<div class="inline-group" id="{prefix}-group">\n'
        f'  <div class="tabular inline-related last-related">\n'
        f"{formset.management_form}\n"
        f'<fieldset class="module {escape(inline_admin_formset.classes)}"'
        f' aria-labelledby="{prefix}-heading">\n'
        f'  <h2 id="{prefix}-heading" class="inline-heading">'
        f"{conditional_escape(capfirst(inline.verbose_name_plural))}</h2>\n"
        f"  <table>\n    <thead><tr>"
    ]
    out += [
        f'<th class="column-{escape(name)}" scope="col">{conditional_escape(capfirst(title))}</th>'
        for name, title in columns
    ]
    out.append("</tr></thead>\n    <tbody>")
    rows = formset.rows
    for row in rows:
        cells = "".join(f"<td>{_escaped(cell)}</td>" for cell in row)
        out.append(f'\n      <tr class="form-row has_original">{cells}</tr>')
    if not rows:
        none = escape(gettext("None"))
        out.append(f'\n      <tr><td colspan="{len(columns)}">{none}</td></tr>')
    out.append("\n    </tbody>\n  </table>\n</fieldset>\n  </div>\n</div>\n")
    if formset.has_more:
        url = reverse(admin_urlname(inline.opts, "changelist"))
        shown = escape(str(inline.shown_text) % {"limit": formset.limit})
        see_all = gettext("See all %(name)s") % {
            "name": conditional_escape(inline.verbose_name_plural)
        }
        out.append(
            f'\n<p class="inline-more">{shown}\n<a href="{escape(url)}?'
            f'{escape(formset.fk.name)}__id__exact={escape(formset.instance.pk)}">{see_all}</a></p>\n'
        )
    out.append("\n")
    return mark_safe("".join(out))


@register.simple_tag(takes_context=True)
def scale_tabular(context, inline_admin_formset):
    """An editable tabular inline as admin's `admin/edit_inline/tabular.html` writes it, byte
    for byte (tests/test_admin_scale.py compares them: rows, the empty form, errors, read
    only), without a template variable resolved per cell. An inline with change links keeps
    Django's template."""
    if inline_admin_formset.opts.show_change_link:
        return render_to_string("admin/edit_inline/tabular.html", context.flatten())
    formset = inline_admin_formset.formset
    prefix = escape(formset.prefix)
    last = context.get("forloop", {}).get("last")
    collapsible = inline_admin_formset.is_collapsible
    opts = inline_admin_formset.opts
    title = opts.verbose_name if formset.max_num == 1 else opts.verbose_name_plural
    out = [
        f'\n<div class="js-inline-admin-formset inline-group" id="{prefix}-group"\n'
        f'     data-inline-type="tabular"\n'
        f'     data-inline-formset="{escape(inline_admin_formset.inline_formset_data())}">\n'
        f'  <div class="tabular inline-related {"last-related" if last else ""}">\n'
        f"{conditional_escape(formset.management_form)}\n"
        f'<fieldset class="module {escape(inline_admin_formset.classes)}"'
        f' aria-labelledby="{prefix}-heading">\n'
        f"  {'<details><summary>' if collapsible else ''}\n"
        f'  <h2 id="{prefix}-heading" class="inline-heading">\n'
        f"  \n    {conditional_escape(capfirst(title))}\n  \n"
        f"  </h2>\n"
        f"  {'</summary>' if collapsible else ''}\n"
        f"   {conditional_escape(formset.non_form_errors())}\n"
        f'   <table>\n     <thead><tr>\n       <th class="original"></th>\n     '
    ]
    for field in inline_admin_formset.fields():
        classes = f"column-{escape(field['name'])}"
        classes += " required" if field["required"] else ""
        widget = field["widget"]  # a read-only column's is a dict
        hidden = widget["is_hidden"] if isinstance(widget, dict) else widget.is_hidden
        classes += " hidden" if hidden else ""
        help_img = ""
        if field["help_text"]:
            shown = escape(striptags(field["help_text"]))
            help_img = (
                f'<img src="{escape(static("admin/img/icon-unknown.svg"))}" class="help '
                f'help-tooltip" width="10" height="10" alt="({shown})" title="{shown}">'
            )
        out.append(
            f'\n       <th class="{classes}">{conditional_escape(capfirst(field["label"]))}\n'
            f"       {help_img}\n       </th>\n     "
        )
    deletes = formset.can_delete and inline_admin_formset.has_delete_permission
    out.append(
        f"\n     <th>{escape(gettext('Delete?')) if deletes else ''}</th>\n"
        f"     </tr></thead>\n\n     <tbody>\n     "
    )
    forms = list(inline_admin_formset)
    adds = inline_admin_formset.has_add_permission
    for index, form in enumerate(forms):
        empty = index == len(forms) - 1 and adds
        out.append(_tabular_row(form, prefix, index, empty, deletes))
    out.append(
        f"\n     </tbody>\n   </table>\n  {'</details>' if collapsible else ''}\n"
        f"</fieldset>\n  </div>\n</div>\n"
    )
    return mark_safe("".join(out))


def _tabular_row(form, prefix: str, index: int, empty: bool, deletes: bool) -> str:
    out = ["\n        "]
    if errors := form.form.non_field_errors():
        out.append(
            f'\n        <tr class="row-form-errors"><td colspan="{cell_count(form)}">'
            f"{conditional_escape(errors)}</td></tr>\n        "
        )
    original, show_url = form.original, form.show_url
    out.append(
        f'\n        <tr class="form-row {"has_original" if original or show_url else ""}'
        f'{" empty-form" if empty else ""}"\n'
        f'             id="{prefix}-{"empty" if empty else index}">\n'
        f'        <td class="original">\n          '
    )
    if original or show_url:
        out.append("<p>\n          ")
        if original:
            out.append(f"\n          {conditional_escape(original)}\n          \n          ")
        out.append("\n          ")
        if show_url:
            url = escape(form.absolute_url)
            out.append(f'<a href="{url}">{escape(gettext("View on site"))}</a>')
        out.append("\n            </p>")
    pk = conditional_escape(form.pk_field().field) if form.needs_explicit_pk_field() else ""
    fk = conditional_escape(form.fk_field().field) if form.fk_field() else ""
    out.append(f"\n          {pk}\n          {fk}\n        </td>\n        ")
    for fieldset in form:
        out.append("\n          ")
        for line in fieldset:
            out.append("\n            ")
            for field in line:
                out.append(_tabular_cell(field))
            out.append("\n          ")
        out.append("\n        ")
    delete = conditional_escape(form.deletion_field().field) if deletes and original else ""
    out.append(f'\n        <td class="delete">{delete}</td>\n        </tr>\n     ')
    return "".join(out)


def _tabular_cell(field) -> str:
    if field.is_readonly:
        name, hidden = field.field["name"], field.field["is_hidden"]
        value = f"\n                  <p>{field.contents()}</p>\n              "
    else:
        bound = field.field
        name, hidden = bound.name, bound.is_hidden
        errors = conditional_escape(_errors_ul(bound.errors))
        value = (
            f"\n                  {errors}\n"
            f"                  {conditional_escape(bound)}\n              "
        )
    classes = f"field-{escape(name)}" if name else ""
    classes += " hidden" if hidden else ""
    return (
        f'\n              <td class="{classes}">\n              {value}\n'
        f"              </td>\n            "
    )
