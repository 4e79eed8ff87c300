"""Prometheus metrics at `/metrics`: the web process's counters and the portal's state.

- Counters and histograms kept by each process (prometheus_client; with several gunicorn
  workers, `PROMETHEUS_MULTIPROC_DIR` adds them up across workers): requests by view, method
  and status with their latency (`portal_http_request_duration_seconds`, kept by
  `partner_portal.logs.AccessLogMiddleware`), django-prometheus's request, response and cache
  counters, SQL queries and their time (`portal_db_queries_total`,
  `portal_db_query_duration_seconds`: a wrapper on every connection, so the worker counts too),
  events recorded, e-mails and webhooks sent or failed, failed sign-ins (`web.metrics`).
- The portal's state, read from the database when Prometheus scrapes (`PortalCollector`, a
  handful of queries over partial indexes, whatever the history): deliveries waiting, being
  sent and failed, by channel; the delivery lag (age of the oldest event not yet handed out,
  and of the oldest e-mail and webhook waiting); the review queue and its overdue part.

Reachable only from `METRICS_ALLOWED_IPS` or with `Authorization: Bearer <METRICS_TOKEN>`:
404 when neither is set (the endpoint is off), 403 to anyone else.
"""

import hmac
import ipaddress
import logging
import os

from django.conf import settings
from django.db.models import Count, Min
from django.http import HttpResponse
from django.utils import timezone
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector

from web.net import client_ip

logger = logging.getLogger(__name__)

WAITING = ("pending", "sending", "failed")


def _age(oldest) -> float:
    return max((timezone.now() - oldest).total_seconds(), 0.0) if oldest else 0.0


class PortalCollector:
    """Gauges computed from the database at each scrape."""

    def collect(self):
        from deals.business_days import calendar, overdue_before
        from deals.review_queue import waiting
        from notifications.models import Delivery, Event
        from notifications.webhooks.models import WebhookDelivery

        deliveries = GaugeMetricFamily(
            "portal_deliveries",
            "Deliveries waiting, being sent or failed, by channel and state.",
            labels=["channel", "state"],
        )
        counts = {(channel, state): 0 for channel in ("email", "webhook") for state in WAITING}
        for row in (
            Delivery.objects.filter(channel="email", status__in=WAITING)
            .values("status")
            .annotate(n=Count("pk"))
        ):
            counts["email", row["status"]] = row["n"]
        for row in (
            WebhookDelivery.objects.filter(status__in=WAITING)
            .values("status")
            .annotate(n=Count("pk"))
        ):
            counts["webhook", row["status"]] = row["n"]
        for (channel, state), n in counts.items():
            deliveries.add_metric([channel, state], n)
        yield deliveries

        lag = GaugeMetricFamily(
            "portal_delivery_lag_seconds",
            "Age of the oldest event not yet handed to its recipients (fan_out), and of the "
            "oldest e-mail and webhook still waiting to be sent.",
            labels=["stage"],
        )
        unsent = ("pending", "sending")
        lag.add_metric(
            ["fan_out"],
            _age(
                Event.objects.filter(fanned_out_at__isnull=True).aggregate(t=Min("created_at"))["t"]
            ),
        )
        lag.add_metric(
            ["email"],
            _age(
                Delivery.objects.filter(channel="email", status__in=unsent).aggregate(
                    t=Min("created_at")
                )["t"]
            ),
        )
        lag.add_metric(
            ["webhook"],
            _age(
                WebhookDelivery.objects.filter(status__in=unsent).aggregate(t=Min("created_at"))[
                    "t"
                ]
            ),
        )
        yield lag

        cutoff = overdue_before(calendar(), timezone.localdate())
        yield GaugeMetricFamily(
            "portal_review_queue", "Registrations waiting for review.", value=waiting().count()
        )
        yield GaugeMetricFamily(
            "portal_review_queue_overdue",
            "Registrations waiting for review past REVIEW_SLA_BUSINESS_DAYS.",
            value=waiting().filter(submitted_at__lt=cutoff).count(),
        )


_portal_registry = CollectorRegistry(auto_describe=False)
_portal_registry.register(PortalCollector())


def process_registry():
    """This process's metrics, or every worker's with `PROMETHEUS_MULTIPROC_DIR`."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        MultiProcessCollector(registry)
        return registry
    return REGISTRY


def _allowed(request) -> bool:
    token = settings.METRICS_TOKEN
    given = request.headers.get("Authorization", "")
    if token and hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
        return True
    try:
        address = ipaddress.ip_address(client_ip(request))
    except ValueError:
        return False
    return any(address in network for network in settings.METRICS_ALLOWED_NETWORKS)


def metrics(request):
    if not (settings.METRICS_TOKEN or settings.METRICS_ALLOWED_NETWORKS):
        return HttpResponse(status=404)
    if not _allowed(request):
        return HttpResponse(status=403)
    try:
        state = generate_latest(_portal_registry)
    except Exception:  # noqa: BLE001 - the process's own metrics still answer
        logger.warning("portal metrics could not be read", exc_info=True)
        state = b""
    body = generate_latest(process_registry()) + state
    return HttpResponse(body, content_type=CONTENT_TYPE_LATEST)
