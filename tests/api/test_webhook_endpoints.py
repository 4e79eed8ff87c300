"""webhook-endpoints/ through the API: an admin's token lists, adds, changes, pauses, rotates,
tests and deletes the partner's endpoints; every change in the activity log; deliveries
verified with the `standardwebhooks` library, as a partner's receiver would.

The receiver runs on 127.0.0.1 (allowed through WEBHOOK_ALLOWED_HOSTS); no broker: deliveries
are sent in-process after commit.
"""

from datetime import timedelta

import pytest
from django.utils import timezone
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from deals.services import change_stage
from notifications import services
from notifications.models import Activity, Delivery, Event, Kind
from notifications.webhooks.models import WebhookDelivery, WebhookEndpoint
from notifications.webhooks.services import create_webhook_endpoint
from partners.models import Membership
from tests.api.receiver import Receiver
from tests.factories import DealFactory

pytestmark = pytest.mark.django_db

PUBLIC = "https://93.184.216.34/hooks/portal"  # a literal public address: no DNS needed


@pytest.fixture
def receiver(settings):
    settings.WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]
    server = Receiver().start()
    yield server
    server.stop()


@pytest.fixture
def endpoint(alpha, alice):
    return create_webhook_endpoint(partner=alpha, by=alice, url=PUBLIC, event_types=["deal.won"])


def actions(endpoint) -> list[str]:
    return list(
        Activity.objects.filter(object_id=str(endpoint.pk), action__startswith="webhook.")
        .order_by("pk")
        .values_list("action", flat=True)
    )


def test_an_admin_adds_an_endpoint_and_gets_its_secret_once(alpha_api, alpha, alice):
    response = alpha_api.post(
        "/api/v1/webhook-endpoints/", {"url": PUBLIC, "event_types": ["deal.won", "deal.lost"]}
    )

    assert response.status_code == 201
    body = response.json()
    endpoint = WebhookEndpoint.objects.get()
    assert (endpoint.partner, endpoint.url, endpoint.event_types, endpoint.created_by) == (
        alpha,
        PUBLIC,
        ["deal.lost", "deal.won"],
        alice,
    )
    assert body["secret"] == endpoint.signing_secret and body["secret"].startswith("whsec_")
    assert body["id"] == endpoint.pk and body["paused"] is False
    listed = alpha_api.get("/api/v1/webhook-endpoints/").json()["results"]
    assert [item["id"] for item in listed] == [endpoint.pk]
    assert "secret" not in listed[0]
    assert "secret" not in alpha_api.get(f"/api/v1/webhook-endpoints/{endpoint.pk}/").json()
    assert actions(endpoint) == ["webhook.endpoint_created"]


def test_a_local_address_is_refused_naming_the_allow_list_and_nothing_is_saved(alpha_api):
    response = alpha_api.post(
        "/api/v1/webhook-endpoints/",
        {"url": "https://169.254.169.254/latest", "event_types": ["deal.won"]},
    )

    assert response.status_code == 400
    (error,) = response.json()["errors"]
    assert error["field"] == "url" and "WEBHOOK_ALLOWED_HOSTS" in error["detail"]
    assert WebhookEndpoint.objects.count() == 0


def test_unknown_fields_and_event_types_are_refused(alpha_api):
    response = alpha_api.post(
        "/api/v1/webhook-endpoints/",
        {"url": PUBLIC, "event_types": ["deal.eaten"], "secret": "mine"},
    )

    assert response.status_code == 400
    fields = {error["field"] for error in response.json()["errors"]}
    assert fields == {"event_types.0", "secret"} or fields == {"event_types", "secret"}
    assert WebhookEndpoint.objects.count() == 0


def test_an_admin_changes_url_events_and_pause(alpha_api, endpoint, alice):
    other = "https://93.184.216.35/other"
    response = alpha_api.patch(
        f"/api/v1/webhook-endpoints/{endpoint.pk}/",
        {"url": other, "event_types": ["deal.lost"], "paused": True},
    )

    assert response.status_code == 200
    assert (response.json()["url"], response.json()["paused"]) == (other, True)
    endpoint.refresh_from_db()
    assert (endpoint.url, endpoint.event_types, endpoint.paused) == (other, ["deal.lost"], True)
    entry = Activity.objects.get(action="webhook.endpoint_updated")
    assert entry.actor == alice
    assert entry.changes == {
        "url": [PUBLIC, other],
        "event_types": [["deal.won"], ["deal.lost"]],
        "paused": [False, True],
    }
    # The same values again change nothing and log nothing.
    assert (
        alpha_api.patch(f"/api/v1/webhook-endpoints/{endpoint.pk}/", {"paused": True}).status_code
        == 200
    )
    assert Activity.objects.filter(action="webhook.endpoint_updated").count() == 1


