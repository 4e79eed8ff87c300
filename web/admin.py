"""Django admin's change lists at a million rows: what every staff list shares.

Stock admin counts the whole table twice per page, lists every partner in a filter, searches
with `icontains` over joined columns and sorts by anything. Here:

- `CappedPaginator` counts no further than COUNT_CAP + 1 rows (as the portal's lists do);
  the page says "more than 1,000" and staff narrow the list with a filter or a search.
- `ScaleChangeList` breaks ties on the id in the direction of the last sort, so one
  `(field, id)` index serves a column sorted either way.
- `ScaleAdmin` puts them together with no full count and no facet counts; each list names the
  columns it can sort (`sortable_by`: each has an index) and its indexed search (`search`).
- `AutocompleteFilter` is a list filter that is a search box (django-admin-autocomplete-
  filters over Django's own autocomplete widget), keeping Django's URL parameter
  (`?partner__id__exact=`), so bookmarks and links keep working.
"""

import datetime
import re

from admin_auto_filters.filters import AutocompleteFilter as _AutocompleteFilter
from admin_auto_filters.filters import AutocompleteSelect
from django import forms
from django.contrib import admin
from django.contrib.admin import helpers
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.utils import (
    display_for_field,
    display_for_value,
    label_for_field,
    lookup_field,
    quote,
)
from django.contrib.admin.views.main import (
    IS_FACETS_VAR,
    IS_POPUP_VAR,
    ORDER_VAR,
    PAGE_VAR,
    SEARCH_VAR,
    TO_FIELD_VAR,
    ChangeList,
)
from django.contrib.auth import get_permission_codename
from django.core.exceptions import FieldDoesNotExist, ObjectDoesNotExist, ValidationError
from django.core.paginator import Paginator
from django.db import models
from django.db.models import QuerySet
from django.forms.formsets import (
    DELETION_FIELD_NAME,
    INITIAL_FORM_COUNT,
    MAX_NUM_FORM_COUNT,
    MIN_NUM_FORM_COUNT,
    TOTAL_FORM_COUNT,
    ManagementForm,
)
from django.forms.models import BaseInlineFormSet
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import get_format
from django.utils.functional import cached_property
from django.utils.html import conditional_escape, escape
from django.utils.safestring import SafeString
from django.utils.translation import get_language, gettext
from django.utils.translation import gettext_lazy as _lazy

from web.formats import choice_labels, format_moment, format_with, grouped
from web.paging import COUNT_CAP, capped_count, clean_search, whole_number


