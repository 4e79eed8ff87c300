"""The event catalogue in the OpenAPI document: every type, its payload's schema and an example;
and the events a partner's deals really produce match the schema of their type."""

import json

import pytest
from openapi_schema_validator import OAS30Validator

from deals.services import approve_deal, change_stage, reject_deal, send_back_deal, void_win
from discounts.services import revoke_discount
from notifications.models import Event
from notifications.webhooks.events import EVENT_TYPES, TEST_TYPE, payload
from tests.api.conftest import ApiClient
from tests.factories import DealFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def document(client):
    response = ApiClient().get("/api/v1/schema/", {"format": "json"})
    assert response.status_code == 200
    return json.loads(response.content)


def _inline(node, schemas):
    """The schema with every $ref replaced by its component (the validator needs no resolver)."""
    if isinstance(node, dict):
        if "$ref" in node:
            return _inline(schemas[node["$ref"].rsplit("/", 1)[1]], schemas)
        return {key: _inline(value, schemas) for key, value in node.items()}
    if isinstance(node, list):
        return [_inline(item, schemas) for item in node]
    return node


def schema_of(document, name):
    body = document["x-webhooks"][name]["post"]["requestBody"]["content"]["application/json"]
    return _inline(body["schema"], document["components"]["schemas"]), body


def test_every_event_type_is_in_the_catalogue_with_a_valid_example(document):
    assert set(document["x-webhooks"]) == {*EVENT_TYPES, TEST_TYPE}
    for name in document["x-webhooks"]:
        schema, body = schema_of(document, name)
        (example,) = body["examples"].values()
        OAS30Validator(schema).validate(example["value"])
        assert example["value"]["type"] == name and example["value"]["data"]
        assert "webhook-signature" in document["x-webhooks"][name]["post"]["description"]


def test_real_events_match_the_schema_of_their_type(document, alpha, alice, staff):
    won = DealFactory(partner=alpha, created_by=alice, approved=True, stage="proposal")
    change_stage(won, "negotiation", by=alice)
    change_stage(won, "won", by=alice)
    void_win(won, by=staff, reason="Registered twice")
    revoked = DealFactory(partner=alpha, created_by=alice, approved=True, stage="negotiation")
    change_stage(revoked, "won", by=alice)
    revoked.refresh_from_db()
    revoke_discount(revoked.discount, by=staff, reason="Contract ended")
    lost = DealFactory(partner=alpha, created_by=alice, approved=True, stage="proposal")
    change_stage(lost, "lost", by=alice, lost_reason="Too dear")
    approve_deal(DealFactory(partner=alpha, created_by=alice), by=staff)
    send_back_deal(DealFactory(partner=alpha, created_by=alice), by=staff, comment="Fix the value")
    reject_deal(DealFactory(partner=alpha, created_by=alice), by=staff, reason="Not a customer")

    seen = set()
    for event in Event.objects.filter(partner=alpha).order_by("pk"):
        body = payload(event)
        if body["type"] is None:
            continue  # the reviewers' kinds
        seen.add(body["type"])
        schema, _body = schema_of(document, body["type"])
        OAS30Validator(schema).validate(json.loads(json.dumps(body)))
        assert body["data"], body["type"]
        if body["type"].startswith("deal."):
            assert body["data"]["deal"]["id"] == event.deal_id
    assert {
        "deal.stage_changed",
        "deal.won",
        "deal.win_voided",
        "deal.lost",
        "deal.approved",
        "deal.sent_back",
        "deal.rejected",
        "discount.issued",
        "discount.revoked",
    } <= seen
    issued = next(e for e in Event.objects.filter(kind="discount_issued"))
    assert payload(issued)["data"]["discount"]["lines"]
