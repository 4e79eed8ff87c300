"""Retries and order with a real Celery worker: every documented attempt is made on the
documented backoff, and after an outage each address and endpoint gets its events in the order
they happened.

The worker retries after 1, 2, 4, ... seconds (NOTIFICATION_RETRY_SECONDS and
WEBHOOK_RETRY_SECONDS = 1) and gives an e-mail NOTIFICATION_MAX_ATTEMPTS = 5 tries. No beat
runs: whatever is sent, the worker's own retries and hand-offs sent it, not the sweep.
Run on PostgreSQL with redis-server; skipped otherwise with the reason.
"""

import json
import time

import pytest

from deals.services import approve_deal, change_stage
from notifications.models import Delivery, Event
from notifications.webhooks.events import EVENT_TYPES
from notifications.webhooks.models import WebhookDelivery
from notifications.webhooks.services import create_webhook_endpoint
from tests.api.receiver import Receiver
from tests.factories import DealFactory
from tests.notifications.test_services import register
from tests.worker.conftest import flush, start_worker, use_broker, wait_for

pytestmark = [pytest.mark.postgres, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

MAX_ATTEMPTS = 5
BACKOFF = [1, 2, 4, 8]  # seconds between the 5 attempts


@pytest.fixture(scope="module")
def retry_worker(broker_url, smtp_server, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("retry-worker")
    flush(broker_url)
    worker = start_worker(
        "retries",
        broker_url,
        tmp,
        smtp_server.port,
        NOTIFICATION_MAX_ATTEMPTS=str(MAX_ATTEMPTS),
        NOTIFICATION_RETRY_SECONDS="1",
        WEBHOOK_RETRY_SECONDS="1",
        WEBHOOK_ALLOWED_HOSTS="127.0.0.1",
    )
    yield worker
    worker.stop()
    flush(broker_url)


@pytest.fixture
def broker(retry_worker, broker_url):
    use_broker(broker_url)
    yield retry_worker
    use_broker("")


@pytest.fixture
def receiver(settings):
    settings.WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]
    server = Receiver().start()
    yield server
    server.stop()


def gaps(times: list[float]) -> list[float]:
    return [round(later - earlier, 1) for earlier, later in zip(times, times[1:], strict=False)]


def assert_backoff(times: list[float]):
    """Each pause is the documented one: at least it, and not much more (a loaded machine)."""
    measured = gaps(times)
    assert len(measured) == len(BACKOFF), measured
    for pause, expected in zip(measured, BACKOFF, strict=True):
        assert expected - 0.2 <= pause <= expected + 3, measured


def test_an_email_is_tried_the_documented_number_of_times_on_the_backoff(
    broker, smtp, alpha, alice, staff
):
    deal = DealFactory(partner=alpha, created_by=alice)
    smtp.fail = True

    approve_deal(deal, by=staff)
    delivery = wait_for(
        lambda: Delivery.objects.filter(channel="email", status="failed").first(),
        60,
        "the e-mail failed for good after its last attempt",
    )

    assert (delivery.email, delivery.attempts) == ("alice@alpha.test", MAX_ATTEMPTS)
    assert smtp.refused == MAX_ATTEMPTS
    assert_backoff(smtp.refused_at)
    log = broker.log.read_text()
    assert "MaxRetriesExceeded" not in log
    time.sleep(2)
    assert smtp.refused == MAX_ATTEMPTS  # nothing after the last attempt


def test_a_webhook_is_retried_past_the_fourth_attempt_on_the_backoff(
    broker, smtp, receiver, alpha, alice
):
    create_webhook_endpoint(partner=alpha, by=alice, url=receiver.url, event_types=["deal.won"])
    deal = DealFactory(partner=alpha, created_by=alice, approved=True, stage="negotiation")
    receiver.answers = [503, 503, 503, 503]  # accepted on the 5th attempt

    change_stage(deal, "won", by=alice)
    delivery = wait_for(
        lambda: WebhookDelivery.objects.filter(status="delivered").first(),
        60,
        "the webhook delivered on its 5th attempt",
    )

    assert (delivery.attempts, delivery.last_response_code) == (5, 204)
    requests = receiver.received()
    assert [r["code"] for r in requests] == [503, 503, 503, 503, 204]
    assert_backoff([r["at"] for r in requests])
    assert "MaxRetriesExceeded" not in broker.log.read_text()


def test_after_an_outage_an_endpoint_gets_its_events_in_order(
    broker, smtp, receiver, alpha, alice, staff, vserver
):
    endpoint = create_webhook_endpoint(
        partner=alpha, by=alice, url=receiver.url, event_types=list(EVENT_TYPES)
    )
    receiver.down = True

    deal = register(alpha, alice, vserver)  # deal.registered, while the receiver is down
    wait_for(lambda: len(receiver.received()) >= 3, 30, "3 failed attempts of deal.registered")
    # Its next attempt is 4 s away; the later events come now, and the receiver is back.
    approve_deal(deal, by=staff)
    change_stage(deal, "won", by=alice)
    receiver.down = False
    wait_for(
        lambda: (
            WebhookDelivery.objects.filter(endpoint=endpoint).count() == 4
            and not WebhookDelivery.objects.exclude(status="delivered").exists()
        ),
        60,
        "every event delivered",
    )

    accepted = [json.loads(r["body"]) for r in receiver.received() if r["code"] == 204]
    in_order = list(Event.objects.filter(partner=alpha).order_by("pk").values_list("pk", flat=True))
    assert [body["id"] for body in accepted] == in_order
    assert {body["type"] for body in accepted} == {
        "deal.registered",
        "deal.approved",
        "deal.won",
        "discount.issued",
    }
    assert accepted[0]["type"] == "deal.registered"
    # Nothing later was even tried before deal.registered got through.
    requests = receiver.received()
    first_accepted = [r["code"] for r in requests].index(204)
    tried_first = {json.loads(r["body"])["type"] for r in requests[: first_accepted + 1]}
    assert tried_first == {"deal.registered"}


def test_after_an_smtp_outage_an_address_gets_its_emails_in_order(
    broker, smtp, alpha, alice, staff
):
    deal = DealFactory(partner=alpha, created_by=alice)
    smtp.fail = True

    approve_deal(deal, by=staff)  # alice: "approved", while the mail server refuses
    wait_for(lambda: smtp.refused >= 3, 30, "3 refused tries of the approval e-mail")
    change_stage(deal, "won", by=alice)  # alice: "won", 4 s before the approval's next try
    smtp.fail = False
    wait_for(
        lambda: (
            Delivery.objects.filter(channel="email").count() >= 3
            and not Delivery.objects.filter(channel="email").exclude(status="sent").exists()
        ),
        60,
        "every e-mail sent",
    )

    assert [m["subject"] for m in smtp.to("alice@alpha.test")] == [
        "[VNG Cloud] Đăng ký được duyệt",
        "[VNG Cloud] Cơ hội thắng",
    ]
