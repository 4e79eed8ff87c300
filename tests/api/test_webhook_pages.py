"""/team/webhooks/: rotate a secret, send a test event, pause and resume, as the API does."""

import pytest
from standardwebhooks.webhooks import Webhook

from notifications.models import Activity, Event, Kind
from notifications.webhooks.models import WebhookDelivery, WebhookEndpoint
from notifications.webhooks.services import create_webhook_endpoint
from tests.api.receiver import Receiver

pytestmark = pytest.mark.django_db

PUBLIC = "https://93.184.216.34/hooks/portal"


@pytest.fixture
def receiver(settings):
    settings.WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]
    server = Receiver().start()
    yield server
    server.stop()


@pytest.fixture
def endpoint(alpha, alice):
    return create_webhook_endpoint(partner=alpha, by=alice, url=PUBLIC, event_types=["deal.won"])


def test_rotating_shows_the_new_secret_once(alice_client, endpoint):
    old = endpoint.signing_secret

    response = alice_client.post(f"/team/webhooks/{endpoint.pk}/rotate/")

    assert response.status_code == 200
    endpoint.refresh_from_db()
    assert endpoint.signing_secret != old and endpoint.previous_signing_secret == old
    page = response.content.decode()
    assert "data-webhook-rotated" in page and endpoint.signing_secret in page
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]
    assert endpoint.signing_secret not in alice_client.get("/team/webhooks/").content.decode()
    assert Activity.objects.filter(action="webhook.secret_rotated").count() == 1


def test_a_test_event_reaches_the_receiver_signed_and_shows_in_the_log(
    alice_client, receiver, alpha, alice, django_capture_on_commit_callbacks
):
    endpoint = create_webhook_endpoint(
        partner=alpha, by=alice, url=receiver.url, event_types=["deal.won"]
    )

    with django_capture_on_commit_callbacks(execute=True):
        response = alice_client.post(f"/team/webhooks/{endpoint.pk}/test/", follow=True)

    assert response.status_code == 200
    event = Event.objects.get(kind=Kind.WEBHOOK_TEST)
    (request,) = receiver.received()
    assert Webhook(endpoint.signing_secret).verify(request["body"], request["headers"])["id"] == (
        event.pk
    )
    delivery = WebhookDelivery.objects.get()
    assert (delivery.endpoint, delivery.status) == (endpoint, "delivered")
    page = response.content.decode()
    assert f"#{event.pk}" in page and f'data-delivery="{delivery.pk}"' in page
    assert "webhook.test" in page


def test_pause_and_resume(alice_client, endpoint):
    response = alice_client.post(f"/team/webhooks/{endpoint.pk}/pause/", {"paused": "1"})

    assert response.status_code == 302
    endpoint.refresh_from_db()
    assert endpoint.paused is True
    page = alice_client.get("/team/webhooks/").content.decode()
    assert "Resume" in page
    alice_client.post(f"/team/webhooks/{endpoint.pk}/pause/", {"paused": "0"})
    endpoint.refresh_from_db()
    assert endpoint.paused is False
    assert Activity.objects.filter(action="webhook.endpoint_updated").count() == 2


@pytest.mark.parametrize("action", ["rotate", "test", "pause"])
def test_the_actions_are_post_only_for_admins_and_scoped(
    action, client, alice_client, endpoint, sam, bob
):
    url = f"/team/webhooks/{endpoint.pk}/{action}/"
    assert alice_client.get(url).status_code == 405
    client.force_login(sam)  # a member
    assert client.post(url, {"paused": "1"}).status_code == 403
    client.force_login(bob)  # another partner's admin
    assert client.post(url, {"paused": "1"}).status_code == 404
    endpoint.refresh_from_db()
    assert (endpoint.paused, endpoint.previous_signing_secret) == (False, "")
    assert WebhookDelivery.objects.count() == 0
    assert WebhookEndpoint.objects.count() == 1
