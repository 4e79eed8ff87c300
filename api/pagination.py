"""Keyset (cursor) pagination: every list is ordered by one field plus the id as tie-breaker.

A page is `WHERE (field, id) after (last field, last id) ORDER BY field, id LIMIT n+1`, so the
database walks an index and a page costs the same at row 10 and at row 1,000,000, whatever
the ties (DRF's own CursorPagination falls back to offsets on ties and gives up past 1,000).
The cursor is opaque to the client: base64 of the sort, the last value and the last id.
"""

import base64
import binascii
import json
from datetime import date, datetime
from decimal import Decimal

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Q
from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import BasePagination
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param

from api.serializers import storable

DEFAULT_LIMIT = 25
MAX_LIMIT = 100


def _dump(value) -> str:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


class KeysetPagination(BasePagination):
    cursor_query_param = "cursor"
    limit_query_param = "limit"

    def paginate_queryset(self, queryset, request, view=None):
        """One page of `queryset`, ordered by `view.ordering_for(request)` (e.g. "-updated_at")."""
        self.request = request
        self.sort = view.ordering_for(request) if view is not None else "-pk"
        self.field = self.sort.lstrip("-")
        self.descending = self.sort.startswith("-")
        self.limit = self._limit(request)
        tie = "-pk" if self.descending else "pk"
        ordered = (
            queryset.order_by(self.sort, tie) if self.field != "pk" else queryset.order_by(tie)
        )
        cursor = request.query_params.get(self.cursor_query_param)
        if cursor:
            ordered = ordered.filter(self._after(queryset.model, cursor))
        rows = list(ordered[: self.limit + 1])
        self.has_next = len(rows) > self.limit
        self.page = rows[: self.limit]
        return self.page

    def _limit(self, request) -> int:
        raw = request.query_params.get(self.limit_query_param)
        if raw in (None, ""):
            return DEFAULT_LIMIT
        if not raw.isdigit() or not 1 <= int(raw) <= MAX_LIMIT:
            raise ValidationError(
                {
                    self.limit_query_param: [
                        _("Give a whole number from 1 to %(max)s.") % {"max": MAX_LIMIT}
                    ]
                }
            )
        return int(raw)

    def _after(self, model, cursor: str) -> Q:
        invalid = ValidationError(
            {self.cursor_query_param: [_("This cursor is not valid for this list and sort.")]}
        )
        try:
            padded = cursor + "=" * (-len(cursor) % 4)
            data = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
            sort, raw_value, last_pk = data["s"], data["v"], int(data["id"])
            field = model._meta.pk if self.field == "pk" else model._meta.get_field(self.field)
            value = field.to_python(raw_value)
        except (ValueError, KeyError, TypeError, binascii.Error, DjangoValidationError):
            raise invalid from None
        if sort != self.sort or value is None or (isinstance(value, str) and not storable(value)):
            raise invalid
        op = "lt" if self.descending else "gt"
        if self.field == "pk":
            return Q(**{f"pk__{op}": last_pk})
        # The first, redundant bound lets the database seek the sort's index to the cursor
        # instead of filtering every row before it.
        bound = Q(**{f"{self.field}__{op}e": value})
        return bound & (
            Q(**{f"{self.field}__{op}": value}) | Q(**{self.field: value, f"pk__{op}": last_pk})
        )

    def _cursor(self, obj) -> str:
        value = obj.pk if self.field == "pk" else getattr(obj, self.field)
        raw = json.dumps({"s": self.sort, "v": _dump(value), "id": obj.pk}).encode()
        return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")

    def get_next_link(self):
        if not self.has_next or not self.page:
            return None
        url = self.request.build_absolute_uri()
        return replace_query_param(url, self.cursor_query_param, self._cursor(self.page[-1]))

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
                    "description": "The next page, or null on the last page.",
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
                "description": "Opaque cursor from the `next` link of the previous page.",
                "schema": {"type": "string"},
            },
            {
                "name": self.limit_query_param,
                "required": False,
                "in": "query",
                "description": f"Items per page, 1 to {MAX_LIMIT} (default {DEFAULT_LIMIT}).",
                "schema": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT},
            },
        ]