class CappedPaginator(Paginator):
    """A paginator whose count stops at COUNT_CAP: `count_capped` says there are more.
    `known_capped`: the search already found more than COUNT_CAP, so nothing is counted;
    `known_count`: the search found every match and counted them, so nothing is counted
    again."""

    def __init__(self, *args, known_capped: bool = False, known_count=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.count_capped = self.known_capped = known_capped
        if known_count is not None and not known_capped:
            self.__dict__["count"] = known_count

    @cached_property
    def count(self) -> int:
        if self.count_capped:
            return COUNT_CAP
        count, self.count_capped = capped_count(self.object_list)
        return count

    def page(self, number):
        """Django's page; past the first, its rows' ids are read first (in the list's order,
        the skipped rows passed over in an index) and then the rows by id. Asked for the
        rows at an offset, PostgreSQL works out each row's joins and subqueries (the deal
        list's conflict flag) for every row it skips too: page 20 read 500 rows in full for
        25 (12 ms at a million deals, 7.5 ms by ids)."""
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        rows = self.object_list
        if bottom and isinstance(rows, QuerySet) and not rows.query.distinct:
            ids = list(rows.values_list("pk", flat=True)[bottom:top])
            return self._get_page(rows.filter(pk__any_of=ids), number, self)
        return self._get_page(rows[bottom:top], number, self)


_PK_MARK = "0PK0"


# A change list's own parameters, which are not filters.
_LIST_PARAMETERS = {
    SEARCH_VAR,
    ORDER_VAR,
    PAGE_VAR,
    TO_FIELD_VAR,
    IS_POPUP_VAR,
    IS_FACETS_VAR,
    "_changelist_filters",
}
# How a lookup reads after the field's name ("created at from 30/11/2026 00:00").
_LOOKUP_WORDS = {
    "gte": _lazy("from"),
    "gt": _lazy("after"),
    "lte": _lazy("until"),
    "lt": _lazy("before"),
    "exact": _lazy("is"),
}
_IN_WORD = _lazy("is one of")


class ScaleChangeList(ChangeList):
    @cached_property
    def other_filters(self) -> list[tuple[str, str]]:
        """The filters in the address that no box of the filter panel shows, as words: a
        link from the programme view filters to a week (`?created_at__gte=…&created_at__lt=…`)
        while the panel says "All"."""
        shown = {name for spec in self.filter_specs for name in spec.expected_parameters()}
        words = []
        for name, value in self.params.items():
            if name in shown or name in _LIST_PARAMETERS:
                continue
            field_name, _sep, lookup = name.partition("__")
            try:
                field = self.lookup_opts.get_field(field_name)
            except FieldDoesNotExist:
                label, field = name, None
            else:
                label = str(field.verbose_name)
            if field is not None and lookup in _LOOKUP_WORDS:
                label = f"{label} {_LOOKUP_WORDS[lookup]}"
            elif lookup == "in" and field is not None:
                # A programme figure's rows in several states: "approved, sent back".
                values = [_filter_value(field, item) for item in value.split(",")]
                words.append((f"{label} {_IN_WORD}", ", ".join(values)))
                continue
            elif lookup and field is not None:
                label = f"{label} ({lookup})"
            words.append((label, _filter_value(field, value)))
        return words

    def get_results(self, request):
        """Django's, the page's rows read with only the columns the list shows
        (`ScaleAdmin.list_columns`): compiling and decoding every column of the row and of
        the rows joined to it (a deal's forty, an event's JSON) was a tenth of a list's time.
        Actions and "select all" still get every column (`self.queryset` is put back).
        The page's rows then get what only they show (ScaleAdmin.annotate_page)."""
        columns = self.model_admin.list_columns
        everything = self.queryset
        if columns:
            self.queryset = everything.only(*columns)
        try:
            super().get_results(request)
        finally:
            self.queryset = everything
        if isinstance(self.result_list, QuerySet):
            self.result_list = self.model_admin.annotate_page(self.result_list)
        if (
            self.paginator.known_capped
            and self.multi_page
            and isinstance(self.result_list, QuerySet)
        ):
            self._count_a_short_page()

    def _count_a_short_page(self):
        """A search taken for a common word is not counted (the paginator's `known_capped`):
        its matches are the customers', and the list's own rows may be few (a name in a
        thousand customers, three of whom have a discount). A page with room left is the
        last: the total is then the rows before it and on it, not "more than 1,000" and 40
        pages, most of them empty."""
        per_page = self.list_per_page
        on_page = len(self.result_list)  # read now, once: the template reads the same rows
        if on_page >= per_page:
            return
        total = (self.page_num - 1) * per_page + on_page
        if not on_page and self.page_num > 1:
            return  # past the end of a hand-made ?p=: nothing to count from
        self.paginator.count_capped = False
        self.paginator.__dict__["count"] = self.result_count = total
        self.paginator.__dict__.pop("num_pages", None)  # worked out from the guess
        self.multi_page = total > per_page

    def url_for_result(self, result):
        """Each row's link: the change URL reversed once per page, the row's id put in it
        (Django reverses it for every row)."""
        if not hasattr(self, "_change_url"):
            self._change_url = reverse(
                f"admin:{self.opts.app_label}_{self.opts.model_name}_change",
                args=(_PK_MARK,),
                current_app=self.model_admin.admin_site.name,
            )
        return self._change_url.replace(_PK_MARK, quote(str(getattr(result, self.pk_attname))))

    def get_ordering_field(self, field_name):
        # Only the columns the list names in `sortable_by` (each has an index): a hand-made
        # ?o= for another column keeps the default order instead of sorting a whole table.
        if self.sortable_by is not None and field_name not in self.sortable_by:
            return None
        return super().get_ordering_field(field_name)

    def get_ordering_field_columns(self):
        # A hand-made ?o= may name a column the list does not have (?o=99): no sort, as
        # Django's own get_ordering() skips it.
        columns = len(self.list_display)
        return {
            index: direction
            for index, direction in super().get_ordering_field_columns().items()
            if 0 <= index < columns
            and (self.sortable_by is None or self.list_display[index] in self.sortable_by)
        }

    def _get_deterministic_ordering(self, ordering):
        # Django always adds "-pk"; after an ascending sort that needs an index
        # (field ASC, id DESC). "pk" in the sort's own direction is served by (field, id).
        ordering = super()._get_deterministic_ordering(ordering)
        if (
            len(ordering) > 1
            and ordering[-1] == "-pk"
            and isinstance(ordering[-2], str)
            and not ordering[-2].startswith("-")
        ):
            ordering[-1] = "pk"
        return ordering


class NoEmptyHistory:
    """A save that changed nothing writes no history entry. Django's admin logs one reading
    "No fields changed." each time Save is pressed on an unchanged form, and a row's history
    then buries the real changes among entries that say nothing."""

    def log_change(self, request, obj, message):
        if not message:
            return None
        return super().log_change(request, obj, message)


class ModelAdmin(NoEmptyHistory, admin.ModelAdmin):
    """The project's base for a model's admin (admin's own, with NoEmptyHistory)."""


class AutocompleteLookupsAllowed:
    """Admin refuses a lookup two relations deep (`discount__partner__id__exact`) unless a
    list filter names exactly that path: an autocomplete filter's own parameter is allowed."""

    def lookup_allowed(self, lookup, value, request=None):
        names = {getattr(item, "parameter_name", None) for item in self.get_list_filter(request)}
        return lookup in names or super().lookup_allowed(lookup, value, request)


class QuickSelectMixin:
    """A select box as Django's select templates write it, without rendering them (three
    templates through the form renderer per box). The same markup, byte for byte
    (tests/test_admin_scale.py); a widget with templates of its own keeps them."""

    def render(self, name, value, attrs=None, renderer=None):
        if (self.template_name, self.option_template_name) != (
            "django/forms/widgets/select.html",
            "django/forms/widgets/select_option.html",
        ):
            return super().render(name, value, attrs, renderer)
        widget = self.get_context(name, value, attrs)["widget"]
        options = []
        for group_name, group, _index in widget["optgroups"]:
            if group_name:
                options.append(f'\n  <optgroup label="{conditional_escape(group_name)}">')
            for option in group:
                options.append(
                    f'\n  <option value="{conditional_escape(str(option["value"]))}"'
                    f"{_html_attrs(option['attrs'])}>{conditional_escape(option['label'])}"
                    "</option>\n"
                )
            if group_name:
                options.append("\n  </optgroup>")
        return SafeString(
            f'<select name="{conditional_escape(widget["name"])}"{_html_attrs(widget["attrs"])}>'
            f"{''.join(options)}\n</select>"
        )


class QuickSelect(QuickSelectMixin, forms.Select):
    pass


def _html_attrs(attrs: dict) -> str:
    """django/forms/widgets/attrs.html in Python."""
    return "".join(
        f" {conditional_escape(name)}"
        if value is True
        else f' {conditional_escape(name)}="{conditional_escape(str(value))}"'
        for name, value in attrs.items()
        if value is not False
    )


EARLIEST_YEAR = 1900


class BoundedSplitDateTimeField(forms.SplitDateTimeField):
    """Admin's date-and-time field, refusing a year before 1900. 0001-01-01 00:00 in Hanoi
    (+07:06:40 that year) is a moment before the year 1 in UTC: PostgreSQL stored it as a BC
    timestamp that Python cannot read back, and every page showing the row failed."""

    def clean(self, value):
        moment = super().clean(value)
        if moment is not None and moment.year < EARLIEST_YEAR:
            raise ValidationError(
                gettext("Give a date in %(year)s or later.") % {"year": EARLIEST_YEAR},
                code="too_early",
            )
        return moment


class _AsciiDigits:
    """A number typed as plain ASCII digits: Django's number fields also read other scripts'
    digits ("١٢٣" is 123), "1_000" and "1e5", which no page of the portal accepts."""

    typed = re.compile(r"[+-]?[0-9]+")

    def to_python(self, value):
        if isinstance(value, str) and value.strip() and not self.typed.fullmatch(value.strip()):
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return super().to_python(value)


class AsciiIntegerField(_AsciiDigits, forms.IntegerField):
    pass


class AsciiDecimalField(_AsciiDigits, forms.DecimalField):
    typed = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")


class ConstraintsCheckedForm(forms.ModelForm):
    """A model form that checks the model's constraints on fields the form does not show.

    Django leaves out of the check every constraint naming a field that is not on the form:
    a unique tax code "among real partners" (its condition names the hidden `sandbox_of`)
    was then first met by the database, and a duplicate was a 500 instead of an error on
    the field. The hidden fields' values are the instance's own."""

    def _get_validation_exclusions(self):
        exclude = super()._get_validation_exclusions()
        named = set()
        for constraint in self.instance._meta.constraints:
            named |= set(getattr(constraint, "fields", ()))
            condition = getattr(constraint, "condition", None)
            if condition is not None:
                named |= {lookup.split("__")[0] for lookup, _ in _leaves(condition)}
        shown = set(self.fields)
        hidden = {
            field.name
            for field in self.instance._meta.fields
            if field.name in named and not field.editable and field.name not in shown
        }
        return exclude - hidden


def _leaves(q):
    for child in q.children:
        if isinstance(child, tuple):
            yield child
        else:
            yield from _leaves(child)


class QuickActionForm(helpers.ActionForm):
    """Admin's action box, its select written out (QuickSelect; admin sets its choices)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["action"].widget = QuickSelect()


def _filter_value(field, value: str) -> str:
    """A filter's value as the list shows values: a choice by its label, a row by its name, a
    moment or a day in the reader's format."""
    if field is not None and field.choices and not field.is_relation:
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(field, models.ForeignKey):
        try:
            row = field.related_model._default_manager.filter(pk=value).first()
        except (ValueError, ValidationError):
            row = None
        return value if row is None else str(row)
    if isinstance(field, models.DateTimeField):
        try:
            moment = datetime.datetime.fromisoformat(value)
        except ValueError:
            return value
        if timezone.is_aware(moment):
            moment = timezone.localtime(moment)
        return format_moment(moment, "SHORT_DATETIME_FORMAT")
    if isinstance(field, models.DateField):
        try:
            return format_moment(datetime.date.fromisoformat(value[:10]), "SHORT_DATE_FORMAT")
        except ValueError:
            return value
    return value


class SelectListFilter(admin.SimpleListFilter):
    """A filter of many values as one drop-down and a button (a GET form: no script), not a
    list of links. The list's other filters, its search and its sort stay in the form, and
    the page goes back to the first."""

    template = "admin/filter_select.html"

    def choices(self, changelist):
        self.kept = [
            (name, value)
            for name, value in changelist.params.items()
            if name != self.parameter_name
        ]
        yield {"value": "", "selected": not self.value(), "display": gettext("All")}
        for value, label in self.lookup_choices:
            yield {"value": value, "selected": self.value() == str(value), "display": label}


class ScaleAdmin(AutocompleteLookupsAllowed, ModelAdmin):
    """A change list for a big table: capped count, no facets, 50 rows a page.

    Subclasses name `sortable_by` (the columns with an index) and, if they search, override
    `get_search_results` with the app's indexed search.
    """

    paginator = CappedPaginator
    action_form = QuickActionForm
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
    list_per_page = 25  # as the portal's lists
    list_max_show_all = 0  # "Show all" of a million rows is never offered
    # The portal's page of a row (a deal, a customer, a statement) is the partner's: staff
    # opening it were sent back to the review queue. No "View on site".
    view_on_site = False
    # The fields the list's rows show, its own and its joined rows' ("partner__name"), with
    # what their names (__str__) read: the page's rows are read with only those. A field
    # left out is read again row by row (the query count tests catch it). None: every field.
    list_columns: tuple | None = None
    common_search_ordering: tuple = ()

    def get_changelist(self, request, **kwargs):
        return ScaleChangeList

    def annotate_page(self, rows: QuerySet) -> QuerySet:
        """The page's rows with what only the rows show (a flag worked out by a subquery):
        annotated on the rows of the page alone, not on the list's queryset, so the count,
        the filters and the search never carry it (an annotation that reaches a joined
        row's column keeps that join in the count, for every row counted)."""
        return rows

    def get_sortable_by(self, request):
        # `sortable_by` names the fields; a column made by short_date() or money() is named
        # after its field.
        names = set(super().get_sortable_by(request))
        columns = self.get_list_display(request)
        return [column for column in columns if getattr(column, "__name__", column) in names]

    def search(self, queryset: QuerySet, q: str) -> tuple:
        """The rows matching the cleaned search `q`, and whether more than COUNT_CAP match
        (found by a probe: web.paging.capped_ids); a third value, when the search found
        every match of `queryset` itself, is how many (the list then counts nothing).
        Lists that search override it."""
        raise NotImplementedError

    def get_search_results(self, request, queryset, search_term):
        # A list without a search box ignores a hand-made ?q=, as Django's admin does.
        if not self.get_search_fields(request) or not (q := clean_search(search_term)):
            return queryset, False
        rows, request.search_matches_many, *counted = self.search(queryset, q)
        request.search_count = counted[0] if counted else None
        if (
            request.search_matches_many
            and self.common_search_ordering
            and ORDER_VAR not in request.GET
        ):
            # A common word in a list sorted by name: the matches may all sit far down the
            # alphabet, so they come newest first (the primary key's index) unless the staff
            # member sorts.
            rows = rows.order_by(*self.common_search_ordering)
        return rows, False

    def get_paginator(self, request, queryset, per_page, orphans=0, allow_empty_first_page=True):
        many = getattr(request, "search_matches_many", False)
        return self.paginator(
            queryset,
            per_page,
            orphans,
            allow_empty_first_page,
            known_capped=many,
            known_count=getattr(request, "search_count", None),
        )

    def action_checkbox(self, obj):
        # Django's own markup, written out: its form widget renders a template per row,
        # a third of the list's rendering time.
        # (Django's format_html twice, as one format: the same markup.)
        label = gettext("Select this object for an action - {}").format(escape(str(obj)))
        return SafeString(
            f'<input type="checkbox" name="{helpers.ACTION_CHECKBOX_NAME}" '
            f'value="{escape(obj.pk)}" class="action-select" aria-label="{label}">'
        )


class ReadOnlyAdmin(ScaleAdmin):
    """Rows only services write (ledgers, statements, consumption): staff read them, and act
    through the admin's actions and pages, which call the services.

    Who may act is Django's own permissions for the model, as on every other admin page:
    "add" for a page that records a new row through a service (`may_record`), "change" for
    the actions and pages that move a row on (`has_act_permission`, an action's
    `permissions=["act"]`). The change page itself stays read-only for everyone."""

    def has_add_permission(self, request):
        return False

    def _has_perm(self, request, action: str) -> bool:
        opts = self.opts
        return request.user.has_perm(f"{opts.app_label}.{get_permission_codename(action, opts)}")

    def may_record(self, request) -> bool:
        """For a ReadOnlyAdmin whose "Add" records a row through a service."""
        return self._has_perm(request, "add")

    def has_act_permission(self, request) -> bool:
        return self._has_perm(request, "change")

    def has_change_permission(self, request, obj=None):
        # The change page shows the row read-only; the actions ask `has_act_permission`.
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def admin_page(model_admin, request, template: str, title, **ctx) -> TemplateResponse:
    """A page of the admin's own (a form for an action, a report) in the admin's frame."""
    ctx = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.opts,
        "title": title,
        "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        **ctx,
    }
    return TemplateResponse(request, template, ctx)


