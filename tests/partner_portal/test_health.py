"""The load balancer's probes: /healthz and /readyz, and the worker's heartbeat."""

import io
import time

import boto3
import pytest
from django.core.cache import cache
from django.core.management import CommandError, call_command
from django.db import connection

from partner_portal import health
from partner_portal.settings import s3_storage
from partner_portal.tasks import heartbeat

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_probes():
    health.forget()
    yield
    health.forget()


@pytest.fixture
def production(settings):
    """What the balancer meets in production: the HTTPS redirect on, one public host name."""
    settings.SECURE_SSL_REDIRECT = True
    settings.ALLOWED_HOSTS = ["partners.example.com"]


def test_healthz_answers_over_plain_http_to_the_servers_address(client, production):
    response = client.get("/healthz", HTTP_HOST="10.0.0.7:8000")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    # No session was opened and no cookie set.
    assert "Set-Cookie" not in response.headers
    assert not response.cookies


def test_healthz_reads_no_database(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert client.get("/healthz").status_code == 200


def test_readyz_reports_each_check(client, production):
    response = client.get("/readyz", HTTP_HOST="10.0.0.7")

    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "checks": {
            "database": "ok",
            "migrations": "ok",
            "redis": "skipped",
            "storage": "skipped",
        },
        "failed": [],
    }
    assert not response.cookies


def test_other_pages_still_redirect_and_check_the_host(client, production):
    assert client.get("/login/", HTTP_HOST="partners.example.com").status_code == 301
    assert client.get("/login/", HTTP_HOST="10.0.0.7").status_code == 400


def test_readyz_is_unready_while_a_migration_is_not_applied(client):
    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM django_migrations WHERE app = 'notifications' AND name = '0001_outbox'"
        )

    response = client.get("/readyz")

    assert response.status_code == 503
    assert response.json()["failed"] == ["migrations"]
    assert response.json()["checks"]["database"] == "ok"


def test_readyz_remembers_the_migration_check(client, django_assert_max_num_queries):
    client.get("/readyz")
    # The second probe runs SELECT 1 only: the migration graph is not read again.
    with django_assert_max_num_queries(1):
        assert client.get("/readyz").status_code == 200


def test_readyz_names_redis_when_it_does_not_answer(client, settings, monkeypatch):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    monkeypatch.setattr(health, "_redis_client", None)

    response = client.get("/readyz")

    assert response.status_code == 503
    assert response.json()["failed"] == ["redis"]


@pytest.fixture
def bucket(settings):
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    ).create_bucket(Bucket="probe")
    yield endpoint
    server.stop()


def _use_bucket(settings, endpoint, name):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": s3_storage(
            bucket=name,
            endpoint_url=endpoint,
            region="us-east-1",
            access_key="test",
            secret_key="test",
            addressing_style="path",
            max_attempts=1,
        ),
    }


@pytest.mark.s3
def test_readyz_checks_the_bucket(client, settings, bucket):
    _use_bucket(settings, bucket, "probe")
    assert client.get("/readyz").json()["checks"]["storage"] == "ok"


@pytest.mark.s3
def test_readyz_names_storage_when_the_bucket_is_missing(client, settings, bucket):
    _use_bucket(settings, bucket, "no-such-bucket")

    response = client.get("/readyz")

    assert response.status_code == 503
    assert response.json()["failed"] == ["storage"]


def test_readyz_with_worker_reads_the_heartbeat(client, settings):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:6379/15"

    stale = client.get("/readyz?worker=1")
    heartbeat.apply()
    fresh = client.get("/readyz?worker=1")

    assert (stale.status_code, stale.json()["failed"]) == (503, ["worker"])
    assert (fresh.status_code, fresh.json()["checks"]["worker"]) == (200, "ok")


def test_readyz_skips_the_worker_without_a_broker(client):
    assert client.get("/readyz?worker=1").json()["checks"]["worker"] == "skipped"


def test_check_worker_command(settings):
    with pytest.raises(CommandError, match="no heartbeat"):
        call_command("check_worker", stdout=io.StringIO())

    cache.set(health.HEARTBEAT_KEY, time.time() - settings.WORKER_HEARTBEAT_MAX_AGE - 1)
    with pytest.raises(CommandError, match="last heartbeat"):
        call_command("check_worker", stdout=io.StringIO())

    heartbeat.apply()
    out = io.StringIO()
    call_command("check_worker", stdout=out)
    assert out.getvalue().startswith("worker alive")
