"""Webhook delivery: each partner event POSTed, signed, to each subscribed endpoint; retried with
backoff, logged on /team/webhooks/, redelivered on request; never to another partner.

The receiver runs on 127.0.0.1, on a port the kernel picks (allowed through
WEBHOOK_ALLOWED_HOSTS). There is no
broker here: deliveries are sent in-process after commit and retried by the sweep that beat
runs (the real worker is in tests/worker/).
"""

import json
import threading
from datetime import timedelta

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from deals.models import Deal
from deals.services import change_stage
from notifications import services
from notifications.models import Event, Kind
from notifications.webhooks import deliveries
from notifications.webhooks.models import WebhookDelivery
from notifications.webhooks.services import (
    create_webhook_endpoint,
    delete_webhook_endpoint,
    redeliver_webhook,
)
from notifications.webhooks.transport import (
    DELIVERY_HEADER,
    EVENT_HEADER,
    SIGNATURE_HEADER,
    new_secret,
    verify_signature,
)
from tests.api.conftest import ApiClient, make_token
from tests.api.receiver import Receiver
from tests.factories import DealFactory


@pytest.fixture
def receiver(settings):
    settings.WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]
    settings.WEBHOOK_RETRY_SECONDS = 0  # the sweep may retry at once
    settings.NOTIFICATION_SWEEP_GRACE_SECONDS = 0
    server = Receiver().start()
    yield server
    server.stop()


@pytest.fixture
def endpoint(receiver, alpha, alice):
    return create_webhook_endpoint(
        partner=alpha, by=alice, url=receiver.url, event_types=["deal.won", "deal.lost"]
    )


def win(deal, user, capture):
    with capture(execute=True):
        change_stage(deal, "won", by=user)


@pytest.mark.django_db
def test_a_won_deal_is_posted_signed_and_retried_until_the_receiver_takes_it(
    receiver, endpoint, alpha, alice, django_capture_on_commit_callbacks
):
    deal = DealFactory(partner=alpha, created_by=alice, approved=True, stage="negotiation")
    receiver.answers = [500, 503]  # fails twice, accepts the third attempt

    win(deal, alice, django_capture_on_commit_callbacks)

    delivery = WebhookDelivery.objects.get()
    assert (delivery.endpoint, delivery.status, delivery.attempts) == (endpoint, "pending", 1)
    assert (delivery.last_response_code, delivery.last_error) == (500, "HTTP 500")
    services.sweep()  # what beat runs every minute
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_error) == ("pending", 2, "HTTP 503")
    services.sweep()
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_response_code) == (
        "delivered",
        3,
        204,
    )
    assert delivery.delivered_at is not None and delivery.last_error == ""
    services.sweep()  # nothing left to send
    requests = receiver.received()
    assert len(requests) == 3
    event = Event.objects.get(kind=Kind.DEAL_WON)
    api = ApiClient(make_token(alpha, alice)[1])
    expected = {
        "id": event.pk,
        "type": "deal.won",
        "created_at": event.created_at.isoformat().replace("+00:00", "Z"),
        "deal": deal.pk,
        "data": {
            "deal": api.get(f"/api/v1/deals/{deal.pk}/").json(),
            "discount": api.get(f"/api/v1/discounts/{deal.discount.pk}/").json(),
        },
    }
    for request in requests:
        # What a partner's receiver does, with the Standard Webhooks library.
        assert Webhook(endpoint.signing_secret).verify(request["body"], request["headers"]) == (
            expected
        )
        assert request["headers"]["webhook-id"] == str(event.pk)  # the same on every retry
        assert request["headers"][EVENT_HEADER] == "deal.won"
        assert request["headers"][DELIVERY_HEADER] == str(delivery.pk)
        assert request["path"] == "/hooks/portal"
    assert expected["data"]["discount"]["lines"] != []
    with pytest.raises(WebhookVerificationError):
        Webhook(new_secret()).verify(requests[-1]["body"], requests[-1]["headers"])
    # The previous release's header is still there for receivers written for it.
    assert verify_signature(
        endpoint.secret, requests[-1]["headers"][SIGNATURE_HEADER], requests[-1]["body"]
    )
    assert list(delivery.attempt_log.values_list("number", "response_code", "error")) == [
        (1, 500, "HTTP 500"),
        (2, 503, "HTTP 503"),
        (3, 204, ""),
    ]


