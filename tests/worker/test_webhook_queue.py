"""Webhook POSTs go to their own Celery queue: a worker on the default queue sends the e-mails
and never waits on a partner's receiver; a worker on `webhooks` sends the POSTs.

Run on PostgreSQL with Redis up; skipped otherwise with the reason. In a file of its own: the
worker of test_webhooks.py takes both queues.
"""

import pytest

from deals.services import change_stage
from notifications.models import Delivery
from notifications.webhooks.models import WebhookDelivery
from notifications.webhooks.services import create_webhook_endpoint
from tests.api.receiver import Receiver
from tests.factories import DealFactory
from tests.worker.conftest import flush, start_worker, use_broker, wait_for

pytestmark = [pytest.mark.postgres, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def receiver(settings):
    settings.WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]
    server = Receiver().start()
    yield server
    server.stop()


def test_webhooks_have_their_own_queue_so_a_default_worker_never_waits_on_a_receiver(
    broker_url, smtp_server, receiver, alpha, alice, tmp_path
):
    """The default worker sends the win's e-mails and leaves the POST to a webhooks worker."""
    flush(broker_url)
    smtp_server.clear()
    create_webhook_endpoint(partner=alpha, by=alice, url=receiver.url, event_types=["deal.won"])
    deal = DealFactory(partner=alpha, created_by=alice, approved=True, stage="negotiation")
    mail = start_worker("mail", broker_url, tmp_path, smtp_server.port, queues="celery")
    try:
        use_broker(broker_url)
        change_stage(deal, "won", by=alice)
        wait_for(
            lambda: Delivery.objects.filter(channel="email", status="sent").exists(),
            120,
            "the win's e-mails sent by the default worker",
        )
        delivery = WebhookDelivery.objects.get()
        assert (delivery.status, delivery.attempts, receiver.received()) == ("pending", 0, [])
        hooks = start_worker(
            "webhooks-only",
            broker_url,
            tmp_path,
            queues="webhooks",
            WEBHOOK_ALLOWED_HOSTS="127.0.0.1",
        )
        try:
            wait_for(
                lambda: WebhookDelivery.objects.filter(status="delivered").exists(),
                120,
                "the webhook delivered by the webhooks worker",
            )
        finally:
            hooks.stop()
    finally:
        use_broker("")
        mail.stop()
        flush(broker_url)
    assert len(receiver.received()) == 1
