"""Prometheus: /metrics only for the configured addresses or the token; the request, database,
cache and portal metrics in the scrape; the worker's task metrics on its own port."""

import socket
import urllib.request
from datetime import timedelta
from ipaddress import ip_network

import pytest
from celery import current_app, shared_task
from celery.app.trace import build_tracer
from django.core.cache import cache
from django.utils import timezone
from prometheus_client import REGISTRY

from notifications.models import Event
from partner_portal import worker_metrics
from tests.factories import DealFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def scraper(settings):
    settings.METRICS_ALLOWED_NETWORKS = [ip_network("10.0.0.0/8")]
    settings.METRICS_TOKEN = "metrics-secret"


def scrape(client, **headers):
    return client.get("/metrics", REMOTE_ADDR="10.1.2.3", HTTP_HOST="10.0.0.7:8000", **headers)


def test_metrics_are_off_unless_configured(client):
    assert client.get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 404


def test_metrics_refuse_an_address_not_allowed(client, scraper):
    response = client.get("/metrics", REMOTE_ADDR="203.0.113.5")
    assert response.status_code == 403
    assert b"portal_" not in response.content


def test_metrics_refuse_a_wrong_token(client, scraper):
    response = client.get(
        "/metrics", REMOTE_ADDR="203.0.113.5", HTTP_AUTHORIZATION="Bearer guessed"
    )
    assert response.status_code == 403


def test_metrics_answer_the_token_from_anywhere(client, scraper):
    response = client.get(
        "/metrics", REMOTE_ADDR="203.0.113.5", HTTP_AUTHORIZATION="Bearer metrics-secret"
    )
    assert response.status_code == 200


def test_the_scrape_holds_request_database_cache_and_portal_metrics(client, alice_client, scraper):
    alice_client.get("/deals/")
    cache.set("seen", 1)
    cache.get("seen"), cache.get("unseen")
    body = scrape(client).content.decode()

    assert scrape(client).status_code == 200
    for name in (
        'portal_http_request_duration_seconds_bucket{le="0.01",method="GET",status="200",'
        'view="deal_list"}',
        "portal_db_queries_total{",
        "portal_db_query_duration_seconds_bucket{",
        "django_http_requests_total_by_method_total{",
        'django_cache_get_hits_total{backend="locmem"}',
        'django_cache_get_misses_total{backend="locmem"}',
        'portal_deliveries{channel="email",state="pending"}',
        'portal_deliveries{channel="webhook",state="failed"}',
        'portal_delivery_lag_seconds{stage="fan_out"}',
        "portal_review_queue ",
        "portal_review_queue_overdue ",
        "portal_login_failures_total ",
    ):
        assert name in body, name


def _gauge(client, name: str) -> float:
    for line in scrape(client).content.decode().splitlines():
        if line.startswith(name + " "):
            return float(line.split()[-1])
    raise AssertionError(f"{name} not in the scrape")


def test_the_review_queue_and_its_overdue_part(client, scraper, alpha, alice):
    DealFactory(partner=alpha, created_by=alice, status="pending", submitted_at=timezone.now())
    DealFactory(
        partner=alpha,
        created_by=alice,
        status="pending",
        submitted_at=timezone.now() - timedelta(days=30),
    )

    assert _gauge(client, "portal_review_queue") == 2
    assert _gauge(client, "portal_review_queue_overdue") == 1


def test_the_delivery_lag_is_the_oldest_event_not_handed_out(client, scraper, alpha):
    Event.objects.create(
        kind="deal_won", partner=alpha, created_at=timezone.now() - timedelta(minutes=10)
    )

    assert _gauge(client, 'portal_delivery_lag_seconds{stage="fan_out"}') >= 600


def test_a_failed_sign_in_is_counted(client, scraper, alice):
    before = REGISTRY.get_sample_value("portal_login_failures_total") or 0

    client.post("/login/", {"login": "alice@alpha.test", "password": "wrong"})

    assert REGISTRY.get_sample_value("portal_login_failures_total") == before + 1


def test_a_won_deal_counts_its_events(alice_client, alpha_deal, django_capture_on_commit_callbacks):
    before = REGISTRY.get_sample_value("portal_events_recorded_total", {"kind": "deal_won"}) or 0

    with django_capture_on_commit_callbacks(execute=True):
        alice_client.post(
            f"/deals/{alpha_deal.pk}/stage/",
            {"stage": "won", "confirm_close": "on", "kind": "other"},
        )

    assert REGISTRY.get_sample_value("portal_events_recorded_total", {"kind": "deal_won"}) == (
        before + 1
    )


# --- the worker -----------------------------------------------------------------------------


@shared_task(bind=True, name="tests.metrics.flaky", max_retries=None)
def _flaky(self, outcome):
    if outcome == "retry":
        raise self.retry(countdown=60)
    if outcome == "fail":
        raise ValueError("broken")
    return "done"


def _run_as_worker(outcome: str):
    tracer = build_tracer(_flaky.name, _flaky, eager=False, propagate=False, app=current_app)
    request = {"id": f"task-{outcome}", "delivery_info": {}, "is_eager": False}
    tracer(f"task-{outcome}", [outcome], {}, request)


def _sample(name, **labels):
    return REGISTRY.get_sample_value(name, labels) or 0


def test_task_runtime_retries_and_failures_are_counted():
    name = "tests.metrics.flaky"
    runs = _sample("portal_celery_task_runtime_seconds_count", task=name, state="SUCCESS")
    retries = _sample("portal_celery_task_retries_total", task=name)
    failures = _sample("portal_celery_task_failures_total", task=name)

    _run_as_worker("ok")
    _run_as_worker("retry")
    _run_as_worker("fail")

    assert _sample("portal_celery_task_runtime_seconds_count", task=name, state="SUCCESS") == (
        runs + 1
    )
    assert _sample("portal_celery_task_retries_total", task=name) == retries + 1
    assert _sample("portal_celery_task_failures_total", task=name) == failures + 1


def test_the_worker_serves_its_metrics_on_its_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server, thread = worker_metrics.start_server(port, addr="127.0.0.1")
    try:
        # No proxy for a local address; a generous bound for a loaded machine (not a speed test).
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with opener.open(f"http://127.0.0.1:{port}/metrics", timeout=60) as response:
            body = response.read().decode()
    finally:
        server.shutdown()
        server.server_close()

    assert "portal_celery_task_runtime_seconds" in body
    assert "portal_celery_task_failures_total" in body


def test_a_connection_opened_inside_an_execute_wrapper_keeps_its_metrics_and_not_the_wrapper():
    """Django's `with connection.execute_wrapper(w)` takes off the last wrapper when it ends:
    the metrics wrapper of a connection opened inside it goes first, so `w` is the one taken
    off (a wrapper left behind each time nested a thousand deep in a benchmark's worker)."""
    from django.db import connection

    from web.metrics import count_queries

    def outer(execute, sql, params, many, context):
        return execute(sql, params, many, context)

    kept = [w for w in connection.execute_wrappers if not getattr(w, "portal_metrics", False)]
    connection.execute_wrappers[:] = kept
    with connection.execute_wrapper(outer):
        count_queries(connection)  # as connection_created calls it
    after = list(connection.execute_wrappers)

    assert outer not in after
    assert [getattr(w, "portal_metrics", False) for w in after] == [True] + [False] * len(kept)
