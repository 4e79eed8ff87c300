"""Reads on webhook endpoints and their deliveries, scoped to a partner."""

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from notifications.webhooks.models import WebhookDelivery, WebhookEndpoint


def webhook_endpoints_for_partner(partner) -> QuerySet[WebhookEndpoint]:
    """The partner's endpoints not deleted; the deliveries below keep the deleted ones' log."""
    return WebhookEndpoint.objects.filter(partner=partner, deleted_at__isnull=True).select_related(
        "created_by"
    )


def get_webhook_endpoint_for_partner(partner, pk) -> WebhookEndpoint:
    return get_object_or_404(webhook_endpoints_for_partner(partner), pk=pk)


def webhook_deliveries_for_partner(partner) -> QuerySet[WebhookDelivery]:
    return WebhookDelivery.objects.filter(endpoint__partner=partner).select_related(
        "event", "endpoint"
    )


def webhook_log_for_partner(partner, *, limit: int) -> list[WebhookDelivery]:
    """The newest deliveries with their attempts (one query more)."""
    return list(webhook_deliveries_for_partner(partner).prefetch_related("attempt_log")[:limit])


def get_webhook_delivery_for_partner(partner, pk) -> WebhookDelivery:
    return get_object_or_404(
        webhook_deliveries_for_partner(partner).select_related("endpoint__partner"), pk=pk
    )