def refusal_text(error) -> str:
    """A service's refusal as one line for messages.error."""
    return " ".join(error.messages) if isinstance(error, ValidationError) else str(error)


class FastAutocompleteSelect(QuickSelectMixin, AutocompleteSelect):
    """An autocomplete filter's search box (rendered twice per deal list).

    `known` (set per form by KnownChoicesMixin) holds the rows the form's object already
    has loaded (the deal's customer, a rule's product): the box's selected option comes from
    them instead of a query, as long as the field's choices are unfiltered."""

    known: dict | None = None
    # The known rows were cleaned by the field against these very choices (KnownModelChoiceField),
    # so they are choices even where the queryset is filtered.
    known_valid: bool = False

    def optgroups(self, name, value, attr=None):
        # A form shown again with a hand-made value no row's key can be ("abc"): nothing
        # selected (the field's own error says why), rather than a failed lookup.
        value = [v for v in value if is_key(v, self.choices.queryset.model)]
        selected = {str(v) for v in value if str(v) not in self.choices.field.empty_values}
        if not selected or (
            self.known
            and len(selected) == 1
            and selected <= self.known.keys()
            and (self.known_valid or not self.choices.queryset.query.has_filters())
        ):
            # What Django's AutocompleteMixin.optgroups builds, without the query: no
            # selected value (the empty form) or the selected row already loaded.
            default = (None, [], 0)
            if not self.is_required and not self.allow_multiple_selected:
                default[1].append(self.create_option(name, "", "", False, 0))
            for key in selected:
                obj, label = self.known[key], self.choices.field.label_from_instance
                default[1].append(
                    self.create_option(name, obj.pk, label(obj), selected, len(default[1]))
                )
            return [default]
        return super().optgroups(name, value, attr)


