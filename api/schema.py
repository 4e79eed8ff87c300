"""The OpenAPI schema is the contract: what it declares is what the server does.

One home for each declaration that drf-spectacular cannot read off the views:

- `PartnerAutoSchema` (REST_FRAMEWORK's DEFAULT_SCHEMA_CLASS): the `Idempotency-Key` request
  header on every operation decorated with `api.idempotency.idempotent`; `cursor` and `limit`
  on every list; the response headers `RateLimit-Policy` and `RateLimit` (every answer),
  `Sandbox` (every partner API answer to a sandbox token), `Retry-After` (429) and
  `Idempotent-Replayed` (a replayed 2xx).
- `StrictSerializerExtension`: `additionalProperties: false` on every request body made by a
  `StrictSerializer` (the server refuses unknown fields with 400).
- The fields' own constraints sit on the fields (api/serializers.py: `TextField`, `RateField`,
  `TaxCodeField`, `FutureDateField`, `ProductCodeField`), each checking exactly what its
  schema says.
- `postprocess` (SPECTACULAR_SETTINGS' POSTPROCESSING_HOOKS): the OpenAPI links from a created
  or read resource to the operations on it, so a generated client (and schemathesis's
  stateful phase) can walk register -> stage -> resubmit, create -> revoke.
"""

import copy

from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import (
    OpenApiSerializerExtension,
    OpenApiSerializerFieldExtension,
)
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiParameter

from api.idempotency import HEADER, KEY_PATTERN
from api.pagination import KeysetPagination

RATE_LIMIT_HEADERS = {
    "RateLimit-Policy": {
        "required": True,
        "description": _(
            'The rate limit per token (IETF httpapi draft), e.g. `"default";q=300;w=60`: '
            "300 requests in any 60 seconds."
        ),
        "schema": {"type": "string", "pattern": r'^"default";q=[0-9]+;w=[0-9]+$'},
    },
    "RateLimit": {
        "required": False,
        "description": _(
            'What is left of it, e.g. `"default";r=287;t=41`: 287 requests left; one more '
            "comes back in 41 seconds. Absent when no token was recognised."
        ),
        "schema": {"type": "string", "pattern": r'^"default";r=[0-9]+;t=[0-9]+$'},
    },
}
RETRY_AFTER = {
    "required": True,
    "description": _("Seconds to wait before the next request."),
    "schema": {"type": "integer", "minimum": 1},
}
IDEMPOTENT_REPLAYED = {
    "required": False,
    "description": _(
        "`true` when this is the stored answer to an earlier request with the same "
        "Idempotency-Key (nothing was written again)."
    ),
    "schema": {"type": "string", "enum": ["true"]},
}

SANDBOX = {
    "required": False,
    "description": _(
        "`true` on every answer to a sandbox token: the request acted on the organisation's "
        "sandbox (test data, approved automatically), not on its real deals. Absent otherwise."
    ),
    "schema": {"type": "string", "enum": ["true"]},
}

LOCATION = {
    "required": True,
    "description": _("The URL of what was created."),
    "schema": {"type": "string", "format": "uri"},
}


class PartnerAutoSchema(AutoSchema):
    def _handler(self):
        return getattr(self.view, (self.method or "").lower(), None)

    def _idempotent(self) -> bool:
        return getattr(self._handler(), "idempotent", False)

    def get_override_parameters(self):
        parameters = list(super().get_override_parameters())
        if self._idempotent():
            parameters.append(
                OpenApiParameter(
                    HEADER,
                    str,
                    OpenApiParameter.HEADER,
                    required=False,
                    pattern=KEY_PATTERN,
                    description=_(
                        "A unique key per write (e.g. a UUID). A retry with the same key and "
                        "body gets the first answer again and writes nothing; the same key "
                        "with another body is 422. Kept 24 hours per token."
                    ),
                )
            )
        return parameters

    def _get_pagination_parameters(self):
        # drf-spectacular guesses lists from the first answer it is given, a problem here.
        if getattr(self.view, "paginated", False) and self.method == "GET":
            return KeysetPagination().get_schema_operation_parameters(self.view)
        return []

    def _get_response_headers_for_code(self, status_code, direction="response"):
        headers = dict(super()._get_response_headers_for_code(status_code, direction))
        headers.update(RATE_LIMIT_HEADERS)
        if getattr(self.view, "sandbox_header", False):
            headers["Sandbox"] = SANDBOX
        code = str(status_code)
        if code == "429":
            headers["Retry-After"] = RETRY_AFTER
        if code.startswith("2") and self._idempotent():
            headers["Idempotent-Replayed"] = IDEMPOTENT_REPLAYED
        if code == "201" and getattr(self.view, "created_location", False):
            headers["Location"] = LOCATION
        return headers


