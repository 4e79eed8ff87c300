"""One-time submission keys: every portal form that creates something creates it once.

Each form is posted twice with the key it was rendered with (a double click, back and
resubmit, a retry after a network error): one row, and the repeat is sent where the first
answer went, with the first one's message, shown once.
"""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from accounts.models import Invitation
from api.models import ApiToken
from deals.models import Attachment, Deal, Note, StageChange
from discounts.models import CustomerDiscount
from notifications.webhooks.models import WebhookEndpoint
from web.models import SubmissionKey
from web.submissions import purge_submission_keys

pytestmark = pytest.mark.django_db

PUBLIC = "https://93.184.216.34/hooks/portal"  # a literal public address: no DNS needed


def rendered_key(client, url) -> str:
    """The key a GET of the form carries, as a browser would send it back."""
    html = client.get(url).content.decode()
    found = re.search(r'name="submission_key" value="([^"]+)"', html)
    assert found, f"{url} renders no submission key"
    return found.group(1)


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


@pytest.fixture
def forms(alpha_deal, vserver, vstorage, alice):
    """Each form that creates something: its page, what it posts, and what to count."""
    from deals.services import change_stage

    won = Deal.objects.create(
        partner=alpha_deal.partner,
        customer=alpha_deal.customer,
        title="Won for discounts",
        estimated_value=Decimal("100000000"),
        expected_close_date=timezone.localdate() + timedelta(days=30),
        created_by=alice,
        status=Deal.Status.APPROVED,
        stage=Deal.Stage.NEGOTIATION,
    )
    won.discount_rules.create(product=vserver, rate=Decimal("10"))
    change_stage(won, Deal.Stage.WON, by=alice)
    discount = won.discount
    deal_url = alpha_deal.get_absolute_url()
    closing = Deal.objects.create(
        partner=alpha_deal.partner,
        customer=alpha_deal.customer,
        title="Closed twice by a double click",
        estimated_value=Decimal("100000000"),
        expected_close_date=timezone.localdate() + timedelta(days=30),
        created_by=alice,
        status=Deal.Status.APPROVED,
        stage=Deal.Stage.NEGOTIATION,
    )
    return {
        "stage": (
            reverse("deal_stage", args=[closing.pk]),
            lambda: {
                "stage": "lost",
                "lost_reason": "price",
                "confirm_close": "on",
                "note": "Khách chọn bên khác.",
                "kind": "bom",
            },  # fmt: skip
            lambda: StageChange.objects.filter(deal=closing, to_stage="lost").count(),
            closing.get_absolute_url(),
            "The deal is closed as lost.",
        ),
        "note": (
            reverse("deal_note_add", args=[alpha_deal.pk]),
            lambda: {"text": "Khách hàng hẹn gặp thứ Hai."},
            lambda: Note.objects.filter(deal=alpha_deal).count(),
            deal_url,
            "Note added.",
        ),
        "attachment": (
            reverse("deal_attachment_add", args=[alpha_deal.pk]),
            lambda: {
                "kind": "bom",
                "files": SimpleUploadedFile("BOM.csv", b"product,qty\nvServer,10\n"),
            },
            lambda: Attachment.objects.filter(deal=alpha_deal).count(),
            deal_url,
            "1 file attached.",
        ),
        "customer discount": (
            reverse("discount_customer_create", args=[discount.pk]),
            lambda: {
                "customer": won.customer_id,
                "valid_from": discount.valid_from.isoformat(),
                "valid_until": discount.valid_until.isoformat(),
                f"rate_{vserver.pk}": "5",
                "note": "",
            },
            lambda: CustomerDiscount.objects.count(),
            discount.get_absolute_url(),
            f"The customer discount for {won.customer.name} was created.",
        ),
        "registration": (
            reverse("deal_register"),
            lambda: {
                "customer_tax_code": "0319876543",
                "customer_name": "Công ty TNHH Minh Phát",
                "title": "ERP on vServer",
                "description": "",
                "estimated_value": "150000000",
                "expected_close_date": (timezone.localdate() + timedelta(days=30)).isoformat(),
                f"rate_{vserver.pk}": "12.5",
                f"rate_{vstorage.pk}": "",
            },
            lambda: Deal.objects.filter(title="ERP on vServer").count(),
            None,  # the new deal's page
            "Deal “ERP on vServer” registered. VNG Cloud will review it.",
        ),
        "invitation": (
            reverse("team"),
            lambda: {"email": "linh@alpha.test", "role": "member"},
            lambda: Invitation.objects.filter(email="linh@alpha.test").count(),
            reverse("team"),
            "Invitation sent to linh@alpha.test.",
        ),
        "token": (
            reverse("api_tokens"),
            lambda: {"name": "HubSpot sync", "access": "read"},
            lambda: ApiToken.objects.count(),
            reverse("api_tokens"),
            "The token “HubSpot sync” was already created by this form.",
        ),
        "webhook": (
            reverse("api_webhooks"),
            lambda: {"url": PUBLIC, "event_types": ["deal.won"]},
            lambda: WebhookEndpoint.objects.count(),
            reverse("api_webhooks"),
            f"Events are already sent to {PUBLIC}: this form created the endpoint before.",
        ),
    }