@pytest.mark.django_db
def test_only_subscribed_types_of_the_partners_own_events_are_delivered(
    receiver, endpoint, alpha, alice, beta, bob, django_capture_on_commit_callbacks
):
    create_webhook_endpoint(partner=beta, by=bob, url=receiver.url, event_types=["deal.won"])
    beta_deal = DealFactory(partner=beta, created_by=bob, approved=True, stage="negotiation")
    moved = DealFactory(partner=alpha, created_by=alice, approved=True, stage="proposal")

    with django_capture_on_commit_callbacks(execute=True):
        change_stage(moved, "negotiation", by=alice)  # deal.stage_changed: not subscribed

    assert WebhookDelivery.objects.count() == 0
    win(beta_deal, bob, django_capture_on_commit_callbacks)
    assert list(WebhookDelivery.objects.values_list("endpoint__partner", flat=True)) == [beta.pk]
    assert len(receiver.received()) == 1


@pytest.mark.django_db
def test_retries_stop_after_the_window_and_the_delivery_is_failed(
    receiver, endpoint, alpha, alice, settings, django_capture_on_commit_callbacks
):
    settings.WEBHOOK_RETRY_HOURS = 0  # the next try would fall outside the window
    receiver.answers = [500]
    deal = DealFactory(partner=alpha, created_by=alice, approved=True, stage="negotiation")

    win(deal, alice, django_capture_on_commit_callbacks)

    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.last_error) == ("failed", 1, "HTTP 500")
    services.sweep()
    assert len(receiver.received()) == 1


def test_backoff_doubles_up_to_an_hour(settings):
    from notifications.webhooks.deliveries import retry_delay

    settings.WEBHOOK_RETRY_SECONDS = 60
    assert [retry_delay(n) for n in (1, 2, 3, 7, 8, 20)] == [60, 120, 240, 3600, 3600, 3600]


@pytest.mark.django_db
def test_a_refused_url_is_logged_and_retried(
    receiver, endpoint, alpha, alice, settings, django_capture_on_commit_callbacks
):
    settings.WEBHOOK_ALLOWED_HOSTS = []  # the host no longer passes the check at send time
    deal = DealFactory(partner=alpha, created_by=alice, approved=True, stage="negotiation")

    win(deal, alice, django_capture_on_commit_callbacks)

    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "pending" and delivery.last_error.startswith("refused:")
    assert receiver.received() == []


@pytest.mark.django_db
def test_admin_sees_the_log_and_redelivers(
    client, receiver, endpoint, alpha, alice, sam, django_capture_on_commit_callbacks
):
    settings_deal = DealFactory(partner=alpha, created_by=alice, approved=True, stage="negotiation")
    receiver.answers = [500]
    win(settings_deal, alice, django_capture_on_commit_callbacks)
    delivery = WebhookDelivery.objects.get()
    client.force_login(alice)

    page = client.get("/team/webhooks/").content.decode()
    assert f'data-delivery="{delivery.pk}"' in page
    assert "deal.won" in page and "HTTP 500" in page

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/team/webhooks/deliveries/{delivery.pk}/redeliver/")
    assert response.status_code == 302
    delivery.refresh_from_db()
    # A new attempt of the same event: the history is kept, not reset.
    assert (delivery.status, delivery.attempts, delivery.last_response_code) == (
        "delivered",
        2,
        204,
    )
    assert len(receiver.received()) == 2

    # Redeliver again a delivered one: sent once more, with a fresh signature.
    with django_capture_on_commit_callbacks(execute=True):
        redeliver_webhook(delivery, by=alice)
    requests = receiver.received()
    assert len(requests) == 3
    assert delivery.give_up_at > timezone.now() + timedelta(hours=23)
    delivery.refresh_from_db()
    assert (delivery.attempts, delivery.attempts_at_redelivery) == (3, 2)
    assert list(delivery.attempt_log.values_list("number", "response_code")) == [
        (1, 500),
        (2, 204),
        (3, 204),
    ]
    # The receiver deduplicates on the event's id: the same on every attempt.
    assert {r["headers"]["webhook-id"] for r in requests} == {str(delivery.event_id)}
    for request in requests:
        Webhook(endpoint.signing_secret).verify(request["body"], request["headers"])
    page = client.get("/team/webhooks/").content.decode()
    assert "HTTP 500" in page and f'data-attempts="{delivery.pk}"' in page

    client.force_login(sam)  # a member, not an admin
    assert client.post(f"/team/webhooks/deliveries/{delivery.pk}/redeliver/").status_code == 403
    assert client.get("/team/webhooks/").status_code == 403
    assert len(receiver.received()) == 3