class KnownModelChoiceField(forms.ModelChoiceField):
    """A choice of a row in a FastAutocompleteSelect box: the row the field cleaned is the
    one the box then draws as selected, not read a second time (a filter form shown again
    with its choice: Django reads the row to clean it, then again to draw it)."""

    def clean(self, value):
        row = super().clean(value)
        if (
            row is not None
            and self.to_field_name is None
            and isinstance(self.widget, FastAutocompleteSelect)
        ):
            self.widget.known, self.widget.known_valid = {str(row.pk): row}, True
        return row


class KnownChoicesMixin:
    """A model form whose FastAutocompleteSelect boxes name the related rows its instance
    already has loaded (select_related), so drawing the box reads no row again."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            widget = getattr(field.widget, "widget", field.widget)
            if not isinstance(widget, FastAutocompleteSelect):
                continue
            try:
                descriptor = self.instance._meta.get_field(name)
            except Exception:  # noqa: BLE001 - a form field that is no model field
                continue
            if descriptor.is_relation and descriptor.is_cached(self.instance):
                related = descriptor.get_cached_value(self.instance)
                if related is not None and descriptor.target_field.primary_key:
                    widget.known = {str(related.pk): related}


class QuickAutocompleteMixin:
    """A ModelAdmin or inline whose `autocomplete_fields` render as FastAutocompleteSelect:
    admin's AutocompleteSelect, the same markup, without its select templates (the deal
    page draws its customer box and a product box per discount rule and the empty one)."""

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = FastAutocompleteSelect(
                db_field, self.admin_site, using=kwargs.get("using")
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


_media_added: set = set()


class AutocompleteFilter(_AutocompleteFilter):
    """A filter by a related row chosen in a search box (`?<field>__id__exact=<id>`)."""

    field_pk = "id"
    widget_cls = FastAutocompleteSelect

    def _add_media(self, model_admin, widget):
        # The library merges the widget's media into the admin class's on every request;
        # the result is the same each time, so once per admin class and filter.
        key = (type(model_admin), type(self))
        if key not in _media_added:
            super()._add_media(model_admin, widget)
            _media_added.add(key)


def is_key(value, model) -> bool:
    """Whether `value` (from a request) can be a primary key of `model`'s rows: for a number
    key, ASCII digits in the column's range (web.paging.whole_number)."""
    key = model._meta.pk
    if key.get_internal_type() in ("AutoField", "BigAutoField", "IntegerField", "BigIntegerField"):
        return whole_number(str(value)) is not None
    try:
        key.to_python(value)
    except ValidationError:
        return False
    return True


