"""API tokens: the /team/tokens/ page and the rules of a bearer token."""

import pytest
from django.core.cache import cache
from django.utils import timezone

from accounts.services import change_role
from api.models import ApiToken
from api.services import revoke_api_token
from deals.models import Note
from notifications.models import Activity
from partners.models import Membership, Partner
from tests.api.conftest import ApiClient, make_token
from tests.factories import MembershipFactory
from web.digests import sha256_hex

pytestmark = pytest.mark.django_db


def test_token_page_creates_a_token_shown_once_and_stored_hashed(alice_client, alpha, alice):
    response = alice_client.post("/team/tokens/", {"name": "HubSpot sync", "access": "read_write"})

    assert response.status_code == 200
    secret = response.context["secret"]
    assert secret.startswith("pp_") and len(secret) > 40
    assert secret in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    token = ApiToken.objects.get()
    assert (token.partner, token.name, token.access, token.created_by) == (
        alpha,
        "HubSpot sync",
        ApiToken.Access.READ_WRITE,
        alice,
    )
    assert token.key_hash == sha256_hex(secret) and secret not in token.key_hash
    # Shown once: the list afterwards shows only the prefix.
    page = alice_client.get("/team/tokens/").content.decode()
    assert secret not in page and token.prefix in page and "HubSpot sync" in page


def test_token_page_refuses_a_blank_name(alice_client):
    response = alice_client.post("/team/tokens/", {"name": "  ", "access": "read"})

    assert response.status_code == 400
    assert ApiToken.objects.count() == 0


def test_token_page_is_for_admins_only(client, sam, alpha, alice):
    make_token(alpha, alice)
    client.force_login(sam)

    assert client.get("/team/tokens/").status_code == 403
    assert client.post("/team/tokens/", {"name": "x", "access": "read"}).status_code == 403
    assert ApiToken.objects.count() == 1


def test_top_bar_links_the_token_page_for_admins_only(client, alice, sam):
    client.force_login(alice)
    assert "/team/tokens/" in client.get("/").content.decode()
    client.force_login(sam)
    assert "/team/tokens/" not in client.get("/").content.decode()


def test_revoking_on_the_page_takes_effect_on_the_next_request(alice_client, alpha, alice):
    token, secret = make_token(alpha, alice)
    api = ApiClient(secret)
    assert api.get("/api/v1/deals/").status_code == 200

    response = alice_client.post(f"/team/tokens/{token.pk}/revoke/")

    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None and token.revoked_by == alice
    refused = api.get("/api/v1/deals/")
    assert refused.status_code == 401
    assert refused["Content-Type"] == "application/problem+json"
    assert refused["WWW-Authenticate"].startswith("Bearer")


def test_revoking_twice_is_refused_and_changes_nothing(alpha, alice):
    token, _secret = make_token(alpha, alice)
    revoke_api_token(token, by=alice)
    first = token.revoked_at

    with pytest.raises(Exception, match="already revoked"):
        revoke_api_token(token, by=alice)
    token.refresh_from_db()
    assert token.revoked_at == first


def test_another_partners_token_cannot_be_revoked(client, bob, alpha, alice):
    token, _secret = make_token(alpha, alice)
    client.force_login(bob)

    assert client.post(f"/team/tokens/{token.pk}/revoke/").status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


def test_revoke_is_post_only(alice_client, alpha, alice):
    token, _secret = make_token(alpha, alice)
    assert alice_client.get(f"/team/tokens/{token.pk}/revoke/").status_code == 405


def test_no_token_wrong_token_or_bad_header_is_401(anonymous_api, alpha_api):
    assert anonymous_api.get("/api/v1/deals/").status_code == 401
    assert ApiClient("pp_not-a-real-token").get("/api/v1/deals/").status_code == 401
    bad_header = anonymous_api.get("/api/v1/deals/", headers={"Authorization": "Bearer a b"})
    assert bad_header.status_code == 401
    assert bad_header.json()["status"] == 401


def test_last_use_is_recorded(alpha, alice):
    token, secret = make_token(alpha, alice)
    assert token.last_used_at is None

    ApiClient(secret).get("/api/v1/products/")

    token.refresh_from_db()
    assert token.last_used_at is not None
    assert (timezone.now() - token.last_used_at).total_seconds() < 60