class StrictSerializerExtension(OpenApiSerializerExtension):
    target_class = "api.serializers.StrictSerializer"
    match_subclasses = True

    def map_serializer(self, auto_schema, direction):
        schema = auto_schema._map_serializer(self.target, direction, bypass_extensions=True)
        schema["additionalProperties"] = False
        return schema


# Links: from an operation's answer to the operations on the resource it names.
_DEAL_OPS = ["deals_retrieve", "deals_resubmit", "deals_stage", "deals_notes_list"]
LINKS = {
    ("deals_list", "200"): ({"id": "$response.body#/results/0/id"}, _DEAL_OPS),
    ("deals_create", "201"): (
        {"id": "$response.body#/id"},
        [*_DEAL_OPS, "deals_notes_create", "deals_attachments_list"],
    ),
    ("deals_retrieve", "200"): ({"id": "$response.body#/id"}, _DEAL_OPS[1:]),
    ("deals_stage", "200"): ({"id": "$response.body#/deal/id"}, ["deals_retrieve"]),
    ("deals_attachments_list", "200"): (
        {"deal_pk": "$request.path.id", "id": "$response.body#/results/0/id"},
        ["deals_attachments_download"],
    ),
    ("discounts_list", "200"): (
        {"id": "$response.body#/results/0/id"},
        ["discounts_retrieve", "customer_discounts_list", "customer_discounts_create"],
    ),
    ("discounts_retrieve", "200"): (
        {"id": "$response.body#/id"},
        ["customer_discounts_list", "customer_discounts_create"],
    ),
    ("customer_discounts_list", "200"): (
        {"id": "$request.path.id", "cd_pk": "$response.body#/results/0/id"},
        ["customer_discounts_retrieve", "customer_discounts_revoke"],
    ),
    ("customer_discounts_create", "201"): (
        {"id": "$response.body#/discount", "cd_pk": "$response.body#/id"},
        ["customer_discounts_retrieve", "customer_discounts_revoke"],
    ),
    ("customers_list", "200"): ({"id": "$response.body#/results/0/id"}, ["customers_retrieve"]),
}


def _operations(result: dict) -> dict:
    return {
        op["operationId"]: op
        for item in result["paths"].values()
        for op in item.values()
        if isinstance(op, dict) and "operationId" in op
    }


def postprocess(result, generator, request, public):
    """SPECTACULAR_SETTINGS' POSTPROCESSING_HOOKS (after drf-spectacular's enum hook)."""
    operations = _operations(result)
    # Any address over API_MAX_URL_LENGTH answers 414 (partner_portal.middleware), before the
    # token is read: declared on every operation as its 401 is (problem details, the policy).
    for operation in operations.values():
        responses = operation.get("responses", {})
        if "401" in responses and "414" not in responses:
            responses["414"] = {
                **copy.deepcopy(responses["401"]),
                "description": str(_("The address is too long (API_MAX_URL_LENGTH).")),
            }
    for (source, status), (values, targets) in LINKS.items():
        response = operations.get(source, {}).get("responses", {}).get(status)
        if response is None:
            continue
        links = response.setdefault("links", {})
        for target in targets:
            if target not in operations:
                continue
            params = operations[target].get("parameters", ())
            names = {p["name"] for p in params if p["in"] == "path"}
            links[target] = {
                "operationId": target,
                "parameters": {name: values[name] for name in names if name in values},
            }
    return result


# --- the fields' constraints ------------------------------------------------------------------

NO_NUL = r"^[^\x00]*$"
NO_NUL_NOT_EMPTY = r"^[^\x00]+$"
# Python's whitespace (what DRF trims), written out: a JSON Schema's \s is ECMAScript's, which
# leaves out \x1c-\x1f and \x85 and adds \ufeff.
_SPACE = r"\t\n\x0b\x0c\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
NOT_BLANK = rf"^[^\x00]*[^\x00{_SPACE}][^\x00]*$"


