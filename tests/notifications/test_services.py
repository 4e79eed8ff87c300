"""The outbox and in-process delivery (no broker): what each person receives, once."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone

from deals.models import Deal
from deals.services import approve_deal, change_stage, register_deal, send_back_deal
from notifications import services
from notifications.models import EMAIL_OFF_BY_DEFAULT, Delivery, Event, Kind, Preference
from tests.factories import CustomerFactory, DealFactory, MembershipFactory, UserFactory
from tests.notifications.backends import FlakyBackend

pytestmark = pytest.mark.django_db


def inbox(user):
    return list(
        Delivery.objects.filter(user=user, channel="in_app").values_list("event__kind", flat=True)
    )


def mails_to(address):
    return [m for m in mail.outbox if m.to == [address]]


def register(partner, user, vserver, *, tax_code="0309999999", title="Cloud move"):
    return register_deal(
        partner=partner,
        by=user,
        customer_tax_code=tax_code,
        customer_name="Công ty TNHH Ánh Dương",
        title=title,
        estimated_value=Decimal("50000000"),
        expected_close_date=timezone.localdate() + timedelta(days=30),
        rates={vserver: Decimal("10")},
    )


def test_register_writes_an_event_for_the_reviewers(alpha, alice, vserver, reviewer, deliver):
    deal = deliver(register, alpha, alice, vserver)

    assert list(Event.objects.values_list("kind", "deal", "actor")) == [
        (Kind.DEAL_REGISTERED, deal.pk, alice.pk)
    ]
    assert inbox(reviewer) == [Kind.DEAL_REGISTERED]
    assert inbox(alice) == []
    assert sorted(m.to[0] for m in mail.outbox) == [
        "reviewer@vngcloud.test",
        "sales-ops@vngcloud.test",
    ]
    assert "Cloud move" in mails_to("reviewer@vngcloud.test")[0].body


def test_a_refused_change_writes_no_event(alpha_deal, alice, deliver):
    alpha_deal.partner.contracts.all().delete()

    with pytest.raises(ValidationError):
        deliver(change_stage, alpha_deal, "won", by=alice)

    assert Event.objects.count() == 0
    assert Delivery.objects.count() == 0
    assert mail.outbox == []


def test_won_writes_won_and_discount_issued_and_mails_each_recipient_once(
    alpha_deal, alice, sam, deliver
):
    deliver(change_stage, alpha_deal, "won", by=sam)

    assert sorted(Event.objects.values_list("kind", flat=True)) == [
        Kind.DEAL_WON,
        Kind.DISCOUNT_ISSUED,
    ]
    # alice: admin and creator, one person; sam is a member who did not create the deal.
    assert sorted(inbox(alice)) == [Kind.DEAL_WON, Kind.DISCOUNT_ISSUED]
    assert inbox(sam) == []
    assert len(mails_to("alice@alpha.test")) == 1
    assert len(mails_to("sales-ops@vngcloud.test")) == 1
    assert (
        Delivery.objects.filter(channel="email").values_list("status", flat=True).distinct().get()
        == "sent"
    )


def test_approval_reaches_admins_and_the_creator_who_is_a_member(alpha, alice, sam, staff, deliver):
    deal = DealFactory(partner=alpha, created_by=sam)
    other_admin = MembershipFactory(partner=alpha, user__email="an@alpha.test", role="admin").user

    deliver(approve_deal, deal, by=staff)

    for user in (alice, sam, other_admin):
        assert inbox(user) == [Kind.DEAL_APPROVED]
    assert sorted(m.to[0] for m in mail.outbox) == [
        "alice@alpha.test",
        "an@alpha.test",
        "sam@alpha.test",
    ]


def test_deactivated_users_and_missing_addresses_are_skipped(alpha, alice, sam, staff, deliver):
    deal = DealFactory(partner=alpha, created_by=sam)
    alice.is_active = False
    alice.save()
    # An address can be blank at the database level (imported users): in-app only.
    type(sam).objects.filter(pk=sam.pk).update(email="")

    deliver(send_back_deal, deal, by=staff, comment="Add the project scope.")

    assert inbox(alice) == []
    assert inbox(sam) == [Kind.DEAL_SENT_BACK]
    assert mail.outbox == []
    assert Event.objects.get().fanned_out_at is not None


def test_a_partner_without_admins_is_not_an_error(deliver, staff, vserver):
    member = MembershipFactory(user__email="lone@gamma.test", role="member")
    deal = DealFactory(partner=member.partner, created_by=UserFactory(email="gone@gamma.test"))

    deliver(approve_deal, deal, by=staff)

    event = Event.objects.get()
    assert event.fanned_out_at is not None
    assert Delivery.objects.count() == 0


def test_email_in_the_recipients_language(alpha, alice, sam, staff, deliver):
    Preference.objects.create(user=alice, language="vi")
    Preference.objects.create(user=sam, language="en")
    deal = DealFactory(partner=alpha, created_by=sam, title="Chuyển đổi")

    deliver(approve_deal, deal, by=staff)

    assert "Đăng ký được duyệt" in mails_to("alice@alpha.test")[0].subject
    assert "Registration approved" in mails_to("sam@alpha.test")[0].subject
    assert "Chuyển đổi" in mails_to("alice@alpha.test")[0].body


def test_email_preferences_per_kind(alpha, alice, alpha_deal, staff, deliver):
    services.save_preference(
        user=alice, language="en", email_kinds={Kind.DEAL_WON: False, Kind.STAGE_CHANGED: True}
    )

    deliver(change_stage, alpha_deal, "proposal", by=alice)
    deliver(change_stage, alpha_deal, "won", by=alice)

    assert [m.subject for m in mails_to("alice@alpha.test")] == ["[VNG Cloud] Stage changed"]
    assert sorted(inbox(alice)) == sorted([Kind.STAGE_CHANGED, Kind.DEAL_WON, Kind.DISCOUNT_ISSUED])


@pytest.mark.parametrize("stored", [[], "x", {"deal_won": "no"}], ids=["list", "text", "word"])
def test_an_odd_stored_preference_never_stops_the_fan_out(
    alpha, alice, sam, staff, deliver, stored
):
    """Only the settings page writes e-mail choices (a dict of booleans); a row holding
    anything else (written by hand) reads as no choice made, and everyone else's e-mails
    and bell items still go out."""
    Preference.objects.create(user=alice, language="en", email_kinds=stored)
    deal = DealFactory(partner=alpha, created_by=sam)

    deliver(approve_deal, deal, by=staff)

    event = Event.objects.get()
    assert event.fanned_out_at is not None
    assert mails_to("sam@alpha.test") and mails_to("alice@alpha.test")
    assert Preference.objects.get(user=alice).wants_email(Kind.DEAL_WON) is (
        Kind.DEAL_WON not in EMAIL_OFF_BY_DEFAULT
    )


def test_fan_out_and_send_happen_once_however_often_they_run(alpha_deal, alice, deliver):
    deliver(change_stage, alpha_deal, "lost", by=alice, lost_reason="Budget cut")
    event = Event.objects.get()

    again = services.fan_out(event_id=event.pk)
    for delivery_id in Delivery.objects.filter(channel="email").values_list("pk", flat=True):
        assert services.send_email(delivery_id=delivery_id) is None

    assert again == []
    assert Delivery.objects.filter(event=event).count() == 3  # alice in-app + 2 e-mails
    assert len(mail.outbox) == 2


def test_smtp_failure_is_retried_with_backoff_then_failed_then_retried_by_staff(
    alpha_deal, alice, settings, deliver
):
    settings.EMAIL_BACKEND = "tests.notifications.backends.FlakyBackend"
    settings.STAFF_NOTIFICATION_EMAILS = []
    settings.NOTIFICATION_MAX_ATTEMPTS = 2
    FlakyBackend.failures_left = 2

    deliver(change_stage, alpha_deal, "won", by=alice)
    delivery = Delivery.objects.get(channel="email")
    assert (delivery.status, delivery.attempts) == ("pending", 1)
    assert "SMTP server unavailable" in delivery.last_error
    assert services.send_email(delivery_id=delivery.pk) is None  # not due yet
    assert delivery.next_attempt_at > timezone.now()

    Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())
    services.send_email(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, mail.outbox) == ("failed", 2, [])

    deliver(services.retry_deliveries, Delivery.objects.all(), by=None)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("sent", 1)
    assert len(mail.outbox) == 1


def test_an_address_gets_its_emails_in_order_after_an_smtp_outage(alpha, alice, settings, deliver):
    settings.EMAIL_BACKEND = "tests.notifications.backends.FlakyBackend"
    settings.STAFF_NOTIFICATION_EMAILS = []
    settings.NOTIFICATION_RETRY_SECONDS = 60
    first, second = (
        DealFactory(partner=alpha, created_by=alice, approved=True, stage="negotiation")
        for _ in range(2)
    )
    FlakyBackend.failures_left = 1  # the first e-mail (to alice) meets the outage

    deliver(change_stage, first, "won", by=alice)
    deliver(change_stage, second, "lost", by=alice, lost_reason="Budget")

    # alice's loss e-mail waits behind her win's, which waits for its retry.
    held = Delivery.objects.get(channel="email", event__kind="deal_lost")
    assert (held.email, held.status, held.attempts) == ("alice@alpha.test", "pending", 0)
    assert mail.outbox == []

    Delivery.objects.filter(status="pending").update(next_attempt_at=timezone.now())
    deliver(services.sweep, now=timezone.now() + timedelta(minutes=2))

    subjects = [m.subject for m in mails_to("alice@alpha.test")]
    assert subjects == ["[VNG Cloud] Cơ hội thắng", "[VNG Cloud] Cơ hội thua"]
    assert set(Delivery.objects.filter(channel="email").values_list("status", flat=True)) == {
        "sent"
    }


def test_retry_delay_doubles_up_to_an_hour(settings):
    settings.NOTIFICATION_RETRY_SECONDS = 60
    assert [services.retry_delay(n) for n in (1, 2, 3, 10)] == [60, 120, 240, 3600]


def test_sweep_hands_over_an_event_whose_hand_off_was_lost(alpha_deal, alice, deliver):
    # Without capturing the after-commit callbacks, the hand-off is lost (like a crash).
    change_stage(alpha_deal, "won", by=alice)
    assert Delivery.objects.count() == 0

    assert services.sweep()["events"] == 0  # still within the grace period
    later = timezone.now() + timedelta(minutes=5)
    counts = deliver(services.sweep, now=later)

    assert counts["events"] == 2
    assert Event.objects.filter(fanned_out_at__isnull=True).count() == 0
    assert len(mails_to("alice@alpha.test")) == 1


def test_sweep_frees_a_delivery_whose_worker_died(alpha_deal, alice, deliver, settings):
    settings.STAFF_NOTIFICATION_EMAILS = []
    change_stage(alpha_deal, "lost", by=alice, lost_reason="Budget")
    services.fan_out(event_id=Event.objects.get().pk)
    long_ago = timezone.now() - timedelta(hours=1)
    Delivery.objects.filter(channel="email").update(status="sending", claimed_at=long_ago)

    counts = deliver(services.sweep)

    assert counts["stale"] == 1
    assert Delivery.objects.get(channel="email").status == "sent"
    assert len(mail.outbox) == 1


def test_discount_events_reach_the_partner(alpha_deal, alice, staff, deliver):
    from discounts.services import (
        create_customer_discount,
        revoke_customer_discount,
        revoke_discount,
    )

    deliver(change_stage, alpha_deal, "won", by=alice)
    discount = alpha_deal.discount
    line = discount.lines.get()
    today = timezone.localdate()
    cd = deliver(
        create_customer_discount,
        discount,
        by=alice,
        customer=alpha_deal.customer,
        rates={line.product_id: Decimal("5")},
        valid_from=today,
        valid_until=today + timedelta(days=10),
    )
    deliver(revoke_customer_discount, cd, by=alice)
    deliver(revoke_discount, discount, by=staff, reason="Won by mistake")

    assert sorted(inbox(alice)) == sorted(
        [
            Kind.DEAL_WON,
            Kind.DISCOUNT_ISSUED,
            Kind.CUSTOMER_DISCOUNT_CREATED,
            Kind.CUSTOMER_DISCOUNT_ENDED,
            Kind.DISCOUNT_REVOKED,
        ]
    )


def test_another_partners_win_ends_customer_discounts_and_says_so(
    alpha_deal, alice, bob, beta, deliver
):
    deliver(change_stage, alpha_deal, "won", by=alice)
    discount = alpha_deal.discount
    today = timezone.localdate()
    from discounts.services import create_customer_discount

    create_customer_discount(
        discount,
        by=alice,
        customer=alpha_deal.customer,
        rates={discount.lines.get().product_id: Decimal("5")},
        valid_from=today,
        valid_until=today + timedelta(days=10),
    )
    beta_deal = DealFactory(
        partner=beta, created_by=bob, approved=True, stage="proposal", customer=alpha_deal.customer
    )
    deliver(change_stage, beta_deal, "won", by=bob)

    ended = Event.objects.get(kind=Kind.CUSTOMER_DISCOUNT_ENDED)
    assert ended.partner_id == alpha_deal.partner_id
    assert Kind.CUSTOMER_DISCOUNT_ENDED in inbox(alice)
    assert Kind.CUSTOMER_DISCOUNT_ENDED not in inbox(bob)


def test_scheduled_events_are_written_once_per_key(alpha_deal):
    key = "protection_expiring:1:2026-01-01"
    first = services.record_event(Kind.PROTECTION_EXPIRING, deal=alpha_deal, key=key)
    second = services.record_event(Kind.PROTECTION_EXPIRING, deal=alpha_deal, key=key)

    assert first is not None and second is None
    assert Event.objects.filter(key=key).count() == 1


def test_register_for_a_branch_of_a_protected_customer_flags_a_conflict(
    alpha, alice, beta, bob, vserver, reviewer, deliver
):
    head_office = CustomerFactory(tax_code="0312345678", name="Sao Mai")
    DealFactory(partner=alpha, created_by=alice, approved=True, customer=head_office)

    deal = deliver(register, beta, bob, vserver, tax_code="0312345678-001")

    assert sorted(inbox(reviewer)) == [Kind.CONFLICT_FLAGGED, Kind.DEAL_REGISTERED]
    assert inbox(bob) == [] and inbox(alice) == []
    assert deal.status == Deal.Status.PENDING