def _check_ids(raw, field) -> None:
    """The ids a filter box got (`?partner__id__exact=`), each one its row's key can be: any
    other (`?partner__id__exact=abc`) is the list's "?e=1" page, Django's answer to a bad
    lookup, instead of an error while the box reads the row it names."""
    key = field.target_field
    for value in raw if isinstance(raw, list) else [raw]:
        if value in (None, ""):
            continue
        try:
            key.run_validators(key.to_python(value))  # a number, in the column's range
        except ValidationError as error:
            raise IncorrectLookupParameters(error) from None


def autocomplete_filter(field: str, title, parameter: str = "") -> type[AutocompleteFilter]:
    """An AutocompleteFilter class for the foreign key `field` ("partner", or a path such as
    "discount__partner"), with Django's own parameter name unless `parameter` is given."""
    *path, name = field.split("__")

    class Filter(AutocompleteFilter):
        def __init__(self, request, params, model, model_admin):
            related = model
            for step in path:
                related = related._meta.get_field(step).related_model
            self.rel_model = related if path else None
            _check_ids(params.get(self.parameter_name), related._meta.get_field(name))
            super().__init__(request, params, model, model_admin)

    Filter.title = title
    Filter.field_name = name
    Filter.parameter_name = parameter or f"{field}__id__exact"
    Filter.__name__ = f"{name.title()}AutocompleteFilter"
    return Filter