def _greater(digits: str) -> list[str]:
    """Regex alternatives for the numbers of len(digits) digits above `digits`."""
    return [
        digits[:i] + f"[{int(d) + 1}-9]" + r"\d" * (len(digits) - i - 1)
        for i, d in enumerate(digits)
        if d != "9"
    ]


def _alternatives(values) -> str:
    return "(" + "|".join(values) + ")"


def not_before_pattern(day) -> str:
    """A pattern matching the ISO dates (YYYY-MM-DD) on or after `day`."""
    months = r"(0[1-9]|1[0-2])"
    days = r"(0[1-9]|[12]\d|3[01])"
    later_years = _alternatives(_greater(f"{day.year:04d}"))
    later_months = _alternatives(f"{m:02d}" for m in range(day.month + 1, 13))
    same_or_later_days = _alternatives(f"{d:02d}" for d in range(day.day, 32))
    year = f"{day.year:04d}"
    parts = [f"{later_years}-{months}-{days}"]
    if day.month < 12:
        parts.append(f"{year}-{later_months}-{days}")
    parts.append(f"{year}-{day.month:02d}-{same_or_later_days}")
    return "^(" + "|".join(parts) + ")$"


class TextFieldExtension(OpenApiSerializerFieldExtension):
    """Text as the server takes it: no NUL (PostgreSQL cannot store one) and, where blank is
    refused after trimming, at least one character that is not a space."""

    target_class = "api.serializers.TextField"
    match_subclasses = True

    def map_serializer_field(self, auto_schema, direction):
        schema = auto_schema._map_serializer_field(self.target, direction, bypass_extensions=True)
        field = self.target
        from api.serializers import HttpUrlField, IdempotencyKeyField, TaxCodeField
        from partners.models import TAX_CODE_PATTERN

        if isinstance(field, HttpUrlField):
            schema["pattern"] = r"^[hH][tT][tT][pP][sS]?://[^\x00\s]+$"
            schema["format"] = "uri"
        elif isinstance(field, IdempotencyKeyField):
            schema["pattern"] = r"^[\x21-\x7e]+$"
        elif isinstance(field, TaxCodeField):
            schema["pattern"] = TAX_CODE_PATTERN
            schema.pop("minLength", None)
        elif field.allow_blank:
            # drf-spectacular then offers "" as a choice of its own beside this pattern (a
            # oneOf, whose choices must not overlap): so this one takes one character or more.
            # With NO_NUL, "" matched both, and a checker had to call it invalid.
            schema["pattern"] = NO_NUL_NOT_EMPTY
        else:
            schema["pattern"] = NOT_BLANK if field.trim_whitespace else NO_NUL
        return schema


class RateFieldExtension(OpenApiSerializerFieldExtension):
    target_class = "api.serializers.RateField"

    def map_serializer_field(self, auto_schema, direction):
        from api.serializers import RATE_PATTERN

        return {
            "type": "string",
            "format": "decimal",
            "pattern": RATE_PATTERN,
            "example": "12.5",
            "description": str(self.target.help_text or ""),
        }


def product_codes() -> list[str] | None:
    """The codes of the products in the database; None before it has its tables (the deploy
    check makes the schema before any migration has run)."""
    from django.db import DatabaseError

    from deals.models import Product

    try:
        return sorted(Product.objects.values_list("code", flat=True))
    except DatabaseError:
        return None


class ProductCodeFieldExtension(OpenApiSerializerFieldExtension):
    """The product codes the server knows, as an enum (read when the schema is made)."""

    target_class = "api.serializers.ProductCodeField"
    match_subclasses = True

    def map_serializer_field(self, auto_schema, direction):
        codes = product_codes()
        schema = {"type": "string", **({"enum": codes} if codes is not None else {})}
        if self.target.help_text:
            schema["description"] = str(self.target.help_text)
        return schema


class FutureDateFieldExtension(OpenApiSerializerFieldExtension):
    """A date the server refuses in the past: a pattern of the dates from today on (the
    portal's time zone), made when the schema is."""

    target_class = "api.serializers.FutureDateField"

    def map_serializer_field(self, auto_schema, direction):
        from django.utils import timezone

        schema = auto_schema._map_serializer_field(self.target, direction, bypass_extensions=True)
        schema["pattern"] = not_before_pattern(timezone.localdate())
        return schema
