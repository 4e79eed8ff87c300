"""A `deal.won` webhook delivered by a real Celery worker: signed, retried after the receiver's
failures, delivered once.

Run on PostgreSQL with Redis up; skipped otherwise with the reason.
"""

import pytest
from standardwebhooks.webhooks import Webhook

from deals.services import change_stage
from notifications.webhooks.models import WebhookDelivery
from notifications.webhooks.services import create_webhook_endpoint
from tests.api.receiver import Receiver
from tests.factories import DealFactory
from tests.worker.conftest import flush, start_worker, use_broker, wait_for

pytestmark = [pytest.mark.postgres, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture(scope="module")
def webhook_worker(broker_url, smtp_server, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("webhook-worker")
    flush(broker_url)
    worker = start_worker(
        "hooks",
        broker_url,
        tmp,
        smtp_server.port,  # the win's e-mails go somewhere too
        WEBHOOK_ALLOWED_HOSTS="127.0.0.1",
        WEBHOOK_RETRY_SECONDS="1",
    )
    yield worker
    worker.stop()
    flush(broker_url)


@pytest.fixture
def receiver(settings):
    settings.WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]
    server = Receiver().start()
    yield server
    server.stop()


def test_the_worker_delivers_a_signed_deal_won_after_two_failures(
    webhook_worker, broker_url, receiver, alpha, alice
):
    endpoint = create_webhook_endpoint(
        partner=alpha, by=alice, url=receiver.url, event_types=["deal.won"]
    )
    deal = DealFactory(partner=alpha, created_by=alice, approved=True, stage="negotiation")
    receiver.answers = [500, 502]
    use_broker(broker_url)
    try:
        change_stage(deal, "won", by=alice)
        delivery = wait_for(
            lambda: WebhookDelivery.objects.filter(status="delivered").first(),
            120,
            "the webhook delivered",
        )
    finally:
        use_broker("")

    assert (delivery.endpoint_id, delivery.attempts, delivery.last_response_code) == (
        endpoint.pk,
        3,
        204,
    )
    requests = receiver.received()
    assert len(requests) == 3
    for request in requests:  # as the partner's receiver checks them
        body = Webhook(endpoint.signing_secret).verify(request["body"], request["headers"])
        assert body["type"] == "deal.won" and body["data"]["deal"]["stage"] == "won"
        assert request["headers"]["webhook-id"] == str(body["id"])
    assert WebhookDelivery.objects.count() == 1
    assert list(delivery.attempt_log.values_list("number", "response_code")) == [
        (1, 500),
        (2, 502),
        (3, 204),
    ]