@pytest.mark.parametrize("action", ["rotate-secret", "test"])
def test_an_action_without_a_body_refuses_fields_and_does_nothing(alpha_api, endpoint, action):
    # Every body refuses a field it does not know; these take none (found by a hostile walk).
    path = f"/api/v1/webhook-endpoints/{endpoint.pk}/{action}/"
    secret = endpoint.signing_secret

    refused = alpha_api.post(path, {"event": "deal.won"})
    empty = alpha_api.post(path, raw="", content_type="application/json")

    assert refused.status_code == 400
    assert [(e["field"], e["code"]) for e in refused.json()["errors"]] == [
        ("event", "unknown_field")
    ]
    assert empty.status_code in (200, 202)
    endpoint.refresh_from_db()
    changed = 1 if action == "rotate-secret" else 0
    assert (endpoint.signing_secret != secret) == bool(changed)


def test_a_change_of_one_thing_keeps_what_another_admin_changed_since(endpoint, alice):
    from notifications.webhooks.services import update_webhook_endpoint

    stale = WebhookEndpoint.objects.get(pk=endpoint.pk)  # a page opened before the change
    newer = "https://93.184.216.35/newer"
    update_webhook_endpoint(endpoint, by=alice, url=newer, event_types=["deal.lost"])

    update_webhook_endpoint(stale, by=alice, paused=True)

    endpoint.refresh_from_db()
    assert (endpoint.url, endpoint.event_types, endpoint.paused) == (newer, ["deal.lost"], True)


def test_a_paused_endpoint_gets_nothing_until_resumed(
    alpha_api, receiver, alpha, alice, django_capture_on_commit_callbacks
):
    endpoint = create_webhook_endpoint(
        partner=alpha, by=alice, url=receiver.url, event_types=["deal.won", "deal.lost"]
    )
    receiver.answers = [500]
    first = DealFactory(partner=alpha, created_by=alice, approved=True, stage="negotiation")
    with django_capture_on_commit_callbacks(execute=True):
        change_stage(first, "won", by=alice)
    waiting = WebhookDelivery.objects.get()
    assert waiting.status == "pending"  # to be retried

    assert (
        alpha_api.patch(f"/api/v1/webhook-endpoints/{endpoint.pk}/", {"paused": True}).status_code
        == 200
    )
    second = DealFactory(partner=alpha, created_by=alice, approved=True, stage="negotiation")
    with django_capture_on_commit_callbacks(execute=True):
        change_stage(second, "lost", by=alice, lost_reason="Too dear")
    assert WebhookDelivery.objects.count() == 1  # nothing made for the paused endpoint
    WebhookDelivery.objects.update(next_attempt_at=timezone.now() - timedelta(minutes=5))
    services.sweep()
    assert len(receiver.received()) == 1  # the retry is held too

    with django_capture_on_commit_callbacks(execute=True):
        response = alpha_api.patch(f"/api/v1/webhook-endpoints/{endpoint.pk}/", {"paused": False})
    assert response.status_code == 200
    waiting.refresh_from_db()
    assert (waiting.status, waiting.attempts) == ("delivered", 2)
    assert len(receiver.received()) == 2


def test_rotating_signs_with_both_secrets_until_the_grace_period_ends(
    alpha_api, receiver, alpha, alice, settings, django_capture_on_commit_callbacks
):
    settings.WEBHOOK_SECRET_GRACE_HOURS = 24
    endpoint = create_webhook_endpoint(
        partner=alpha, by=alice, url=receiver.url, event_types=["deal.won"]
    )
    old = endpoint.signing_secret

    response = alpha_api.post(f"/api/v1/webhook-endpoints/{endpoint.pk}/rotate-secret/")

    assert response.status_code == 200
    new = response.json()["secret"]
    endpoint.refresh_from_db()
    assert new != old and endpoint.signing_secret == new
    assert endpoint.previous_signing_secret == old
    assert endpoint.previous_secret_expires_at > timezone.now() + timedelta(hours=23)
    with django_capture_on_commit_callbacks(execute=True):
        assert alpha_api.post(f"/api/v1/webhook-endpoints/{endpoint.pk}/test/").status_code == 202
    (request,) = receiver.received()
    assert len(request["headers"]["webhook-signature"].split(" ")) == 2
    for secret in (old, new):  # a receiver still on the old secret, and one already moved
        assert Webhook(secret).verify(request["body"], request["headers"])["type"] == (
            "webhook.test"
        )

    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
        previous_secret_expires_at=timezone.now() - timedelta(seconds=1)
    )
    with django_capture_on_commit_callbacks(execute=True):
        alpha_api.post(f"/api/v1/webhook-endpoints/{endpoint.pk}/test/")
    later = receiver.received()[-1]
    assert Webhook(new).verify(later["body"], later["headers"])
    with pytest.raises(WebhookVerificationError):
        Webhook(old).verify(later["body"], later["headers"])
    assert actions(endpoint) == [
        "webhook.endpoint_created",
        "webhook.secret_rotated",
        "webhook.test_sent",
        "webhook.test_sent",
    ]