def short_date(field: str, description) -> object:
    """A date or time column as the portal's lists show it (d/m/Y, H:i d/m/Y), sortable by
    `field` when the list allows it."""

    @admin.display(description=description, ordering=field)
    def column(obj):
        value = getattr(obj, field)
        if value is None:
            return "—"
        if hasattr(value, "hour"):
            return format_moment(timezone.localtime(value), "SHORT_DATETIME_FORMAT")
        return format_moment(value, "SHORT_DATE_FORMAT")

    column.__name__ = field
    return column


def money(field: str, description) -> object:
    """An amount in VND grouped as on the portal (250.000.000), sortable by `field`."""

    @admin.display(description=description, ordering=field)
    def column(obj):
        value = getattr(obj, field)
        return "—" if value is None else grouped(value)

    column.__name__ = field
    return column


class _QuickManagementForm(ManagementForm):
    """An inline's four hidden counts written out (Django renders each through the form
    template engine: 16 of the deal page's 30 widgets). The same markup; a bound form (a
    refused save shown again) keeps Django's rendering."""

    def render(self, template_name=None, context=None, renderer=None):
        if self.is_bound or template_name or context or renderer or self.auto_id != "id_%s":
            return super().render(template_name, context, renderer)
        inputs = []
        for name in self.fields:
            key = self.add_prefix(name)
            value = self.initial.get(name)
            shown = "" if value in ("", None) else f' value="{escape(value)}"'
            inputs.append(
                f'<input type="hidden" name="{escape(key)}"{shown} id="id_{escape(key)}">'
            )
        return SafeString("".join(inputs))

    # Django binds these to its own render.
    __str__ = render
    __html__ = render