@pytest.mark.django_db
def test_deleting_an_endpoint_stops_it_and_keeps_its_deliveries_in_the_log(
    client, receiver, endpoint, alpha, alice, django_capture_on_commit_callbacks
):
    receiver.answers = [500]
    deal = DealFactory(partner=alpha, created_by=alice, approved=True, stage="negotiation")
    win(deal, alice, django_capture_on_commit_callbacks)
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "pending"  # waiting for its retry
    client.force_login(alice)

    assert client.post(f"/team/webhooks/{endpoint.pk}/delete/").status_code == 302

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_error) == (
        "failed",
        1,
        "endpoint deleted",
    )
    page = client.get("/team/webhooks/", headers={"Accept-Language": "en"}).content.decode()
    row = page.split(f'data-delivery="{delivery.pk}"')[1].split("</tr>")[0]
    assert receiver.url in row and "deleted" in row and "Redeliver" not in row
    response = client.post(f"/team/webhooks/deliveries/{delivery.pk}/redeliver/", follow=True)
    assert "nothing is sent to it any more" in response.content.decode()
    services.sweep()
    other = DealFactory(partner=alpha, created_by=alice, approved=True, stage="negotiation")
    win(other, alice, django_capture_on_commit_callbacks)  # no new delivery for it
    assert list(WebhookDelivery.objects.values_list("pk", "status")) == [(delivery.pk, "failed")]
    assert len(receiver.received()) == 1


@pytest.mark.django_db
def test_a_delivery_in_flight_when_its_endpoint_is_deleted_is_not_sent_again(
    receiver, endpoint, alpha, alice, django_capture_on_commit_callbacks
):
    receiver.answers = [500]
    deal = DealFactory(partner=alpha, created_by=alice, approved=True, stage="negotiation")
    win(deal, alice, django_capture_on_commit_callbacks)
    # A worker claimed it and died sending; meanwhile the admin deletes the endpoint.
    WebhookDelivery.objects.update(
        status="sending", claimed_at=timezone.now() - timedelta(minutes=16)
    )
    delete_webhook_endpoint(endpoint, by=alice)

    services.sweep()  # frees the stale row and hands it over again

    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.last_error) == (
        "failed",
        2,
        "endpoint deleted",
    )
    assert len(receiver.received()) == 1


@pytest.mark.django_db
def test_another_partners_delivery_is_404_and_untouched(
    client, receiver, endpoint, alpha, alice, bob, django_capture_on_commit_callbacks
):
    receiver.answers = [500]
    deal = DealFactory(partner=alpha, created_by=alice, approved=True, stage="negotiation")
    win(deal, alice, django_capture_on_commit_callbacks)
    delivery = WebhookDelivery.objects.get()
    client.force_login(bob)

    assert client.post(f"/team/webhooks/deliveries/{delivery.pk}/redeliver/").status_code == 404
    assert f'data-delivery="{delivery.pk}"' not in client.get("/team/webhooks/").content.decode()
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("pending", 1)
    assert len(receiver.received()) == 1


