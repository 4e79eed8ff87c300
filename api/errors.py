"""RFC 9457 problem details for every error the API answers, never an HTML page.

`{"type", "title", "status", "detail"}` plus, where they apply, `code` (the service's reason,
e.g. "closed" or "rate_out_of_range") and `errors` (one entry per field at fault, with a JSON
pointer into the request body).
"""

from django.core.exceptions import NON_FIELD_ERRORS, RequestDataTooBig, SuspiciousOperation
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response

from api.parsers import NestedTooDeep
from web.errors import PROBLEM_JSON, problem_body

# Service refusals that mean "not yours to change" rather than "not possible now".
STATE_CODES_AS_FORBIDDEN = {"forbidden"}


def problem(
    status_code: int,
    detail: str,
    *,
    title: str | None = None,
    kind: str | None = None,
    code: str | None = None,
    errors: list | None = None,
    headers: dict | None = None,
) -> Response:
    body = problem_body(status_code, detail, title=title, kind=kind, code=code, errors=errors)
    return Response(body, status=status_code, headers=headers, content_type=PROBLEM_JSON)


def _pointer(path: list) -> str:
    return "#/" + "/".join(str(part) for part in path) if path else "#"


def _is_leaf(item) -> bool:
    return isinstance(item, dict) and set(item) == {"message", "code"}


def _flatten(detail, path=()) -> list[dict]:
    """DRF's nested error detail as a flat list of {field, pointer, detail, code}."""
    if _is_leaf(detail):
        where = [p for p in path if p != "non_field_errors"]
        return [
            {
                "field": ".".join(str(p) for p in where) or None,
                "pointer": _pointer(where),
                "detail": str(detail["message"]),
                "code": str(detail["code"]),
            }
        ]
    if isinstance(detail, dict):
        return [item for key, value in detail.items() for item in _flatten(value, (*path, key))]
    if isinstance(detail, list):
        # A list of leaves belongs to the field itself; a list of objects to its items.
        if all(_is_leaf(item) for item in detail):
            return [item for value in detail for item in _flatten(value, path)]
        return [item for i, value in enumerate(detail) for item in _flatten(value, (*path, i))]
    return []


def validation_problem(errors: list[dict], *, code: str = "invalid") -> Response:
    first = errors[0]["detail"] if errors else _("The request has errors.")
    return problem(
        status.HTTP_400_BAD_REQUEST,
        first if len(errors) == 1 else _("The request has %(n)s errors.") % {"n": len(errors)},
        title=_("Your request has errors"),
        kind="validation-error",
        code=code,
        errors=errors,
    )


# Refusals because of the data's state (closed deal, not approved, revoked, ...), not the input.
STATE_CODES = {
    "already_applied",
    "already_failed",
    "already_revoked",
    "closed",
    "conflict",
    "deleted",
    "inactive",
    "no_contract",
    "no_rules",
    "not_action_required",
    "insufficient",
    "not_allowed",
    "not_approved",
    "not_linked",
    "not_owner",
    "paused",
    "race",
    "rate_out_of_range",
    "same_stage",
}


def service_problem(exc: DjangoValidationError, *, rename=None, field=None) -> Response:
    """A service's refusal: bad input is 400 with field errors, the data's state 409.

    `rename` maps a service's error key (e.g. "rate_12") to the API's field name; `field` names
    the field that errors without a key belong to (e.g. "files" for the file checks).
    """
    rename = rename or {}
    if hasattr(exc, "error_dict"):
        errors = [
            {
                "field": rename.get(key, key) if key != NON_FIELD_ERRORS else field,
                "pointer": _pointer([rename.get(key, key)] if key != NON_FIELD_ERRORS else []),
                "detail": message,
                "code": error.code or "invalid",
            }
            for key, error_list in exc.error_dict.items()
            for error in error_list
            for message in error
        ]
        return validation_problem(errors)
    codes = [error.code for error in exc.error_list if error.code]
    code = codes[0] if codes else None
    detail = " ".join(exc.messages)
    if code in STATE_CODES_AS_FORBIDDEN:
        return problem(status.HTTP_403_FORBIDDEN, detail, code=code)
    if code in STATE_CODES:
        return problem(
            status.HTTP_409_CONFLICT,
            detail,
            title=_("The change is not possible now"),
            kind="conflict",
            code=code,
        )
    errors = [
        {
            "field": field,
            "pointer": _pointer([field] if field else []),
            "detail": message,
            "code": error.code or "invalid",
        }
        for error in exc.error_list
        for message in error
    ]
    return validation_problem(errors)


def exception_handler(exc, context):
    """DRF's EXCEPTION_HANDLER: every error becomes problem details."""
    if isinstance(exc, DjangoValidationError):
        return service_problem(exc)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound(_("Not found."))
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    elif isinstance(exc, RequestDataTooBig):
        return problem(
            status.HTTP_413_REQUEST_ENTITY_TOO_LARGE, _("The request body is too large.")
        )
    elif isinstance(exc, SuspiciousOperation):
        return problem(status.HTTP_400_BAD_REQUEST, _("The request could not be read."))
    if not isinstance(exc, exceptions.APIException):
        return None  # a real bug: Django's 500 handling and logging
    headers = {}
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header
    if getattr(exc, "wait", None):
        headers["Retry-After"] = str(max(1, int(exc.wait + 0.999)))
    if isinstance(exc, exceptions.NotAuthenticated):
        exc.detail = _("Send the token as “Authorization: Bearer <token>”.")
    if isinstance(exc, exceptions.ValidationError):
        return validation_problem(_flatten(exc.get_full_details()))
    if isinstance(exc, NestedTooDeep):
        return problem(
            exc.status_code,
            str(exc.detail),
            title=_("The request body is nested too deep"),
            kind="malformed-body",
            code=exc.default_code,
        )
    if isinstance(exc, exceptions.ParseError):
        request = context.get("request")
        multipart = (getattr(request, "content_type", "") or "").startswith("multipart/")
        return problem(
            exc.status_code,
            str(exc.detail),
            # An upload's body is a multipart form: "not valid JSON" named the wrong thing.
            title=_("The request body is not a valid multipart form")
            if multipart
            else _("The request body is not valid JSON"),
            kind="malformed-body",
            headers=headers,
        )
    return problem(exc.status_code, str(exc.detail), code=exc.default_code, headers=headers)
