"""webhook-endpoints/: the partner's webhook endpoints, managed by its admins' tokens.

The same services as /team/webhooks/ (notifications.webhooks.services): each change checks
that the token's user is an admin of the partner and writes the activity log. Reads check it
here, since no service runs.
"""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from api.errors import PROBLEM_JSON, service_problem
from api.etags import if_match_version, is_stale, precondition_failed, quoted
from api.idempotency import idempotent
from api.views.base import PartnerAPIView
from api.views.deals import CONDITIONAL_GET, ERRORS, ETAG, NOT_MODIFIED, READ_ERRORS
from api.webhooks import (
    StaleEndpointProblemSerializer,
    WebhookEndpointInSerializer,
    WebhookEndpointPatchSerializer,
    WebhookEndpointSerializer,
    WebhookEndpointWithSecretSerializer,
    WebhookTestSerializer,
)
from notifications.webhooks import selectors
from notifications.webhooks import services as webhooks
from partners.access import is_partner_admin

DELETE_ERRORS = {code: value for code, value in ERRORS.items() if code not in (413, 415)}

# Conditional changes (api.etags): the endpoint's ETag is its version.
IF_MATCH = OpenApiParameter(
    "If-Match",
    str,
    OpenApiParameter.HEADER,
    description=gettext_lazy(
        "The endpoint's ETag you read: the change is made only if the endpoint is still at "
        "that version, else 412 with the current endpoint. `*` or none: no condition."
    ),
)
STALE = {
    (412, PROBLEM_JSON): OpenApiResponse(
        response=StaleEndpointProblemSerializer,
        description=gettext_lazy("The endpoint changed since the version in If-Match."),
    )
}


class WebhookView(PartnerAPIView):
    # Only the partner's admins (their tokens) see or change its endpoints.
    http_method_names = ["get", "post", "patch", "delete", "head"]

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if not is_partner_admin(request.user, self.partner.pk):
            raise PermissionDenied(str(webhooks.ADMINS_ONLY))

    def endpoint(self, pk):
        return selectors.get_webhook_endpoint_for_partner(self.partner, pk)


def _json(endpoint) -> dict:
    return WebhookEndpointSerializer(endpoint).data


def _response(endpoint) -> Response:
    """The endpoint's JSON, with its version as the ETag (for a next change's If-Match)."""
    return Response(_json(endpoint), headers={"ETag": quoted(endpoint.version)})


def _stale_or_problem(view, pk, exc):
    """A stale If-Match is 412 with the current endpoint; any other refusal its problem."""
    if not is_stale(exc):
        return service_problem(exc)
    current = view.endpoint(pk)
    return precondition_failed(
        _json(current),
        quoted(current.version),
        detail=_(
            "The endpoint changed since the version you sent in If-Match. The current one is "
            "in “current” and its ETag in the ETag header: apply your change to it and send "
            "it with that ETag."
        ),
        title=_("The endpoint changed since you read it"),
    )


class WebhookEndpointList(WebhookView):
    paginated = True
    default_sort = "pk"

    @extend_schema(
        operation_id="webhook_endpoints_list",
        responses={200: WebhookEndpointSerializer(many=True), **READ_ERRORS},
        summary=gettext_lazy("The partner's webhook endpoints (admins' tokens)"),
    )
    def get(self, request):
        page = self.paginate_queryset(selectors.webhook_endpoints_for_partner(self.partner))
        return self.get_paginated_response(WebhookEndpointSerializer(page, many=True).data)

    @extend_schema(
        operation_id="webhook_endpoints_create",
        request=WebhookEndpointInSerializer,
        responses={201: WebhookEndpointWithSecretSerializer, **ERRORS},
        summary=gettext_lazy("Add a webhook endpoint; its signing secret is in this answer only"),
    )
    @idempotent
    def post(self, request):
        data = self.valid(WebhookEndpointInSerializer)
        try:
            created = webhooks.create_webhook_endpoint(
                partner=self.partner,
                by=request.user,
                url=data["url"],
                event_types=data["event_types"],
            )
        except ValidationError as exc:
            return service_problem(exc)
        body = WebhookEndpointWithSecretSerializer(created).data
        return Response(body, status=status.HTTP_201_CREATED)


