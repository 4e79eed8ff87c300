"""/api/internal/v1/: billing's side of the money loop, with billing's service tokens only.

Billing reads the pending top-ups and applies or fails each. Both answers are idempotent by
the top-up's state: applying an applied top-up (or failing a failed one) answers 200 with
`Idempotent-Replayed: true` and changes nothing; the opposite answer is a 409.
"""

from django.conf import settings
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import extend_schema
from rest_framework import authentication, exceptions, permissions
from rest_framework.response import Response
from rest_framework.throttling import SimpleRateThrottle

from api import billing_serializers as s
from api.views.base import PartnerAPIView
from api.views.deals import ERRORS, READ_ERRORS
from billing import selectors
from billing.models import ServiceToken
from billing.services.credit import apply_top_up, fail_top_up
from billing.services.tokens import token_for_secret, touch_token


class ServiceTokenAuthentication(authentication.BaseAuthentication):
    """`Authorization: Bearer <service token>`: a token staff made for billing in admin. A
    partner's API token is not one (another table): it answers 401 here."""

    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(
                _("Send the token as “Authorization: Bearer <token>”.")
            )
        try:
            secret = header[1].decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed(_("Invalid token.")) from None
        token = token_for_secret(secret)
        if token is None:
            raise exceptions.AuthenticationFailed(_("Invalid or revoked token."))
        touch_token(token)
        return None, token

    def authenticate_header(self, request):
        return f'{self.keyword} realm="internal"'


class ServiceTokenScheme(OpenApiAuthenticationExtension):
    target_class = ServiceTokenAuthentication
    name = "serviceToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": gettext_lazy(
                "A billing service token created by VNG Cloud staff in admin."
            ),
        }


class ServiceTokenOnly(permissions.BasePermission):
    message = gettext_lazy("This API takes billing's service tokens only.")

    def has_permission(self, request, view):
        return isinstance(request.auth, ServiceToken)


class ServiceTokenThrottle(SimpleRateThrottle):
    scope = "service_token"

    def get_rate(self):
        return settings.API_RATE_LIMIT

    def get_cache_key(self, request, view):
        token = getattr(request, "auth", None)
        if token is None:
            return None
        return self.cache_format % {"scope": self.scope, "ident": token.pk}

    def allow_request(self, request, view):
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)


class InternalAPIView(PartnerAPIView):
    authentication_classes = [ServiceTokenAuthentication]
    permission_classes = [ServiceTokenOnly]
    throttle_classes = [ServiceTokenThrottle]
    sandbox_header = False  # billing has no sandbox

    @property
    def partner(self):  # billing acts for no partner
        raise AttributeError("partner")

    @property
    def token(self) -> ServiceToken:
        return self.request.auth


class TopUpQueue(InternalAPIView):
    paginated = True
    query_serializer = s.TopUpQuerySerializer
    default_sort = "created_at"  # oldest first, on the pending top-ups' own index

    @extend_schema(
        operation_id="internal_top_ups_list",
        parameters=[s.TopUpQuerySerializer],
        responses={200: s.BillingTopUpSerializer(many=True), **READ_ERRORS},
        summary=gettext_lazy("Top-ups by status (pending by default), oldest first"),
    )
    def get(self, request):
        wanted = self.query().get("status") or "pending"
        top_ups = selectors.pending_top_ups().model.objects.filter(status=wanted)
        top_ups = top_ups.select_related("cloud_account", "partner")
        page = self.paginate_queryset(top_ups)
        return self.get_paginated_response(s.BillingTopUpSerializer(page, many=True).data)


def _top_up(pk):
    return get_object_or_404(
        selectors.pending_top_ups().model.objects.select_related("cloud_account", "partner"), pk=pk
    )


class TopUpDetail(InternalAPIView):
    @extend_schema(
        operation_id="internal_top_ups_retrieve",
        responses={200: s.BillingTopUpSerializer, **READ_ERRORS},
        summary=gettext_lazy("A top-up"),
    )
    def get(self, request, pk):
        return Response(s.BillingTopUpSerializer(_top_up(pk)).data)


def _answer(made, changed: bool) -> Response:
    made = _top_up(made.pk)
    headers = {} if changed else {"Idempotent-Replayed": "true"}
    return Response(s.BillingTopUpSerializer(made).data, headers=headers)


class TopUpApply(InternalAPIView):
    @extend_schema(
        operation_id="internal_top_ups_apply",
        request=s.ApplyInSerializer,
        responses={200: s.BillingTopUpSerializer, **ERRORS},
        summary=gettext_lazy("The credit reached the account: the top-up is applied"),
    )
    def post(self, request, pk):
        data = self.valid(s.ApplyInSerializer)
        made, changed = apply_top_up(_top_up(pk), token=self.token, reference=data["reference"])
        return _answer(made, changed)


class TopUpFail(InternalAPIView):
    @extend_schema(
        operation_id="internal_top_ups_fail",
        request=s.FailInSerializer,
        responses={200: s.BillingTopUpSerializer, **ERRORS},
        summary=gettext_lazy("The credit could not be applied: it returns to the partner"),
    )
    def post(self, request, pk):
        data = self.valid(s.FailInSerializer)
        made, changed = fail_top_up(_top_up(pk), token=self.token, reason=data["reason"])
        return _answer(made, changed)
