from django.conf import settings
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.decorators import api_view, authentication_classes, permission_classes
from rest_framework.exceptions import APIException, NotFound, ValidationError
from rest_framework.generics import GenericAPIView

from api.etags import content_etag, none_match
from api.serializers import StrictSerializer
from api.throttling import TokenRateThrottle, policy_header


class PayloadTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = _("The request body is too large.")
    default_code = "too_large"


def _language(request) -> str:
    """Accept-Language when it names a language we speak; else the portal's choice."""
    from django.utils.translation.trans_real import parse_accept_lang_header

    for code, _q in parse_accept_lang_header(request.headers.get("Accept-Language", "")):
        try:
            return translation.get_supported_language_variant(code)
        except LookupError:
            continue
    return translation.get_language() or settings.LANGUAGE_CODE


def in_language(request, handler, *args, **kwargs):
    """Answer in the request's language, and say which one; a cache keeps one answer per
    Accept-Language (Vary), since the words differ with it."""
    language = _language(request)
    with translation.override(language):
        response = handler(request, *args, **kwargs)
    response["Content-Language"] = language
    patch_vary_headers(response, ("Accept-Language",))
    return response


def body_limit(request) -> int:
    """JSON bodies stay small; a multipart upload may carry the files the portal accepts."""
    if request.content_type.startswith("multipart/"):
        return settings.ATTACHMENT_MAX_BYTES * settings.ATTACHMENT_MAX_FILES + 1024 * 1024
    return settings.API_MAX_BODY_BYTES


class NoBodySerializer(StrictSerializer):
    """No field: any field sent is unknown."""


class PartnerAPIView(GenericAPIView):
    # Every API view: the token's partner (or its sandbox) is `self.partner`; errors are
    # problem details.
    # (A comment, not a docstring: the schema would show it on every operation.)

    # No OPTIONS: the OpenAPI schema describes the operations; DRF's metadata would need one
    # serializer per view.
    http_method_names = ["get", "post", "patch", "head"]
    query_serializer = None
    paginated = False  # a list: GET takes cursor and limit
    sorts: dict[str, str] = {}
    sandbox_header = True  # `Sandbox: true` on a sandbox token's answers (api.schema)

    def dispatch(self, request, *args, **kwargs):
        return in_language(request, super().dispatch, *args, **kwargs)

    def get_throttles(self):
        # Kept: their state gives every answer its RateLimit headers (finalize_response).
        self._throttles = super().get_throttles()
        return self._throttles

    def finalize_response(self, request, response, *args, **kwargs):
        """Every answer carries its RateLimit headers. A single resource's 200 carries an ETag
        (the view's, else one of its JSON); a GET whose If-None-Match names it is answered
        304 without a body. Lists have none: they change with every row and a page's JSON
        would have to be made twice."""
        response = super().finalize_response(request, response, *args, **kwargs)
        for name, value in self.rate_limit_headers(request).items():
            response[name] = value
        # The token as authenticated, never authenticating here (a 413 comes before that).
        if self.sandbox_header and getattr(request.__dict__.get("_auth"), "is_sandbox", False):
            response["Sandbox"] = "true"
        if request.method not in ("GET", "HEAD") or response.status_code != 200:
            return response
        if self.paginated or getattr(response, "data", None) is None:
            return response
        if not response.has_header("ETag"):
            response["ETag"] = content_etag(response.data)
        if none_match(request, response["ETag"]):
            response.status_code = status.HTTP_304_NOT_MODIFIED
            response.data = None
        return response

    def rate_limit_headers(self, request) -> dict[str, str]:
        """RateLimit-Policy and RateLimit from the token's counter: the one this request was
        counted in, else read without counting (an answer given before the throttle ran);
        only the policy when no token was recognised."""
        throttle = next(
            (t for t in getattr(self, "_throttles", ()) if isinstance(t, TokenRateThrottle)),
            None,
        )
        if throttle is None or throttle.history is None:
            if request.__dict__.get("_auth") is None:
                return {"RateLimit-Policy": policy_header()}
            throttle = TokenRateThrottle()
            throttle.peek(request, self)
        return throttle.headers()

    def initial(self, request, *args, **kwargs):
        # Before anything reads the body: a 10 MB JSON document is refused unread.
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > body_limit(request):
            raise PayloadTooLarge
        super().initial(request, *args, **kwargs)
        # An id past the database's bigint names nothing (SQLite would raise on it).
        if any(isinstance(value, int) and value >= 2**63 for value in kwargs.values()):
            raise NotFound
        method = request.method.lower()
        if method in self.http_method_names and hasattr(self, method):
            self.check_query_params(request)  # else 405 comes first

    def check_query_params(self, request):
        """A parameter the operation does not know is refused: `?stag=won` must not quietly
        list every deal."""
        known = set(self.query_serializer().fields) if self.query_serializer else set()
        if self.paginated and request.method == "GET":
            known |= {self.paginator.cursor_query_param, self.paginator.limit_query_param}
        unknown = sorted(set(request.query_params) - known)
        if unknown:
            raise ValidationError(
                {name: [_("Unknown query parameter.")] for name in unknown}, code="unknown"
            )

    @property
    def partner(self):
        """The organisation the token acts on: its partner, or that partner's sandbox."""
        return self.request.auth.acting_partner

    def query(self) -> dict:
        """The list's filters from the query string, checked (400 on a bad value)."""
        if self.query_serializer is None:
            return {}
        serializer = self.query_serializer(data=self.request.query_params)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    def valid(self, serializer_class, data=None) -> dict:
        serializer = serializer_class(
            data=self.request.data if data is None else data, context={"request": self.request}
        )
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)

    def no_body(self) -> None:
        """An action that takes no body (`request=None` in its schema) refuses one with fields,
        as every other body refuses a field it does not know: a typo is not ignored."""
        self.valid(NoBodySerializer)

    default_sort = "-pk"

    def ordering_for(self, request) -> str:
        """The model ordering of the list: the `sort` filter mapped through `sorts`."""
        sort = self.query().get("sort") or self.default_sort
        descending = sort.startswith("-")
        field = self.sorts.get(sort.lstrip("-"), sort.lstrip("-"))
        return f"-{field}" if descending else field


class UpdatedSinceMixin:
    """A list with `?updated_since=`: only rows changed at or after it, in update order
    (updated_at, id), keyset-paged on the (partner, updated_at, id) index."""

    def ordering_for(self, request) -> str:
        if self.query().get("updated_since") is not None:
            return "updated_at"
        return super().ordering_for(request)

    def changed_since(self, queryset):
        since = self.query().get("updated_since")
        return queryset if since is None else queryset.filter(updated_at__gte=since)


@extend_schema(exclude=True)
@api_view(["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"])
@authentication_classes([])
@permission_classes([])
def _not_found(request, *args, **kwargs):
    raise NotFound


@csrf_exempt  # no cookies, no session: the token is the credential
def not_found(request, *args, **kwargs):
    """Any other path under /api/: a 404 in problem details, not the portal's HTML page."""
    return in_language(request, _not_found, *args, **kwargs)