def test_read_only_token_may_read_but_not_write(alpha_read_api, alpha_deal):
    assert alpha_read_api.get(f"/api/v1/deals/{alpha_deal.pk}/").status_code == 200

    response = alpha_read_api.post(f"/api/v1/deals/{alpha_deal.pk}/notes/", {"text": "hello"})

    assert response.status_code == 403
    assert "read-only" in response.json()["detail"]
    assert alpha_deal.notes.count() == 0


def test_token_stops_when_its_creator_leaves_the_organisation(alpha, alice):
    _token, secret = make_token(alpha, alice)
    Membership.objects.filter(user=alice).delete()

    assert ApiClient(secret).get("/api/v1/deals/").status_code == 401


def test_token_of_a_suspended_partner_is_refused(alpha, alice):
    _token, secret = make_token(alpha, alice)
    Partner.objects.filter(pk=alpha.pk).update(status=Partner.Status.SUSPENDED)

    response = ApiClient(secret).get("/api/v1/deals/")

    assert response.status_code == 403


def test_rate_limit_answers_429_with_retry_after(settings, alpha, alice):
    settings.API_RATE_LIMIT = "3/minute"
    cache.clear()
    token, secret = make_token(alpha, alice)
    api = ApiClient(secret)

    codes = [api.get("/api/v1/products/").status_code for _ in range(4)]

    assert codes == [200, 200, 200, 429]
    limited = api.get("/api/v1/products/")
    assert limited["Content-Type"] == "application/problem+json"
    assert 1 <= int(limited["Retry-After"]) <= 60
    # Per token: another token of the same partner has its own budget.
    _other, other_secret = make_token(alpha, alice, name="Other")
    assert ApiClient(other_secret).get("/api/v1/products/").status_code == 200
    cache.clear()


def test_staff_see_tokens_in_admin_and_revoke_a_leaked_one(client, staff, alpha, alice):
    token, secret = make_token(alpha, alice, name="Leaked")
    client.force_login(staff)

    listing = client.get("/admin/api/apitoken/")
    assert listing.status_code == 200 and "Leaked" in listing.content.decode()
    assert secret not in listing.content.decode()
    response = client.post(
        "/admin/api/apitoken/", {"action": "revoke_tokens", "_selected_action": [token.pk]}
    )

    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_by == staff
    assert ApiClient(secret).get("/api/v1/deals/").status_code == 401
    assert client.get(f"/admin/api/apitoken/{token.pk}/change/").status_code == 200
    assert client.get("/admin/notifications/webhookendpoint/").status_code == 200


def test_a_demoted_admins_tokens_stop_until_they_are_an_admin_again(
    client, alpha, alice, alpha_deal
):
    second = MembershipFactory(partner=alpha, user__email="an@alpha.test", role="admin").user
    _token, secret = make_token(alpha, alice)
    api = ApiClient(secret)
    assert api.post(f"/api/v1/deals/{alpha_deal.pk}/notes/", {"text": "Before"}).status_code == 201

    change_role(membership=alice.membership, role="member", by=second)
    write = api.post(f"/api/v1/deals/{alpha_deal.pk}/notes/", {"text": "After"})
    read = api.get("/api/v1/deals/")
    client.force_login(second)
    page = client.get("/team/tokens/").content.decode()

    assert (write.status_code, read.status_code) == (401, 401)
    assert "no longer an admin" in write.json()["detail"]
    assert list(Note.objects.values_list("text", flat=True)) == ["Before"]
    assert "Stopped" in page and "alice@alpha.test is no longer an admin" in page
    entry = Activity.objects.get(action="team.role_changed")
    assert (entry.actor, entry.changes, entry.data) == (
        second,
        {"role": ["admin", "member"]},
        {"api_tokens": "stopped"},
    )

    change_role(membership=alice.membership, role="admin", by=second)

    assert api.get("/api/v1/deals/").status_code == 200
    assert Activity.objects.filter(action="team.role_changed").first().data == {
        "api_tokens": "working again"
    }