def test_a_test_event_goes_to_that_endpoint_only_and_to_nobody_else(
    alpha_api, receiver, alpha, alice, django_capture_on_commit_callbacks
):
    endpoint = create_webhook_endpoint(
        partner=alpha, by=alice, url=receiver.url, event_types=["deal.won"]
    )
    create_webhook_endpoint(partner=alpha, by=alice, url=PUBLIC, event_types=["deal.won"])

    with django_capture_on_commit_callbacks(execute=True):
        response = alpha_api.post(f"/api/v1/webhook-endpoints/{endpoint.pk}/test/")

    assert response.status_code == 202
    event = Event.objects.get()
    assert response.json() == {
        "delivery": WebhookDelivery.objects.get().pk,
        "event": event.pk,
        "status": "pending",
    }
    assert event.kind == Kind.WEBHOOK_TEST
    (request,) = receiver.received()
    body = Webhook(endpoint.signing_secret).verify(request["body"], request["headers"])
    assert body["type"] == "webhook.test" and body["data"]["endpoint"] == endpoint.pk
    assert request["headers"]["webhook-id"] == str(event.pk)
    assert WebhookDelivery.objects.get().status == "delivered"
    assert Delivery.objects.count() == 0  # no e-mail, no bell
    assert alpha_api.get("/api/v1/events/").json()["results"] == []


def test_an_admin_deletes_an_endpoint(alpha_api, endpoint, alice):
    response = alpha_api.method("DELETE", f"/api/v1/webhook-endpoints/{endpoint.pk}/")

    assert response.status_code == 204
    endpoint.refresh_from_db()
    assert (endpoint.deleted_by, endpoint.deleted_at is not None) == (alice, True)
    assert alpha_api.get("/api/v1/webhook-endpoints/").json()["results"] == []
    assert alpha_api.get(f"/api/v1/webhook-endpoints/{endpoint.pk}/").status_code == 404
    assert actions(endpoint) == ["webhook.endpoint_created", "webhook.endpoint_deleted"]


def test_another_partners_endpoint_is_404_and_untouched(beta_api, endpoint):
    base = f"/api/v1/webhook-endpoints/{endpoint.pk}/"

    assert beta_api.get("/api/v1/webhook-endpoints/").json()["results"] == []
    assert beta_api.get(base).status_code == 404
    assert beta_api.patch(base, {"paused": True}).status_code == 404
    assert beta_api.method("DELETE", base).status_code == 404
    assert beta_api.post(base + "rotate-secret/").status_code == 404
    assert beta_api.post(base + "test/").status_code == 404
    endpoint.refresh_from_db()
    assert (endpoint.paused, endpoint.deleted_at, endpoint.previous_signing_secret) == (
        False,
        None,
        "",
    )
    assert WebhookDelivery.objects.count() == 0


def test_only_a_partner_admins_token_manages_endpoints(
    alpha_api, alpha_read_api, endpoint, alice, alpha
):
    base = f"/api/v1/webhook-endpoints/{endpoint.pk}/"
    # A read-only token reads but changes nothing.
    assert alpha_read_api.get(base).status_code == 200
    assert alpha_read_api.post(base + "rotate-secret/").status_code == 403

    # The token's user is no longer an admin: the token stops, reads included.
    Membership.objects.filter(user=alice, partner=alpha).update(role=Membership.Role.MEMBER)
    listed = alpha_api.get("/api/v1/webhook-endpoints/")
    assert listed.status_code == 401 and "no longer an admin" in listed.json()["detail"]
    assert alpha_api.patch(base, {"paused": True}).status_code == 401
    assert alpha_api.post(base + "test/").status_code == 401
    endpoint.refresh_from_db()
    assert (endpoint.paused, WebhookDelivery.objects.count()) == (False, 0)
    assert actions(endpoint) == ["webhook.endpoint_created"]


# --- If-Match: a change made against a stale copy of an endpoint is refused -------------------


def _url(endpoint) -> str:
    return f"/api/v1/webhook-endpoints/{endpoint.pk}/"


def test_an_endpoint_read_carries_its_version_as_etag_and_a_patch_with_it_applies(
    alpha_api, endpoint
):
    read = alpha_api.get(_url(endpoint))
    etag = read["ETag"]
    assert etag == f'"{endpoint.version}"'
    assert alpha_api.get(_url(endpoint), headers={"If-None-Match": etag}).status_code == 304

    changed = alpha_api.patch(_url(endpoint), {"paused": True}, headers={"If-Match": etag})

    assert changed.status_code == 200 and changed.json()["paused"] is True
    endpoint.refresh_from_db()
    assert endpoint.paused is True
    assert changed["ETag"] == f'"{endpoint.version}"' != etag  # the next change's If-Match


