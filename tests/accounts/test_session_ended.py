"""A dialog's request after the session ended answers 401, so the page keeps what was typed."""

import time

import pytest
from django.urls import reverse

from deals.models import Note

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


def test_session_ended_htmx_post_answers_401_not_the_login_page(client, alpha_deal):
    response = client.post(
        reverse("deal_note_add", args=[alpha_deal.pk]), {"text": "Gõ lâu"}, headers=HTMX
    )

    assert response.status_code == 401
    assert response["X-Session-Ended"] == "true"
    assert "WWW-Authenticate" in response
    assert b"<form" not in response.content
    assert Note.objects.count() == 0


def test_session_ended_plain_request_still_goes_to_the_login_page(client, alpha_deal):
    response = client.post(reverse("deal_note_add", args=[alpha_deal.pk]), {"text": "Gõ lâu"})

    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=")


def test_session_ended_by_the_idle_timeout_answers_htmx_with_401(
    alice_client, alpha_deal, settings
):
    session = alice_client.session
    session["last_seen_at"] = time.time() - settings.SESSION_IDLE_TIMEOUT.total_seconds() - 5
    session.save()

    response = alice_client.get(reverse("deal_note_add", args=[alpha_deal.pk]), headers=HTMX)

    assert response.status_code == 401


def test_session_check_gives_a_signed_in_browser_its_csrf_token(alice_client):
    response = alice_client.get(reverse("account_session"))

    assert response.status_code == 204
    assert len(response["X-CSRFToken"]) in (32, 64)
    assert "no-cache" in response["Cache-Control"]


def test_session_check_answers_401_when_signed_out(client):
    response = client.get(reverse("account_session"))

    assert response.status_code == 401
    assert response["X-Session-Ended"] == "true"


def test_session_check_token_passes_the_csrf_check_after_signing_in_again(alpha_deal, alice):
    """Signing in rotates the CSRF token: the page's old one is refused, the new one works."""
    from django.test import Client

    browser = Client(enforce_csrf_checks=True)
    browser.force_login(alice)
    old = browser.get(reverse("account_session"))["X-CSRFToken"]
    browser.logout()
    browser.force_login(alice)  # in another tab: the same cookies
    url = reverse("deal_note_add", args=[alpha_deal.pk])

    stale = browser.post(url, {"text": "Lần một", "csrfmiddlewaretoken": old}, headers=HTMX)
    fresh_token = browser.get(reverse("account_session"))["X-CSRFToken"]
    fresh = browser.post(url, {"text": "Lần hai", "csrfmiddlewaretoken": fresh_token}, headers=HTMX)

    assert stale.status_code == 403
    assert fresh.status_code == 200 and fresh["HX-Redirect"] == alpha_deal.get_absolute_url()
    assert list(Note.objects.values_list("text", flat=True)) == ["Lần hai"]
