"""The API's paging: an adapter over the portal's keyset core (`web.paging`).

Every list is ordered by one field plus the id as tie-breaker, and a page is found by the
sort values of the row before it, never by an OFFSET: a page costs the same at row 10 and at
row 1,000,000, whatever the ties (DRF's own CursorPagination falls back to offsets on ties and
gives up past 1,000). The cursor is opaque and signed; a cursor of another list or sort, or
one that does not verify, answers 400 rather than silently starting over.
"""

from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import BasePagination
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param

from web.paging import InvalidCursor, keyset_page, whole_number

DEFAULT_LIMIT = 25
MAX_LIMIT = 100


class KeysetPagination(BasePagination):
    cursor_query_param = "cursor"
    limit_query_param = "limit"

    def paginate_queryset(self, queryset, request, view=None):
        """One page of `queryset`, ordered by `view.ordering_for(request)` (e.g. "-updated_at")."""
        self.request = request
        sort = view.ordering_for(request) if view is not None else "-pk"
        tie = "-pk" if sort.startswith("-") else "pk"
        ordering = (tie,) if sort.lstrip("-") == "pk" else (sort, tie)
        try:
            self.page = keyset_page(
                queryset,
                ordering=ordering,
                cursor=request.query_params.get(self.cursor_query_param, ""),
                # The cursor names the model and the sort it was made for.
                scope=f"api:{queryset.model._meta.label}:{sort}",
                size=self._limit(request),
                count=False,
                strict=True,
            )
        except InvalidCursor:
            raise ValidationError(
                {self.cursor_query_param: [_("This cursor is not valid for this list and sort.")]}
            ) from None
        return self.page.rows

    def _limit(self, request) -> int:
        raw = request.query_params.get(self.limit_query_param)
        if raw is None:
            return DEFAULT_LIMIT
        limit = whole_number(raw)
        if limit is None or not 1 <= limit <= MAX_LIMIT:
            raise ValidationError(
                {
                    self.limit_query_param: [
                        _("Give a whole number from 1 to %(max)s.") % {"max": MAX_LIMIT}
                    ]
                }
            )
        return limit

    def get_next_link(self):
        if not self.page.next_cursor:
            return None
        url = self.request.build_absolute_uri()
        return replace_query_param(url, self.cursor_query_param, self.page.next_cursor)

    def get_paginated_response(self, data):
        return Response({"next": self.get_next_link(), "results": data})

    def get_paginated_response_schema(self, schema):
        return {
            "type": "object",
            "required": ["next", "results"],
            "properties": {
                "next": {
                    "type": "string",
                    "nullable": True,
                    "format": "uri",
                    "description": _("The next page, or null on the last page."),
                },
                "results": schema,
            },
        }

    def get_schema_operation_parameters(self, view):
        return [
            {
                "name": self.cursor_query_param,
                "required": False,
                "in": "query",
                "description": _("Opaque cursor from the `next` link of the previous page."),
                "schema": {"type": "string"},
            },
            {
                "name": self.limit_query_param,
                "required": False,
                "in": "query",
                "description": _("Items per page, 1 to %(max)s (default %(default)s).")
                % {"max": MAX_LIMIT, "default": DEFAULT_LIMIT},
                "schema": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT},
            },
        ]
