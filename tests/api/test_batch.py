"""deals/batch/: up to 100 registrations a call, each through register_deal, each with its own
result and its own idempotency key."""

import pytest
from django.core.cache import cache

from api.models import IdempotencyKey
from deals.models import Deal, StageChange
from notifications.models import Event
from tests.api.test_deals import registration

pytestmark = pytest.mark.django_db

BATCH = "/api/v1/deals/batch/"


def item(key=None, **overrides):
    body = {"deal": registration(**overrides)}
    if key is not None:
        body["key"] = key
    return body


def test_batch_registers_each_deal_and_answers_each_result(alpha_api, alpha, alice, vserver):
    items = [item("a", title="One", external_id="SF-1"), item("b", title="Two")]

    response = alpha_api.post(BATCH, {"items": items})

    assert response.status_code == 200
    results = response.json()["results"]
    deals = list(Deal.objects.order_by("pk"))
    assert [d.title for d in deals] == ["One", "Two"]
    assert [(r["index"], r["key"], r["status"], r["replayed"]) for r in results] == [
        (0, "a", 201, False),
        (1, "b", 201, False),
    ]
    assert [r["deal"]["id"] for r in results] == [d.pk for d in deals]
    assert results[0]["deal"]["external_id"] == "SF-1"
    assert results[0]["problem"] is None
    assert alpha_api.get(f"/api/v1/deals/{deals[0].pk}/").json() == results[0]["deal"]
    # The same effects as one registration each: history and events.
    assert StageChange.objects.filter(deal__in=deals).count() == 2
    assert Event.objects.filter(deal__in=deals, kind="deal_registered").count() == 2


def test_a_refused_item_leaves_the_others_registered(alpha_api, vserver):
    items = [
        item(title="Fine"),
        item(title="Too generous", rates=[{"product": "vserver", "rate": "25"}]),
        item(title="Fine", customer_tax_code="0312345678"),  # the first one again
        item(title="Also fine", external_id="SF-9"),
    ]

    response = alpha_api.post(BATCH, {"items": items})

    assert response.status_code == 200
    results = response.json()["results"]
    assert [r["status"] for r in results] == [201, 400, 400, 201]
    assert results[1]["deal"] is None
    assert results[1]["problem"]["errors"][0]["field"] == "rates"
    assert results[2]["problem"]["errors"][0]["field"] == "title"
    assert sorted(Deal.objects.values_list("title", flat=True)) == ["Also fine", "Fine"]


def test_an_item_refused_for_the_deals_state_has_the_single_calls_status(alpha_api, alpha, vserver):
    alpha.contracts.all().delete()

    response = alpha_api.post(BATCH, {"items": [item()]})

    result = response.json()["results"][0]
    assert (result["status"], result["problem"]["code"]) == (409, "no_contract")
    assert Deal.objects.count() == 0


def test_a_duplicate_external_id_in_one_batch_refuses_the_second(alpha_api, vserver):
    items = [item(title="A", external_id="SF-1"), item(title="B", external_id="SF-1")]

    results = alpha_api.post(BATCH, {"items": items}).json()["results"]

    assert [r["status"] for r in results] == [201, 400]
    assert results[1]["problem"]["errors"][0]["code"] == "duplicate_external_id"
    assert Deal.objects.count() == 1


def test_an_item_sent_again_with_its_key_is_replayed_not_registered_twice(alpha_api, vserver):
    first = alpha_api.post(BATCH, {"items": [item("k1", title="One")]}).json()["results"][0]

    again = alpha_api.post(BATCH, {"items": [item("k1", title="One"), item("k2", title="Two")]})

    results = again.json()["results"]
    assert [(r["key"], r["status"], r["replayed"]) for r in results] == [
        ("k1", 201, True),
        ("k2", 201, False),
    ]
    assert results[0]["deal"] == first["deal"]
    assert sorted(Deal.objects.values_list("title", flat=True)) == ["One", "Two"]
    assert IdempotencyKey.objects.filter(key__startswith="batch-item:").count() == 2


def test_an_item_key_reused_for_another_deal_is_refused(alpha_api, vserver):
    alpha_api.post(BATCH, {"items": [item("k1", title="One")]})

    result = alpha_api.post(BATCH, {"items": [item("k1", title="Other")]}).json()["results"][0]

    assert (result["status"], result["problem"]["code"]) == (422, "idempotency_key_reused")
    assert Deal.objects.count() == 1


def test_a_refused_item_keeps_its_key_free_for_the_corrected_deal(alpha_api, vserver):
    bad = item("k1", rates=[{"product": "vserver", "rate": "25"}])
    assert alpha_api.post(BATCH, {"items": [bad]}).json()["results"][0]["status"] == 400

    result = alpha_api.post(BATCH, {"items": [item("k1")]}).json()["results"][0]

    assert (result["status"], result["replayed"]) == (201, False)
    assert Deal.objects.count() == 1


def test_item_keys_are_the_tokens_own(alpha_api, beta_api, vserver):
    alpha_api.post(BATCH, {"items": [item("k1")]})

    result = beta_api.post(BATCH, {"items": [item("k1")]}).json()["results"][0]

    assert (result["status"], result["replayed"]) == (201, False)
    assert Deal.objects.count() == 2


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"items": []}, "items"),
        ({"items": [item()] * 101}, "items"),
        (
            {"items": [{"deal": registration(estimated_value="lots")}]},
            "items.0.deal.estimated_value",
        ),
        ({"items": [{"deal": registration(), "extra": 1}]}, "items.0.extra"),
        ({"items": [item("has space")]}, "items.0.key"),
        ({"deals": []}, "deals"),
    ],
)
def test_a_body_outside_the_schema_is_refused_whole(alpha_api, vserver, body, field):
    response = alpha_api.post(BATCH, body)

    assert response.status_code == 400
    assert field in [e["field"] for e in response.json()["errors"]]
    assert Deal.objects.count() == 0


def test_a_read_only_token_cannot_batch(alpha_read_api, vserver):
    response = alpha_read_api.post(BATCH, {"items": [item()]})

    assert response.status_code == 403
    assert Deal.objects.count() == 0


def test_batch_get_is_405(alpha_api):
    assert alpha_api.get(BATCH).status_code == 405


def test_a_batch_of_100_counts_once_against_the_rate_limit(alpha_api, vserver, settings):
    settings.API_RATE_LIMIT = "2/minute"
    cache.clear()
    items = [item(title=f"Deal {n}", customer_tax_code=f"03123456{n:02d}") for n in range(100)]

    first = alpha_api.post(BATCH, {"items": items})
    second = alpha_api.get("/api/v1/deals/", {"limit": 1})
    third = alpha_api.get("/api/v1/deals/", {"limit": 1})

    assert [r["status"] for r in first.json()["results"]] == [201] * 100
    assert (second.status_code, third.status_code) == (200, 429)
    assert Deal.objects.count() == 100