@pytest.mark.django_db
def test_staff_see_deliveries_in_admin(
    client, receiver, endpoint, staff, alpha, alice, django_capture_on_commit_callbacks
):
    deal = DealFactory(partner=alpha, created_by=alice, approved=True, stage="negotiation")
    win(deal, alice, django_capture_on_commit_callbacks)
    client.force_login(staff)

    response = client.get("/admin/notifications/webhookdelivery/")

    assert response.status_code == 200
    assert receiver.url in response.content.decode()
    delivery = WebhookDelivery.objects.get()
    page = client.get(f"/admin/notifications/webhookdelivery/{delivery.pk}/change/")
    assert page.status_code == 200
    assert "webhook attempts" in page.content.decode().lower()  # the attempts' history

    # Staff's Redeliver: one more attempt of the same event, the history kept.
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            "/admin/notifications/webhookdelivery/",
            {"action": "redeliver", "_selected_action": [delivery.pk]},
        )
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("delivered", 2)
    assert list(delivery.attempt_log.values_list("number", flat=True)) == [1, 2]
    ids = {request["headers"]["webhook-id"] for request in receiver.received()}
    assert ids == {str(delivery.event_id)}

    # An endpoint deleted since: nothing sent, and the page says why (it said "0 sent").
    from notifications.webhooks.services import delete_webhook_endpoint

    delete_webhook_endpoint(endpoint, by=alice)
    refused = client.post(
        "/admin/notifications/webhookdelivery/",
        {"action": "redeliver", "_selected_action": [delivery.pk]},
        follow=True,
    )
    said = [str(message) for message in refused.context["messages"]]
    assert said[-1].startswith(f"{delivery}: ") and "deleted" in said[-1]
    assert "0 deliveries sent again." not in said
    delivery.refresh_from_db()
    assert delivery.attempts == 2


@pytest.mark.django_db
def test_a_delivery_is_claimed_by_one_update_of_its_own_row(
    receiver, endpoint, alpha, alice, django_capture_on_commit_callbacks
):
    """The claim's conditions are on the row it updates, none in an `id IN (SELECT ...)`:
    PostgreSQL re-checks only a row's own conditions after waiting for another claim's lock,
    so a status read in a subquery let two racing senders both claim it (and POST it twice,
    as test_racing_fan_outs_and_sends_make_one_delivery_and_one_post saw once on a loaded
    machine)."""
    deal = DealFactory(partner=alpha, created_by=alice, approved=True, stage="negotiation")
    receiver.answers = [500]
    win(deal, alice, django_capture_on_commit_callbacks)  # the first try fails: pending again
    delivery = WebhookDelivery.objects.get()
    WebhookDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=None)

    with CaptureQueriesContext(connection) as queries:
        deliveries.deliver(delivery_id=delivery.pk)

    claim = 'UPDATE "api_webhookdelivery" SET "status" = \'sending\''
    claims = [q["sql"] for q in queries if q["sql"].startswith(claim)]
    assert len(claims) == 1, claims
    assert " IN (SELECT" not in claims[0] and "'pending'" in claims[0]
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("delivered", 2)


# --- races (PostgreSQL) ---------------------------------------------------------------------------


def _at_once(count, job):
    barrier = threading.Barrier(count)
    errors = []

    def run():
        try:
            barrier.wait(timeout=30)
            job()
        except Exception as exc:  # noqa: BLE001 - reported in the assertion
            errors.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return errors


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_racing_fan_outs_and_sends_make_one_delivery_and_one_post(receiver, alpha, alice):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: row locks and concurrent connections")
    endpoint = create_webhook_endpoint(
        partner=alpha, by=alice, url=receiver.url, event_types=["deal.won"]
    )
    deal = DealFactory(partner=alpha, created_by=alice, approved=True, stage="negotiation")
    change_stage(deal, "won", by=alice)  # committed; its after-commit hand-off ran already
    event = Event.objects.get(kind=Kind.DEAL_WON, deal=deal)
    WebhookDelivery.objects.all().delete()
    Event.objects.filter(pk=event.pk).update(fanned_out_at=None)
    before = len(receiver.received())

    errors = _at_once(4, lambda: services.enqueue_event(event.pk))

    assert errors == []
    delivery = WebhookDelivery.objects.get()
    assert (delivery.event_id, delivery.endpoint_id, delivery.status) == (
        event.pk,
        endpoint.pk,
        "delivered",
    )
    assert delivery.attempts == 1
    assert len(receiver.received()) == before + 1
    assert Deal.objects.get(pk=deal.pk).stage == "won"