class QuickManagementFormMixin:
    """A formset whose management form is _QuickManagementForm while unbound."""

    @cached_property
    def management_form(self):
        if self.is_bound:
            return super().management_form
        return _QuickManagementForm(
            auto_id=self.auto_id,
            prefix=self.prefix,
            initial={
                TOTAL_FORM_COUNT: self.total_form_count(),
                INITIAL_FORM_COUNT: self.initial_form_count(),
                MIN_NUM_FORM_COUNT: self.min_num,
                MAX_NUM_FORM_COUNT: self.max_num,
            },
            renderer=self.renderer,
        )


class LabelledInlineFormSet(QuickManagementFormMixin, BaseInlineFormSet):
    """An editable tabular inline: its fields have no <label> (the column's title stands
    above them), so each is named for screen readers after its column."""

    @cached_property
    def empty_form(self):
        """Built once: admin asks for it four times a page (the page's media, the
        prepopulated fields' script, the inline's fields and the row "Add another" copies),
        and Django's formset builds a new model form each time."""
        return super().empty_form

    def add_fields(self, form, index):
        super().add_fields(form, index)
        for name, field in form.fields.items():
            if not field.widget.is_hidden:
                label = gettext("Delete") if name == DELETION_FIELD_NAME else field.label
                field.widget.attrs["aria-label"] = str(label)


class NewestFormSet(QuickManagementFormMixin, BaseInlineFormSet):
    """The inline's newest `limit` rows (in the inline's ordering), and whether there are
    more: a deal with 2,000 history entries renders 20.

    The rows are read-only: they are shown as a plain table (`columns`, `rows`, formatted as
    admin's read-only fields are) and the formset has no forms, so the page renders no form
    widget for them (a hidden id and parent per row made two thirds of the deal page's
    rendering time) and a save posts none (its management form says 0)."""

    limit = 20
    inline = None  # the NewestInline, set by its get_formset

    def get_queryset(self):
        if not hasattr(self, "_newest"):
            rows = super().get_queryset()
            if self.inline.row_fields:
                rows = rows.only(*self.inline.row_fields)
            rows = list(rows[: self.limit + 1])
            self.has_more = len(rows) > self.limit
            self._newest = rows[: self.limit]
            for row in self._newest:  # each row's parent is the page's object: no query each
                setattr(row, self.fk.name, self.instance)
        return self._newest

    def initial_form_count(self):
        return 0

    def total_form_count(self):
        return 0

    @cached_property
    def empty_form(self):
        # Admin asks for it three times (the page's media, multipart, the inline's media).
        return super().empty_form

    @property
    def media(self):
        """The empty form's media, worked out once per form class and language (the class
        is built once: NewestInline.get_formset)."""
        key = get_language()
        if key not in self._media:
            self._media[key] = self.empty_form.media
        return self._media[key]

    def is_multipart(self):
        if "multipart" not in self._media:
            self._media["multipart"] = self.empty_form.is_multipart()
        return self._media["multipart"]

    @cached_property
    def columns(self) -> list[tuple[str, str]]:
        """(field name, column title) of each column."""
        return [
            (name, label_for_field(name, self.model, self.inline)) for name in self.inline.fields
        ]

    @cached_property
    def rows(self) -> list[list[str]]:
        """Each row's cells, as admin's read-only fields show them."""
        empty = self.inline.get_empty_value_display()
        readers = [_reader(self.model, name, self.inline, empty) for name, _title in self.columns]
        return [[read(row) for read in readers] for row in self.get_queryset()]


