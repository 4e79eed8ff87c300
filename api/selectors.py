"""Reads on API tokens, scoped to a partner."""

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from api.models import ApiToken, WebhookEndpoint
from api.services import hash_key


def tokens_for_partner(partner) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(partner=partner).select_related("created_by", "revoked_by")


def get_token_for_partner(partner, pk) -> ApiToken:
    return get_object_or_404(tokens_for_partner(partner), pk=pk)


def token_for_secret(secret: str) -> ApiToken | None:
    """The active token with this secret, its partner and its creator's membership: one query."""
    return (
        ApiToken.objects.filter(key_hash=hash_key(secret), revoked_at__isnull=True)
        .select_related("partner", "created_by__membership")
        .first()
    )


def webhook_endpoints_for_partner(partner) -> QuerySet[WebhookEndpoint]:
    return WebhookEndpoint.objects.filter(partner=partner).select_related("created_by")


def get_webhook_endpoint_for_partner(partner, pk) -> WebhookEndpoint:
    return get_object_or_404(webhook_endpoints_for_partner(partner), pk=pk)