class WebhookEndpointDetail(WebhookView):
    @extend_schema(
        operation_id="webhook_endpoints_retrieve",
        **CONDITIONAL_GET,
        responses={200: WebhookEndpointSerializer, **NOT_MODIFIED, **READ_ERRORS},
        summary=gettext_lazy("A webhook endpoint"),
    )
    def get(self, request, pk):
        return _response(self.endpoint(pk))

    @extend_schema(
        operation_id="webhook_endpoints_update",
        request=WebhookEndpointPatchSerializer,
        parameters=[IF_MATCH, ETAG],
        responses={200: WebhookEndpointSerializer, **ERRORS, **STALE},
        summary=gettext_lazy("Change a webhook endpoint's URL or events, or pause it"),
    )
    @idempotent
    def patch(self, request, pk):
        endpoint = self.endpoint(pk)
        version = if_match_version(request)
        data = self.valid(WebhookEndpointPatchSerializer)
        try:
            changed = webhooks.update_webhook_endpoint(
                endpoint,
                by=request.user,
                url=data.get("url"),
                event_types=data.get("event_types"),
                paused=data.get("paused"),
                expected_version=version,
            )
        except ValidationError as exc:
            return _stale_or_problem(self, pk, exc)
        return _response(changed)

    @extend_schema(
        operation_id="webhook_endpoints_destroy",
        request=None,
        parameters=[IF_MATCH, ETAG],
        responses={
            204: OpenApiResponse(description=gettext_lazy("Deleted.")),
            **DELETE_ERRORS,
            **STALE,
        },
        summary=gettext_lazy("Delete a webhook endpoint; its deliveries stay in the log"),
    )
    def delete(self, request, pk):
        endpoint = self.endpoint(pk)
        version = if_match_version(request)
        try:
            webhooks.delete_webhook_endpoint(endpoint, by=request.user, expected_version=version)
        except ValidationError as exc:
            return _stale_or_problem(self, pk, exc)
        return Response(status=status.HTTP_204_NO_CONTENT)


class WebhookEndpointRotate(WebhookView):
    @extend_schema(
        operation_id="webhook_endpoints_rotate_secret",
        request=None,
        parameters=[ETAG],
        responses={200: WebhookEndpointWithSecretSerializer, **ERRORS},
        summary=gettext_lazy("Rotate the signing secret (the new one is in this answer only)"),
        description=gettext_lazy(
            "Until `previous_secret_expires_at` every delivery carries two signatures, one with "
            "the previous secret and one with the new one, so your receiver can switch at its "
            "own pace."
        ),
    )
    @idempotent
    def post(self, request, pk):
        self.no_body()
        try:
            rotated = webhooks.rotate_webhook_secret(self.endpoint(pk), by=request.user)
        except ValidationError as exc:
            return service_problem(exc)
        # A rotation is a new version of the endpoint: its ETag, for the next If-Match.
        body = WebhookEndpointWithSecretSerializer(rotated).data
        return Response(body, headers={"ETag": quoted(rotated.version)})


class WebhookEndpointTest(WebhookView):
    @extend_schema(
        operation_id="webhook_endpoints_test",
        request=None,
        responses={202: WebhookTestSerializer, **ERRORS},
        summary=gettext_lazy("Send a `webhook.test` event to this endpoint"),
    )
    @idempotent
    def post(self, request, pk):
        self.no_body()
        try:
            delivery = webhooks.send_test_webhook(self.endpoint(pk), by=request.user)
        except ValidationError as exc:
            return service_problem(exc)
        body = WebhookTestSerializer(delivery).data
        return Response(body, status=status.HTTP_202_ACCEPTED)
