"""The e-mail settings offer only the events a person can receive."""

import pytest

from notifications.models import Kind, Preference

pytestmark = pytest.mark.django_db

REVIEWERS_ONLY = [
    "Deal registered",
    "Deal resubmitted",
    "Possible conflict flagged",
    "Review overdue",
]


def offered(client) -> list[str]:
    return [
        field.label
        for field in client.get("/notifications/settings/").context["form"].kind_fields()
    ]


def test_settings_offer_a_partner_user_only_the_partners_events(alice_client):
    labels = offered(alice_client)

    assert [label for label in REVIEWERS_ONLY if label in labels] == []
    assert "Registration approved" in labels and "Deal won" in labels
    # Not the webhooks' test event, nor the customer's own confirmation e-mail.
    assert len(labels) == len(Kind) - len(REVIEWERS_ONLY) - 2
    assert "Webhook test" not in labels
    assert "Cloud account confirmation link (to the customer)" not in labels
    assert "Cloud account linked" in labels


def test_settings_offer_staff_the_reviewers_events(client, staff):
    client.force_login(staff)

    labels = offered(client)

    assert [label for label in REVIEWERS_ONLY if label in labels] == REVIEWERS_ONLY
    assert "Registration approved" not in labels
    assert "Deal won" in labels  # both sides hear of a closed deal


def test_settings_saving_keeps_the_choice_of_kinds_not_offered(alice_client, alice):
    Preference.objects.create(user=alice, email_kinds={"deal_registered": False})

    alice_client.post("/notifications/settings/", {"language": "en", "email_deal_won": "on"})

    kinds = Preference.objects.get(user=alice).email_kinds
    assert kinds["deal_registered"] is False
    assert kinds["deal_won"] is True and kinds["deal_lost"] is False
