"""The error pages (400, 403, 404, 500, CSRF failure): the portal's layout, the reader's
language, never a stack trace.

A server error shows a reference, the request's id (partner_portal/logs.py), that is also
added to the log record of the exception (`ErrorReferenceFilter` on the `django.request`
logger) and is on every other line the request logged, so a user can quote it and staff can
find the traceback and what led to it. The 400 and 500 pages are rendered without the request's
context processors: they read nothing from the database (which may be what failed), so they
render even when it is down. The dialog script (static/js/portal.js) shows the message of
these pages inside the dialog when a dialog request fails.
"""

import logging
import secrets
from http import HTTPStatus

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.middleware.csrf import get_token
from django.template import loader
from django.template.response import TemplateResponse
from django.utils import translation
from django_guid import get_guid

logger = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"
PROBLEM_TYPE_BASE = "urn:vngcloud:partner-portal:problem:"


def problem_body(
    status: int,
    detail: str = "",
    *,
    title: str | None = None,
    kind: str | None = None,
    code: str | None = None,
    errors: list | None = None,
) -> dict:
    """RFC 9457 problem details: the one shape of every error a program is given (the API's
    own answers and the site's error handlers under /api/)."""
    phrase = HTTPStatus(status).phrase
    body = {
        "type": PROBLEM_TYPE_BASE + kind if kind else "about:blank",
        "title": title or phrase,
        "status": status,
        "detail": str(detail) or phrase,
    }
    if code:
        body["code"] = code
    if errors:
        body["errors"] = errors
    return body


def plain_problem(
    status_code: int, detail: str = "", *, code: str | None = None, title: str | None = None
) -> HttpResponse:
    """Problem details without DRF or the database, for the site's error handlers under /api/
    (a request refused by middleware, a server error)."""
    return JsonResponse(
        problem_body(status_code, detail, code=code, title=title),
        status=status_code,
        content_type=PROBLEM_JSON,
    )


def _standalone(request, status: int, **ctx) -> HttpResponse:
    """The error page from the template alone: no context processors, no database.

    The language comes from the cookie again: the failure may have happened outside the
    language middleware (a session that could not be saved).
    """
    ctx = {"status": status, "request": request, "csrf_token": get_token(request), **ctx}
    language = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
    if language not in dict(settings.LANGUAGES):
        language = settings.LANGUAGE_CODE
    with translation.override(language):
        html = loader.get_template("error.html").render(ctx)
    return HttpResponse(html, status=status)


def error_page(request, status: int, message: str = "") -> TemplateResponse:
    """The error page with the portal's menus (the database is fine for 403 and 404)."""
    ctx = {"status": status, "message": message}
    return TemplateResponse(request, "error.html", ctx, status=status)


def _api(request) -> bool:
    """Errors raised before the API's own views (middleware) answer a program, not a person."""
    return request.path.startswith("/api/")


def bad_request(request, exception=None):
    if _api(request):
        return plain_problem(400, code="bad_request")
    return _standalone(request, 400)


def permission_denied(request, exception=None):
    message = str(exception) if exception is not None and exception.args else ""
    if _api(request):
        return plain_problem(403, message, code="forbidden")
    return error_page(request, 403, message).render()


def page_not_found(request, exception=None):
    if _api(request):
        return plain_problem(404, code="not_found")
    return error_page(request, 404).render()


def server_error(request):
    # The request id; a short random one if the request never got one (no middleware).
    reference = get_guid() or secrets.token_hex(4).upper()
    # Read by ErrorReferenceFilter when Django logs the exception right after this view.
    request.error_reference = reference
    if _api(request):
        return plain_problem(500, f"Reference {reference}.", code="server_error")
    return _standalone(request, 500, reference=reference)


def csrf_failure(request, reason=""):
    """A form posted without a valid CSRF token: usually a page left open too long."""
    return _standalone(request, 403, csrf=True)


class ErrorReferenceFilter(logging.Filter):
    """Adds the reference shown on the 500 page to Django's log record of the exception."""

    def filter(self, record):
        reference = getattr(getattr(record, "request", None), "error_reference", None)
        if reference:
            record.msg = f"{record.msg} (reference %s)"
            record.args = (*(record.args or ()), reference)
            record.error_reference = reference
        return True