def _reader(model, name, model_admin, empty):
    """How a column's cells are read: `_cell`, or for a field with choices or a date and
    time what display_for_field does, its choices and format looked up once per table."""
    try:
        field = model._meta.get_field(name) if isinstance(name, str) else None
    except FieldDoesNotExist:
        field = None
    if field is not None and field.concrete and field.many_to_one and field.name == name:
        # A foreign key: its row's name (display_for_field's str of the row), the row read
        # by the inline's select_related.
        def related(obj):
            value = getattr(obj, name)
            return empty if value is None else str(value)

        return related
    if field is None or not field.concrete or field.is_relation or field.attname != name:
        return lambda obj: _cell(obj, name, model_admin, empty)
    if field.flatchoices:
        labels = choice_labels(field)
        if labels is None:  # list-like choices: Django's own path
            return lambda obj: _cell(obj, name, model_admin, empty)

        def choice(obj):
            try:
                return labels.get(getattr(obj, name), empty)
            except TypeError:
                return _cell(obj, name, model_admin, empty)

        return choice
    if isinstance(field, models.DateTimeField):
        form = get_format("DATETIME_FORMAT")

        def moment(obj):
            value = getattr(obj, name)
            if value in field.empty_values:
                return empty
            return format_with(timezone.template_localtime(value), form)

        return moment
    return lambda obj: _cell(obj, name, model_admin, empty)


def _cell(obj, name: str, model_admin, empty: str) -> str:
    """One read-only value as AdminReadonlyField.contents() shows it (without its checks
    and per-field machinery)."""
    try:
        field, attr, value = lookup_field(name, obj, model_admin)
    except (AttributeError, ValueError, ObjectDoesNotExist):
        return empty
    if field is None:
        boolean = getattr(attr, "boolean", False)
        return display_for_value(value, empty, boolean)
    if field.many_to_many or field.one_to_many:
        return empty
    return display_for_field(value, field, empty)


_newest_formsets: dict = {}


class InlineListAdmin(ScaleAdmin):
    """All the rows a NewestInline shows 20 of: one parent's (its page links here with
    `?<parent_field>__id__exact=`), in `parent_ordering`; without a parent, the newest rows
    (the highest ids, the primary key's index). Read-only, and not in the menu."""

    parent_field = ""
    parent_ordering: tuple = ("-pk",)
    sortable_by = ()

    def get_ordering(self, request):
        one_parent = f"{self.parent_field}__id__exact" in request.GET
        return self.parent_ordering if one_parent else ("-pk",)

    def has_view_permission(self, request, obj=None):
        """Whoever may view the parent (a statement, a deal) may view all its rows, as its
        page showed them before it showed 20."""
        parent = self.model._meta.get_field(self.parent_field).related_model
        return self.admin_site.get_model_admin(parent).has_view_permission(request)

    def has_module_permission(self, request):
        return False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class NewestInline(admin.TabularInline):
    """A read-only history inline: its newest rows, then a link to the admin list of all of
    them (the inline's model registered with a ScaleAdmin, filtered by the parent). Name
    the columns in `fields`."""

    formset = NewestFormSet
    template = "admin/edit_inline/tabular_newest.html"
    extra = 0
    can_delete = False
    # Said under the table when there are more rows than it shows (%(limit)s: how many).
    shown_text = _lazy("The newest %(limit)s are shown.")
    # The columns the table's cells read, its own and its joined rows' ("by__email", with what
    # their names read): the rows are read with only those (None: every column).
    row_fields: tuple | None = None

    def get_formset(self, request, obj=None, **kwargs):
        """The formset class, built once per inline class: it depends on nothing of the
        request (no add, change or delete, the same fields), and building it (a model form
        class per request) was a tenth of the deal page's CPU."""
        try:
            key = (type(self), frozenset(kwargs.items()))
            base = _newest_formsets.get(key)
        except TypeError:  # an unhashable argument: built for this request only
            key, base = None, None
        if base is None:
            base = super().get_formset(request, obj, **kwargs)
            base._media = {}
            if key is not None:
                _newest_formsets[key] = base
        # This request's inline on a subclass of its own (the built class is shared).
        return type(base.__name__, (base,), {"inline": self})

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False
