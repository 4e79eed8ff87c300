from django.conf import settings
from django.core.exceptions import BadRequest
from django.utils import translation
from django.utils.cache import patch_vary_headers


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


class RefuseNulMiddleware:
    """A query string with a NUL character answers 400 (the portal's page).

    PostgreSQL cannot store or compare NUL in text, so a filter or search value with one
    (`/admin/deals/deal/?status=%00`) would fail deep in a query as a server error. No real
    link or form ever sends one.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if any("\x00" in key or "\x00" in value for key, value in _query_items(request.GET)):
            raise BadRequest("NUL character in the query string")
        return self.get_response(request)


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
