"""Admin change lists that stay fast on big tables: a count that stops early, and a filter
that asks for one related object by typing (admin's autocomplete) instead of listing them all.
"""

from django import forms
from django.contrib import admin
from django.contrib.admin.widgets import AutocompleteSelect
from django.core.paginator import Paginator
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from web.paging import capped_count

# Enough for 100 pages of 100 rows; past that staff filter rather than page.
ADMIN_COUNT_CAP = 10_000


class CappedPaginator(Paginator):
    """Counts no further than ADMIN_COUNT_CAP rows: an exact COUNT(*) of a table of millions
    on every list view is what makes admin slow. A list longer than that shows the cap."""

    @cached_property
    def count(self):
        count, _more = capped_count(self.object_list, ADMIN_COUNT_CAP)
        return count


class AutocompleteFilter(admin.FieldListFilter):
    """Filter by one related object, chosen with admin's autocomplete (type a name), for a
    foreign key to a big table (partners, users): the stock filter lists every row.

    The URL keeps Django's parameter (`?partner__id__exact=3`). The related model's admin
    needs `search_fields`; the list's ModelAdmin adds `autocomplete_filter_media()`.
    """

    template = "admin/autocomplete_filter.html"

    def __init__(self, field, request, params, model, model_admin, field_path):
        self.lookup_kwarg = f"{field_path}__{field.target_field.name}__exact"
        super().__init__(field, request, params, model, model_admin, field_path)
        value = self.used_parameters.get(self.lookup_kwarg)
        self.value = (value[-1] if isinstance(value, list) else value) or ""
        widget = AutocompleteSelect(field, model_admin.admin_site)
        widget.choices = forms.ModelChoiceField(
            field.remote_field.model._default_manager.filter(pk=self._pk())
        ).choices
        self.rendered = widget.render(
            self.lookup_kwarg,
            self.value,
            attrs={"id": f"filter-{field_path}", "data-autocomplete-filter": ""},
        )

    def _pk(self):
        return int(self.value) if str(self.value).isdigit() else None

    def expected_parameters(self):
        return [self.lookup_kwarg]

    def choices(self, changelist):
        yield {
            "selected": not self.value,
            "query_string": changelist.get_query_string(remove=[self.lookup_kwarg]),
            "display": _("All"),
        }


def autocomplete_filter_media(field, admin_site) -> forms.Media:
    """The scripts and styles an AutocompleteFilter needs on the change list."""
    return AutocompleteSelect(field, admin_site).media + forms.Media(
        js=["js/admin_autocomplete_filter.js"]
    )