POST_TO = {"invitation": "/team/invite/"}
FORMS = ["note", "attachment", "stage", "customer discount", "registration", "invitation"]
FORMS += ["token"]
FORMS += ["webhook"]


@pytest.mark.parametrize("name", FORMS)
def test_submit_once_the_same_submission_twice_creates_one(alice_client, forms, name):
    page, data, count, goes_to, message = forms[name]
    key = rendered_key(alice_client, page)
    url = POST_TO.get(name, page)

    first = alice_client.post(url, {**data(), "submission_key": key})
    again = alice_client.post(url, {**data(), "submission_key": key}, follow=True)

    assert first.status_code in (200, 302)
    assert count() == 1
    expected = goes_to or Deal.objects.get(title="ERP on vServer").get_absolute_url()
    assert again.redirect_chain == [(expected, 302)]
    # The first answer's message (or, for a secret shown once, what the repeat says) shows
    # once, never twice: the page must not read as if two were made.
    shown = [text for text in messages_of(again) if text.startswith(message)]
    assert len(shown) == 1, messages_of(again)
    assert SubmissionKey.objects.count() == 1


@pytest.mark.parametrize("name", ["token", "webhook"])
def test_submit_once_a_repeat_never_shows_the_secret_again(alice_client, forms, name):
    page, data, _count, _goes_to, _message = forms[name]
    key = rendered_key(alice_client, page)
    first = alice_client.post(page, {**data(), "submission_key": key})
    secret = re.search(r'id="new-(?:token|secret)"[^>]*value="([^"]+)"', first.content.decode())

    again = alice_client.post(page, {**data(), "submission_key": key}, follow=True)

    assert secret and secret.group(1) not in again.content.decode()


def test_submit_once_by_htmx_replays_the_client_redirect(alice_client, alpha_deal):
    url = reverse("deal_note_add", args=[alpha_deal.pk])
    data = {"text": "Hai lần", "submission_key": "k" * 22}
    headers = {"HX-Request": "true"}

    first = alice_client.post(url, data, headers=headers)
    again = alice_client.post(url, data, headers=headers)

    assert first["HX-Redirect"] == again["HX-Redirect"] == alpha_deal.get_absolute_url()
    assert Note.objects.filter(deal=alpha_deal).count() == 1


def test_submit_once_a_reused_key_with_other_content_saves_nothing_and_keeps_the_text(
    alice_client, alpha_deal
):
    url = reverse("deal_note_add", args=[alpha_deal.pk])
    alice_client.post(url, {"text": "Bản đầu", "submission_key": "k" * 22})

    response = alice_client.post(url, {"text": "Bản sửa lại", "submission_key": "k" * 22})

    assert response.status_code == 400
    html = response.content.decode()
    assert "This form was already sent and saved, with other content." in html
    assert "Bản sửa lại" in html
    assert 'name="submission_key"' in html and "k" * 22 not in html  # a new key
    assert list(Note.objects.values_list("text", flat=True)) == ["Bản đầu"]


def test_submit_once_a_refused_submission_leaves_the_key_free(alice_client, alpha_deal):
    url = reverse("deal_note_add", args=[alpha_deal.pk])
    refused = alice_client.post(url, {"text": "   ", "submission_key": "k" * 22})
    assert refused.status_code == 400

    alice_client.post(url, {"text": "Có nội dung", "submission_key": "k" * 22})

    assert list(Note.objects.values_list("text", flat=True)) == ["Có nội dung"]


def test_submit_once_keys_are_per_user(client, alice, sam, alpha_deal):
    url = reverse("deal_note_add", args=[alpha_deal.pk])
    for user in (alice, sam):
        client.force_login(user)
        client.post(url, {"text": "Cùng một khoá", "submission_key": "k" * 22})

    assert Note.objects.filter(deal=alpha_deal).count() == 2


def test_submit_once_without_a_key_still_saves(alice_client, alpha_deal):
    """A page rendered before the keys existed still works (unguarded)."""
    url = reverse("deal_note_add", args=[alpha_deal.pk])
    alice_client.post(url, {"text": "Một"})
    alice_client.post(url, {"text": "Một"})

    assert Note.objects.filter(deal=alpha_deal).count() == 2
    assert SubmissionKey.objects.count() == 0


def test_purge_submission_keys_deletes_those_past_a_day(alice_client, alpha_deal):
    url = reverse("deal_note_add", args=[alpha_deal.pk])
    alice_client.post(url, {"text": "Một", "submission_key": "a" * 22})
    alice_client.post(url, {"text": "Hai", "submission_key": "b" * 22})
    SubmissionKey.objects.filter(key="a" * 22).update(
        created_at=timezone.now() - timedelta(hours=25)
    )

    assert purge_submission_keys() == 1
    call_command("purge_submission_keys", stdout=__import__("io").StringIO())
    assert list(SubmissionKey.objects.values_list("key", flat=True)) == ["b" * 22]
