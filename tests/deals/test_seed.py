"""seed_demo: consistent demo data, and running it twice changes nothing."""

from io import StringIO

import pytest
from django.core.management import call_command

from deals.models import Deal, DiscountRule, Note, StageChange
from discounts.models import CustomerDiscount, Discount
from partners.models import CustomerOwnership, Membership, Partner, User
from tests.built_once import built_once

pytestmark = pytest.mark.django_db

MODELS = (
    Partner,
    User,
    Membership,
    Deal,
    DiscountRule,
    StageChange,
    Note,
    Discount,
    CustomerOwnership,
    CustomerDiscount,
)


def counts():
    return {model.__name__: model.objects.count() for model in MODELS}


class TestSeeded:
    """One seed_demo run for the class (tests/built_once.py); each test reads it in a
    savepoint of its own."""

    @pytest.fixture(scope="class")
    @classmethod
    def seeded(cls, django_db_setup, django_db_blocker, tmp_path_factory):
        """The counts and the output after the first run."""
        with built_once(django_db_blocker, tmp_path_factory):
            out = StringIO()
            call_command("seed_demo", stdout=out)
            yield counts(), out.getvalue()

    def test_seed_demo_is_idempotent(self, db, seeded):
        first, out = seeded
        call_command("seed_demo", stdout=StringIO())

        assert counts() == first
        assert first["Partner"] == 2
        assert first["CustomerDiscount"] == 2
        assert 38 <= first["Deal"] <= 45
        assert "alpha@example.com" in out and "portal-demo" in out

    def test_seed_demo_data_obeys_the_rules(self, db, seeded):
        for partner in Partner.objects.all():
            approved_open = partner.deals.filter(status="approved", closed_at__isnull=True)
            assert approved_open.count() >= 5
            assert set(partner.deals.values_list("stage", flat=True)) == set(Deal.Stage.values)
            assert set(partner.deals.values_list("status", flat=True)) == set(Deal.Status.values)
        for deal in Deal.objects.all():
            assert Discount.objects.filter(deal=deal).exists() == (deal.stage == "won")
            if deal.stage == "won":
                assert CustomerOwnership.objects.filter(deal=deal).exists()
            if deal.stage == "lost":
                assert deal.lost_reason_code
            assert deal.discount_rules.exists()

    def test_seed_demo_logins_work(self, client, seeded):
        for email in (
            "alpha@example.com",
            "beta@example.com",
            "alpha.sales@example.com",
            "staff@example.com",
        ):
            response = client.post("/login/", {"login": email, "password": "portal-demo"})
            assert response.status_code == 302, email
            client.post("/logout/")
        assert Membership.objects.get(user__email="alpha.sales@example.com").role == "member"
        assert Membership.objects.get(user__email="alpha@example.com").role == "admin"
        assert User.objects.get(email="staff@example.com").is_superuser


@pytest.mark.django_db(transaction=True)  # the deliveries are made as each change commits
def test_seed_demo_rings_a_handful_of_unread_notifications_not_a_flood():
    """A fresh `make run` looks like a partner's morning: a few new, the history read."""
    from notifications.models import Channel, Delivery

    call_command("seed_demo")
    call_command("seed_demo")  # a second run (make run again) adds no flood either

    for email in ("alpha@example.com", "beta@example.com", "staff@example.com"):
        inbox = Delivery.objects.filter(user__email=email, channel=Channel.IN_APP)
        unread = inbox.filter(read_at__isnull=True).count()
        assert 1 <= unread <= 5, (email, unread)
        assert inbox.filter(read_at__isnull=False).count() >= 5, email
    member = Delivery.objects.filter(user__email="alpha.sales@example.com", read_at__isnull=True)
    assert member.count() <= 5
