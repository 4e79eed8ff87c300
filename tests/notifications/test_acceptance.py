"""The issue's "done when", tried as people would, through the pages (in-process delivery).

Beta registers a deal for a branch of a customer Alpha holds a protected claim on; the
reviewer sees it flagged and is notified; staff approve another deal and its partner's bell
shows it. (Two workers and one e-mail each: tests/worker.)
"""

from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from deals.models import Deal
from tests.factories import CustomerFactory, DealFactory

pytestmark = pytest.mark.django_db


def test_branch_registration_is_flagged_to_staff_and_approval_rings_the_partners_bell(
    client, alpha, alice, beta, bob, reviewer, vserver, django_capture_on_commit_callbacks
):
    head_office = CustomerFactory(tax_code="0312345678", name="Công ty Sao Mai")
    DealFactory(partner=alpha, created_by=alice, approved=True, customer=head_office)
    client.force_login(bob)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/deals/new/",
            {
                "customer_tax_code": "0312345678-001",
                "customer_name": "Sao Mai - Chi nhánh HCM",
                "title": "Backup for the branch",
                "estimated_value": "90000000",
                "expected_close_date": (timezone.localdate() + timedelta(days=20)).isoformat(),
                f"rate_{vserver.pk}": "8",
            },
        )
    assert response.status_code == 302
    beta_deal = Deal.objects.get(partner=beta)
    # Beta is told nothing about who holds the claim.
    beta_page = client.get(response.url).content.decode()
    assert "Alpha" not in beta_page

    client.force_login(reviewer)
    inbox = client.get("/notifications/").content.decode()
    assert "Possible conflict flagged" in inbox and "Backup for the branch" in inbox
    assert "Notifications: 2 unread" in inbox
    assert {m.to[0] for m in mail.outbox} >= {"reviewer@vngcloud.test"}
    reviewer.is_superuser = True
    reviewer.save()
    changelist = client.get("/admin/deals/deal/?q=Backup").content.decode()
    assert "icon-alert.svg" in changelist  # the conflict column: a warning sign and a word

    other = DealFactory(partner=alpha, created_by=alice, title="Storage for Alpha")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("admin:deals_deal_review", args=[other.pk]),
            {"decision": "approve", "protection_days": "30"},
        )
    other.refresh_from_db()
    assert other.status == "approved"

    client.force_login(alice)
    dashboard = client.get("/").content.decode()
    assert "Notifications: 1 unread" in dashboard
    assert "Storage for Alpha" in client.get("/notifications/").content.decode()
    assert [m.to for m in mail.outbox] == [["alice@alpha.test"]]
    assert beta_deal.status == "pending"