@pytest.mark.django_db
def test_the_database_refuses_a_second_delivery_of_one_event_to_one_endpoint(
    receiver, endpoint, alpha, alice, django_capture_on_commit_callbacks
):
    deal = DealFactory(partner=alpha, created_by=alice, approved=True, stage="negotiation")
    win(deal, alice, django_capture_on_commit_callbacks)
    delivery = WebhookDelivery.objects.get()

    with pytest.raises(IntegrityError), transaction.atomic():
        WebhookDelivery.objects.create(
            event=delivery.event, endpoint=endpoint, give_up_at=delivery.give_up_at
        )
    assert WebhookDelivery.objects.count() == 1


@pytest.mark.django_db
def test_an_endpoint_gets_its_events_in_order_after_an_outage(
    receiver, endpoint, alpha, alice, settings, django_capture_on_commit_callbacks
):
    settings.WEBHOOK_RETRY_SECONDS = 60
    second = Receiver().start()
    try:
        other = create_webhook_endpoint(
            partner=alpha, by=alice, url=second.url, event_types=["deal.lost"]
        )
        first_deal, second_deal = (
            DealFactory(partner=alpha, created_by=alice, approved=True, stage="negotiation")
            for _ in range(2)
        )
        receiver.answers = [503]  # down for the first attempt

        win(first_deal, alice, django_capture_on_commit_callbacks)
        with django_capture_on_commit_callbacks(execute=True):
            change_stage(second_deal, "lost", by=alice, lost_reason="Budget")

        # The loss waits behind the win, which waits for its retry; another endpoint's line
        # does not wait.
        held = WebhookDelivery.objects.get(endpoint=endpoint, event__kind=Kind.DEAL_LOST)
        assert (held.status, held.attempts) == ("pending", 0)
        assert [r["headers"][EVENT_HEADER] for r in second.received()] == ["deal.lost"]
        assert WebhookDelivery.objects.get(endpoint=other).status == "delivered"

        WebhookDelivery.objects.filter(status="pending").update(next_attempt_at=timezone.now())
        services.sweep()
    finally:
        second.stop()

    types = [r["headers"][EVENT_HEADER] for r in receiver.received()]
    assert types == ["deal.won", "deal.won", "deal.lost"]
    assert set(
        WebhookDelivery.objects.filter(endpoint=endpoint).values_list("status", flat=True)
    ) == {"delivered"}


@pytest.mark.django_db
def test_a_delivery_waits_for_an_earlier_event_still_being_fanned_out(
    receiver, endpoint, alpha, alice, alpha_deal, django_capture_on_commit_callbacks
):
    # An earlier win of the partner, committed, its hand-off not yet done by the worker.
    earlier = DealFactory(partner=alpha, created_by=alice, approved=True, stage="negotiation")
    change_stage(earlier, "won", by=alice)

    win(alpha_deal, alice, django_capture_on_commit_callbacks)
    later = WebhookDelivery.objects.get()

    assert (later.status, later.attempts, receiver.received()) == ("pending", 0, [])
    assert services.send_webhook(delivery_id=later.pk) == 2  # a short wait, no attempt counted

    with django_capture_on_commit_callbacks(execute=True):
        for event in Event.objects.filter(fanned_out_at__isnull=True).order_by("pk"):
            services.enqueue_event(event.pk)
    services.sweep(now=timezone.now() + timedelta(minutes=1))

    bodies = [json.loads(r["body"]) for r in receiver.received()]
    assert [(b["type"], b["deal"]) for b in bodies] == [
        ("deal.won", earlier.pk),
        ("deal.won", alpha_deal.pk),
    ]
