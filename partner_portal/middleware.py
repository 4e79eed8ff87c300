from django.conf import settings
from django.core.exceptions import BadRequest
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _

from api.throttling import policy_header
from api.views.base import in_language
from web.errors import plain_problem


def _api(request) -> bool:
    return request.path_info.startswith("/api/")


class CookieLocaleMiddleware:
    """Pick the UI language from the language cookie only, Vietnamese otherwise.

    Django's LocaleMiddleware would follow the browser's Accept-Language, so most partners
    would get English; the portal speaks Vietnamese unless the user switches.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.supported = {code for code, _name in settings.LANGUAGES}

    def __call__(self, request):
        language = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        if language not in self.supported:
            language = settings.LANGUAGE_CODE
        request.LANGUAGE_CODE = language
        # override() puts back whatever was active before, so nothing leaks between requests.
        with translation.override(language):
            response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        patch_vary_headers(response, ("Cookie",))
        return response


class ApiRequestTargetMiddleware:
    """An API request whose address (path and query string) is longer than
    API_MAX_URL_LENGTH answers 414 in problem details, code `url_too_long`; every API answer
    carries `RateLimit-Policy`.

    The limit sits below gunicorn's `limit_request_line` (gunicorn.conf.py), so a program gets
    problem details from us rather than gunicorn's HTML page. Pages are left to gunicorn.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not _api(request):
            return self.get_response(request)
        if len(request.get_full_path()) > settings.API_MAX_URL_LENGTH:
            response = in_language(request, _url_too_long)
        else:
            response = self.get_response(request)
        # Every API answer states the policy; the views add RateLimit (the token's counter).
        response.headers.setdefault("RateLimit-Policy", policy_header())
        return response


def _url_too_long(request):
    detail = _(
        "The address is longer than %(n)s characters. Send fewer or shorter query parameters."
    ) % {"n": settings.API_MAX_URL_LENGTH}
    return plain_problem(414, detail, code="url_too_long", title=_("The address is too long"))


class RefuseNulMiddleware:
    """A query string with a NUL character answers 400 (the portal's page; under /api/,
    problem details with the code `nul_character`).

    PostgreSQL cannot store or compare NUL in text, so a filter or search value with one
    (`/admin/deals/deal/?status=%00`) would fail deep in a query as a server error. No real
    link or form ever sends one.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if any("\x00" in key or "\x00" in value for key, value in _query_items(request.GET)):
            if _api(request):
                return in_language(request, _nul_character)
            raise BadRequest("NUL character in the query string")
        return self.get_response(request)


def _nul_character(request):
    detail = _("A query parameter contains a NUL character (%00).")
    return plain_problem(400, detail, code="nul_character")


def _query_items(query):
    for key, values in query.lists():
        for value in values:
            yield key, value


class ProbeMiddleware:
    """Answer the load balancer's and the orchestrator's probes, and Prometheus, before
    anything else.

    First in MIDDLEWARE, so `/healthz`, `/readyz` and `/metrics` open no session, meet no login or 2FA
    rule, are never redirected to HTTPS (the balancer probes over plain HTTP) and skip the
    ALLOWED_HOSTS check, which CommonMiddleware makes on every request (the balancer and
    Prometheus send the server's own address as Host). `/metrics` checks its caller itself. The middleware above it (request id, access log,
    metrics) still see them.
    """

    def __init__(self, get_response):
        from partner_portal import health, metrics

        self.get_response = get_response
        self.probes = {
            "/healthz": health.healthz,
            "/readyz": health.readyz,
            "/metrics": metrics.metrics,
        }

    def __call__(self, request):
        probe = self.probes.get(request.path_info)
        if probe is not None and request.method in ("GET", "HEAD"):
            return probe(request)
        return self.get_response(request)
