"""Logs that follow a request: its id on every line, who asked, which view, how long it took.

- The request id is the load balancer's `X-Request-ID` when it sends a usable one, made here
  otherwise (django-guid keeps it in a context variable and echoes it in the response). Celery
  tasks carry it in their headers (django-guid's Celery integration), events store it
  (`notifications.Event.request_id`), the activity log too, and the 500 page shows it as its
  reference: one id from the click to the e-mail and the webhook.
- `RequestContextFilter` (on the console handler) adds `request_id`, `user_id`, `partner_id`
  and `view` to every record, so a line logged deep in a service carries them as well. Ids
  only: never an e-mail address or a secret.
- `AccessLogMiddleware` writes one line per request on `portal.access` (method, path, status,
  duration, view) and times it for Prometheus (`portal_http_request_duration_seconds`), with the path of a page that carries a secret in its address (a password
  reset key, an invitation token) replaced by its route.
- Production writes JSON (python-json-logger), one object per line; development readable text
  (`LOG_FORMAT`).
"""

import contextvars
import logging
import re
import time

from django.core.signals import request_finished
from django.dispatch import receiver
from django.utils.functional import empty
from django_guid import clear_guid, get_guid

from web.metrics import REQUEST_DURATION

access_logger = logging.getLogger("portal.access")

_request: contextvars.ContextVar = contextvars.ContextVar("portal_request", default=None)

# What a request id from outside may look like (ids of nginx, AWS, GCP, Envoy fit); anything
# else, or longer, is replaced by a new one: it goes into log lines and database rows.
REQUEST_ID = re.compile(r"[A-Za-z0-9._:=+/-]{1,64}")
REQUEST_ID_META = "HTTP_X_REQUEST_ID"
# Routes whose addresses carry a secret; the access line shows the route instead.
SECRET_IN_PATH = re.compile(r"<(\w+:)?(key|token|uidb36|uidb64)>")
# The probes, every second from each balancer: their lines go out at DEBUG.
QUIET_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})


def _user_ids(request) -> tuple[int | None, int | None]:
    """The signed-in user's id and partner id, only when already loaded: logging must not
    query the database (or open a session for a probe)."""
    user = getattr(request, "user", None)
    if user is None or getattr(user, "_wrapped", None) is empty:
        return None, None
    if not getattr(user, "is_authenticated", False):
        return None, None
    partner = getattr(request, "partner", None)
    if partner is not None:
        return user.pk, partner.pk
    from partners.models import User

    membership = (
        User.membership.related.get_cached_value(user)
        if User.membership.related.is_cached(user)
        else None
    )
    return user.pk, membership.partner_id if membership is not None else None


def _view(request) -> str | None:
    match = getattr(request, "resolver_match", None)
    return match.view_name if match is not None else None


def shown_path(request) -> str:
    """The request's path, or its route when the path carries a secret."""
    match = getattr(request, "resolver_match", None)
    if match is not None and SECRET_IN_PATH.search(match.route or ""):
        return "/" + match.route
    return request.path


@receiver(request_finished)
def _request_over(**kwargs):
    """The id and the request stay set until the response is closed: Django logs a 4xx or
    5xx response (django.request) after the middleware has returned it."""
    _request.set(None)
    clear_guid()


class HideSecretPathsFilter(logging.Filter):
    """On django.request: "Not Found: /accounts/invitation/<str:token>/", never the token."""

    def filter(self, record):
        request = getattr(record, "request", None)
        if request is not None and record.args:
            path = shown_path(request)
            record.args = tuple(path if arg == request.path else arg for arg in record.args)
        return True


class RequestContextFilter(logging.Filter):
    """Adds request_id, user_id, partner_id and view to each record (None outside a request;
    in a Celery task the request id is the one the task was sent with)."""

    def filter(self, record):
        request = _request.get()
        record.request_id = get_guid()
        record.user_id, record.partner_id = _user_ids(request) if request else (None, None)
        record.view = _view(request) if request else None
        return True


class AccessLogMiddleware:
    """First in MIDDLEWARE: cleans the incoming request id, times the request and writes its
    access line. django-guid's middleware, right after it, sets and echoes the id."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        given = request.META.get(REQUEST_ID_META)
        if given is not None and not REQUEST_ID.fullmatch(given):
            del request.META[REQUEST_ID_META]
        _request.set(request)
        started = time.perf_counter()
        response = self.get_response(request)
        self._log(request, response.status_code, started)
        return response

    def _log(self, request, status: int, started: float) -> None:
        duration_ms = round((time.perf_counter() - started) * 1000, 1)
        path = shown_path(request)
        quiet = request.path in QUIET_PATHS
        view = _view(request) or ("probe" if quiet else "unresolved")
        REQUEST_DURATION.labels(view, request.method, status).observe(duration_ms / 1000)
        level = logging.DEBUG if quiet else logging.INFO
        access_logger.log(
            level,
            "%s %s %s %sms",
            request.method,
            path,
            status,
            duration_ms,
            extra={
                "method": request.method,
                "path": path,
                "status": status,
                "duration_ms": duration_ms,
            },
        )