def test_a_patch_on_a_stale_copy_answers_412_with_the_current_endpoint(alpha_api, endpoint, alice):
    from notifications.webhooks.services import update_webhook_endpoint

    stale = alpha_api.get(_url(endpoint))["ETag"]
    # Another admin adds an event meanwhile (the bell or another tool of the partner's).
    update_webhook_endpoint(endpoint, by=alice, event_types=["deal.won", "deal.lost"])

    response = alpha_api.patch(
        _url(endpoint), {"event_types": ["deal.won"]}, headers={"If-Match": stale}
    )

    assert response.status_code == 412
    problem = response.json()
    assert (problem["status"], problem["code"]) == (412, "stale")
    assert problem["current"]["event_types"] == ["deal.lost", "deal.won"]
    endpoint.refresh_from_db()
    assert endpoint.event_types == ["deal.lost", "deal.won"]  # the other admin's change stands
    assert response["ETag"] == f'"{endpoint.version}"' != stale
    assert actions(endpoint) == ["webhook.endpoint_created", "webhook.endpoint_updated"]


def test_a_rotation_makes_a_copy_read_before_it_stale(alpha_api, endpoint, alice):
    from notifications.webhooks.services import rotate_webhook_secret

    before = alpha_api.get(_url(endpoint))["ETag"]
    rotate_webhook_secret(endpoint, by=alice)

    response = alpha_api.method("DELETE", _url(endpoint), headers={"If-Match": before})

    assert response.status_code == 412
    endpoint.refresh_from_db()
    assert endpoint.deleted_at is None
    assert response["ETag"] == alpha_api.get(_url(endpoint))["ETag"] != before


def test_a_delete_with_the_current_etag_or_none_deletes(alpha_api, alpha, alice, endpoint):
    current = alpha_api.get(_url(endpoint))["ETag"]
    assert (
        alpha_api.method("DELETE", _url(endpoint), headers={"If-Match": current}).status_code == 204
    )
    endpoint.refresh_from_db()
    assert endpoint.deleted_at is not None

    other = create_webhook_endpoint(
        partner=alpha, by=alice, url=PUBLIC + "/2", event_types=["deal.won"]
    )
    assert alpha_api.method("DELETE", _url(other), headers={"If-Match": "*"}).status_code == 204
    assert actions(other) == ["webhook.endpoint_created", "webhook.endpoint_deleted"]


def test_a_weak_or_unquoted_etag_never_matches(alpha_api, endpoint):
    version = endpoint.version
    for header in (f'W/"{version}"', version):
        response = alpha_api.patch(_url(endpoint), {"paused": True}, headers={"If-Match": header})
        assert response.status_code == 412
    endpoint.refresh_from_db()
    assert endpoint.paused is False


def test_the_service_compares_the_version_on_the_locked_row(endpoint, alice):
    from django.core.exceptions import ValidationError

    from notifications.webhooks.services import delete_webhook_endpoint, update_webhook_endpoint

    read = endpoint.version
    update_webhook_endpoint(endpoint, by=alice, paused=True)
    with pytest.raises(ValidationError) as refused:
        update_webhook_endpoint(endpoint, by=alice, paused=False, expected_version=read)
    assert refused.value.code == "stale"
    with pytest.raises(ValidationError):
        delete_webhook_endpoint(endpoint, by=alice, expected_version=read)
    endpoint.refresh_from_db()
    assert (endpoint.paused, endpoint.deleted_at) == (True, None)
    update_webhook_endpoint(endpoint, by=alice, paused=False, expected_version=endpoint.version)
    endpoint.refresh_from_db()
    assert endpoint.paused is False


def test_a_rotation_answers_with_the_endpoints_new_etag(alpha_api, endpoint):
    before = alpha_api.get(_url(endpoint))["ETag"]

    rotated = alpha_api.post(f"{_url(endpoint)}rotate-secret/")

    assert rotated.status_code == 200
    assert rotated["ETag"] == alpha_api.get(_url(endpoint))["ETag"] != before


def test_a_replayed_change_carries_the_etag_the_first_answer_gave(alpha_api, endpoint):
    """A retry with the same Idempotency-Key replays the first answer: its ETag too (the
    client's next If-Match), which the replay left out."""
    headers = {"If-Match": alpha_api.get(_url(endpoint))["ETag"], "Idempotency-Key": "k-1"}

    first = alpha_api.patch(_url(endpoint), {"paused": True}, headers=headers)
    again = alpha_api.patch(_url(endpoint), {"paused": True}, headers=headers)

    assert again["Idempotent-Replayed"] == "true"
    assert again["ETag"] == first["ETag"] == f'"{WebhookEndpoint.objects.get().version}"'
