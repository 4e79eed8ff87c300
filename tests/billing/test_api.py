"""/api/v1/cloud-accounts/ for partners and billing's /api/internal/v1/ with service tokens."""

from decimal import Decimal

import pytest

from billing.models import PartnerCredit, TopUp
from billing.services.credit import top_up
from billing.services.tokens import create_service_token, revoke_service_token
from tests.api.conftest import ApiClient, make_token

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _generous_rate_limit(settings):
    settings.API_RATE_LIMIT = "10000/minute"


@pytest.fixture
def alpha_api(alpha, alice):
    return ApiClient(make_token(alpha, alice)[1])


@pytest.fixture
def billing_api(staff):
    _token, secret = create_service_token(by=staff, name="Billing")
    return ApiClient(secret)


def test_partner_lists_and_reads_its_cloud_accounts(alpha_api, alpha_account):
    listing = alpha_api.get("/api/v1/cloud-accounts/")
    assert listing.status_code == 200
    assert [row["account_id"] for row in listing.json()["results"]] == ["acc-0001"]
    detail = alpha_api.get(f"/api/v1/cloud-accounts/{alpha_account.pk}/").json()
    assert (detail["status"], detail["credit"], detail["customer_name"]) == (
        "active",
        "0",
        "Công ty Mặt Trời",
    )


def test_another_partners_account_answers_404(beta, bob, alpha_account):
    beta_api = ApiClient(make_token(beta, bob)[1])
    assert beta_api.get(f"/api/v1/cloud-accounts/{alpha_account.pk}/").status_code == 404
    assert beta_api.get(f"/api/v1/cloud-accounts/{alpha_account.pk}/top-ups/").status_code == 404
    refused = beta_api.post(
        f"/api/v1/cloud-accounts/{alpha_account.pk}/top-ups/", {"amount": "1000"}
    )
    assert refused.status_code == 404
    assert beta_api.get("/api/v1/cloud-accounts/").json()["results"] == []


def test_api_top_up_replays_with_the_same_idempotency_key(
    alpha, alpha_api, alpha_account, alpha_credit
):
    url = f"/api/v1/cloud-accounts/{alpha_account.pk}/top-ups/"
    headers = {"Idempotency-Key": "topup-2026-001"}
    first = alpha_api.post(url, {"amount": "2500000", "note": "April"}, headers=headers)
    second = alpha_api.post(url, {"amount": "2500000", "note": "April"}, headers=headers)
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    assert second["Idempotent-Replayed"] == "true"
    assert TopUp.objects.count() == 1
    assert PartnerCredit.objects.get(partner=alpha).balance == Decimal(7_500_000)
    other = alpha_api.post(url, {"amount": "1"}, headers=headers)
    assert other.status_code == 422  # the same key with another body


def test_api_top_up_above_the_balance_is_a_conflict(alpha_api, alpha_account, alpha_credit):
    response = alpha_api.post(
        f"/api/v1/cloud-accounts/{alpha_account.pk}/top-ups/", {"amount": "20000000"}
    )
    assert response.status_code == 409
    assert response.json()["code"] == "insufficient"
    assert TopUp.objects.count() == 0


def test_internal_api_lists_pending_and_applies_idempotently(
    alpha, alice, billing_api, alpha_account, alpha_credit
):
    made = top_up(alpha_account, partner=alpha, amount="1000000", by=alice)
    queue = billing_api.get("/api/internal/v1/top-ups/")
    assert queue.status_code == 200
    rows = queue.json()["results"]
    assert [(r["id"], r["account_id"], r["amount"], r["partner_name"]) for r in rows] == [
        (made.pk, "acc-0001", "1000000", "Alpha Cloud Solutions")
    ]
    url = f"/api/internal/v1/top-ups/{made.pk}/apply/"
    first = billing_api.post(url, {"reference": "BILL-77"})
    again = billing_api.post(url, {"reference": "BILL-77"})
    assert first.status_code == again.status_code == 200
    assert first.json()["status"] == again.json()["status"] == "applied"
    assert "Idempotent-Replayed" not in first and again["Idempotent-Replayed"] == "true"
    alpha_account.refresh_from_db()
    assert alpha_account.credit == Decimal(1_000_000)
    made.refresh_from_db()
    assert made.decided_by_token.name == "Billing"
    assert billing_api.get("/api/internal/v1/top-ups/").json()["results"] == []
    failed = billing_api.post(f"/api/internal/v1/top-ups/{made.pk}/fail/", {"reason": "x"})
    assert failed.status_code == 409 and failed.json()["code"] == "already_applied"


def test_internal_api_fail_returns_the_credit(
    alpha, alice, billing_api, alpha_account, alpha_credit
):
    made = top_up(alpha_account, partner=alpha, amount="1000000", by=alice)
    response = billing_api.post(
        f"/api/internal/v1/top-ups/{made.pk}/fail/", {"reason": "Suspended"}
    )
    assert response.status_code == 200 and response.json()["failure_reason"] == "Suspended"
    assert PartnerCredit.objects.get(partner=alpha).balance == Decimal(10_000_000)
    assert (
        billing_api.post(f"/api/internal/v1/top-ups/{made.pk}/fail/", {"reason": "Suspended"})[
            "Idempotent-Replayed"
        ]
        == "true"
    )
    assert PartnerCredit.objects.get(partner=alpha).balance == Decimal(10_000_000)


def test_a_partner_token_is_refused_by_the_internal_api(
    alpha, alice, alpha_api, alpha_account, alpha_credit
):
    made = top_up(alpha_account, partner=alpha, amount="1000000", by=alice)
    assert alpha_api.get("/api/internal/v1/top-ups/").status_code == 401
    assert alpha_api.post(f"/api/internal/v1/top-ups/{made.pk}/apply/", {}).status_code == 401
    made.refresh_from_db()
    assert made.status == "pending"


def test_a_service_token_is_refused_by_the_partner_api(billing_api, alpha_account):
    assert billing_api.get("/api/v1/cloud-accounts/").status_code == 401


def test_no_token_and_a_revoked_token_are_refused(staff, billing_api):
    assert ApiClient().get("/api/internal/v1/top-ups/").status_code == 401
    token, secret = create_service_token(by=staff, name="Old")
    revoke_service_token(token, by=staff)
    assert ApiClient(secret).get("/api/internal/v1/top-ups/").status_code == 401


def test_only_staff_make_service_tokens(alice):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        create_service_token(by=alice, name="sneaky")


def test_the_schemas_keep_the_two_apis_apart(client):
    partner = client.get("/api/v1/schema/?format=json", HTTP_ACCEPT="application/json")
    internal = client.get("/api/internal/v1/schema/?format=json", HTTP_ACCEPT="application/json")
    assert partner.status_code == internal.status_code == 200
    partner_paths = (
        set(partner.json()["paths"]) if partner["Content-Type"].endswith("json") else set()
    )
    assert partner_paths, partner["Content-Type"]
    assert "/api/v1/cloud-accounts/" in partner_paths
    assert not any(p.startswith("/api/internal/") for p in partner_paths)
    assert set(internal.json()["paths"]) >= {
        "/api/internal/v1/top-ups/",
        "/api/internal/v1/top-ups/{id}/apply/",
    }
