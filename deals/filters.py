import django_filters
from django.utils.translation import gettext_lazy as _

from deals.models import Deal
from deals.selectors import search_deals


class DealFilter(django_filters.FilterSet):
    """Search, stage filter and sort of the deal list. Unknown values are simply ignored."""

    q = django_filters.CharFilter(method="search", label=_("Search"))
    stage = django_filters.ChoiceFilter(choices=Deal.Stage.choices, label=_("Stage"))
    sort = django_filters.OrderingFilter(
        fields=(
            ("updated_at", "updated"),
            ("estimated_value", "value"),
            ("expected_close_date", "close"),
        ),
        choices=(
            ("-updated", _("Last update, newest first")),
            ("updated", _("Last update, oldest first")),
            ("-value", _("Estimated value, highest first")),
            ("value", _("Estimated value, lowest first")),
            ("close", _("Expected close date, soonest first")),
            ("-close", _("Expected close date, latest first")),
        ),
        empty_label=None,
        label=_("Sort"),
    )

    class Meta:
        model = Deal
        fields = ("q", "stage")

    def search(self, queryset, name, value):
        # One search rule for the pages and the API: the selector's indexed search.
        value = value.strip()
        if not value:
            return queryset
        return search_deals(queryset, value)[0]
