"""Django admin's change lists at a million rows: what every staff list shares.

Stock admin counts the whole table twice per page, lists every partner in a filter, searches
with `icontains` over joined columns and sorts by anything. Here:

- `CappedPaginator` counts no further than COUNT_CAP + 1 rows (as the portal's lists do);
  the page says "more than 1,000" and staff narrow the list with a filter or a search.
- `ScaleChangeList` breaks ties on the id in the direction of the last sort, so one
  `(field, id)` index serves a column sorted either way.
- `ScaleAdmin` puts them together with no full count and no facet counts; each list names the
  columns it can sort (`sortable_by`: each has an index) and its search (`probe_search`).
- `AutocompleteFilter` is a list filter that is a search box (django-admin-autocomplete-
  filters over Django's own autocomplete widget), keeping Django's URL parameter
  (`?partner__id__exact=`), so bookmarks and links keep working.
"""

from admin_auto_filters.filters import AutocompleteFilter as _AutocompleteFilter
from django.contrib import admin
from django.contrib.admin.views.main import ChangeList
from django.contrib.humanize.templatetags.humanize import intcomma
from django.core.paginator import Paginator
from django.db.models import Q, QuerySet
from django.forms.models import BaseInlineFormSet
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.functional import cached_property

from web.paging import COUNT_CAP, capped_count


class CappedPaginator(Paginator):
    """A paginator whose count stops at COUNT_CAP: `count_capped` says there are more."""

    count_capped = False

    @cached_property
    def count(self) -> int:
        count, self.count_capped = capped_count(self.object_list)
        return count


class ScaleChangeList(ChangeList):
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


class AutocompleteLookupsAllowed:
    """Admin refuses a lookup two relations deep (`discount__partner__id__exact`) unless a
    list filter names exactly that path: an autocomplete filter's own parameter is allowed."""

    def lookup_allowed(self, lookup, value, request=None):
        names = {getattr(item, "parameter_name", None) for item in self.get_list_filter(request)}
        return lookup in names or super().lookup_allowed(lookup, value, request)


class ScaleAdmin(AutocompleteLookupsAllowed, admin.ModelAdmin):
    """A change list for a big table: capped count, no facets, 50 rows a page.

    Subclasses name `sortable_by` (the columns with an index) and, if they search, override
    `get_search_results` with the app's indexed search.
    """

    paginator = CappedPaginator
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
    list_per_page = 50
    list_max_show_all = 0  # "Show all" of a million rows is never offered

    def get_changelist(self, request, **kwargs):
        return ScaleChangeList


def probe_search(queryset: QuerySet, probes: list[QuerySet], match: Q) -> QuerySet:
    """The rows of `queryset` a search finds.

    `probes` are id queries each served by an index (a trigram index on a name, the rows of
    matching customers through a foreign-key index); together they find at most
    COUNT_CAP + 1 ids. More than COUNT_CAP means the word is common: then `match` is tested
    on the rows in list order, where a page of matches comes quickly.
    """
    first, *rest = [probe.order_by().values_list("pk", flat=True) for probe in probes]
    ids = list((first.union(*rest, all=True) if rest else first)[: COUNT_CAP + 1])
    if len(ids) <= COUNT_CAP:
        return queryset.filter(pk__in=ids)
    return queryset.filter(match)


class AutocompleteFilter(_AutocompleteFilter):
    """A filter by a related row chosen in a search box (`?<field>__id__exact=<id>`)."""

    field_pk = "id"


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
            return date_format(timezone.localtime(value), "SHORT_DATETIME_FORMAT")
        return date_format(value, "SHORT_DATE_FORMAT")

    column.__name__ = field
    return column


def money(field: str, description) -> object:
    """An amount in VND grouped as on the portal (250.000.000), sortable by `field`."""

    @admin.display(description=description, ordering=field)
    def column(obj):
        value = getattr(obj, field)
        return "—" if value is None else intcomma(value)

    column.__name__ = field
    return column


class NewestFormSet(BaseInlineFormSet):
    """The inline's newest `limit` rows (in the inline's ordering), and whether there are
    more: a deal with 2,000 history entries renders 20."""

    limit = 20

    def get_queryset(self):
        if not hasattr(self, "_newest"):
            rows = list(super().get_queryset()[: self.limit + 1])
            self.has_more = len(rows) > self.limit
            self._newest = rows[: self.limit]
        return self._newest


class NewestInline(admin.TabularInline):
    """A read-only history inline: its newest rows, then a link to the admin list of all of
    them (the inline's model registered with a ScaleAdmin, filtered by the parent)."""

    formset = NewestFormSet
    template = "admin/edit_inline/tabular_newest.html"
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False
