"""Events delivered by real Celery workers: exactly once, through broker and SMTP outages.

Run on PostgreSQL with Redis up (`.ci/run` starts it); skipped otherwise with the reason.
"""

import threading
import time
from collections import Counter
from datetime import timedelta

import pytest
from celery import current_app
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone

from deals.models import Deal
from deals.services import approve_deal, change_stage
from notifications import services
from notifications.models import Delivery, Event, Kind
from tests.factories import DealFactory, MembershipFactory
from tests.worker.conftest import start_beat, start_worker, use_broker, wait_for

pytestmark = [pytest.mark.postgres, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def emails_settled(expected: int):
    """All e-mail deliveries exist (expected) and none is waiting any more."""
    email = Delivery.objects.filter(channel="email")
    return email.count() == expected and not email.exclude(status="sent").exists()


def press_won(deal_pks, user, copies=2):
    """Each deal is pressed `copies` times at once from separate connections."""
    jobs = [pk for pk in deal_pks for _copy in range(copies)]
    barrier = threading.Barrier(len(jobs))
    outcomes, lock = [], threading.Lock()

    def press(pk):
        try:
            deal = Deal.objects.get(pk=pk)
            barrier.wait(timeout=30)
            change_stage(deal, "won", by=user)
            result = "ok"
        except ValidationError as exc:
            result = exc.error_list[0].code
        except Exception as exc:  # noqa: BLE001 - reported in the assertion
            result = repr(exc)
        finally:
            connection.close()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=press, args=(pk,)) for pk in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return Counter(outcomes)


def test_concurrent_wins_with_two_workers_mail_each_recipient_once(broker, smtp, alpha, alice):
    second_admin = MembershipFactory(partner=alpha, user__email="an@alpha.test", role="admin").user
    deals = [
        DealFactory(partner=alpha, created_by=alice, approved=True, stage="negotiation")
        for _n in range(12)
    ]

    # 3 rounds of 4 deals pressed twice at once: 8 connections, within the pool of 10.
    outcomes = Counter()
    for start in range(0, 12, 4):
        outcomes += press_won([d.pk for d in deals[start : start + 4]], alice)

    assert outcomes == {"ok": 12, "closed": 12}
    # Redelivered messages (a worker lost, a duplicate publish) must not send twice either.
    for event in Event.objects.all():
        current_app.send_task(services.FAN_OUT_TASK, [event.pk])
    # alice, the second admin and the staff address, per won deal.
    wait_for(lambda: emails_settled(36), 120, "36 e-mails sent")
    for delivery in Delivery.objects.filter(channel="email"):
        current_app.send_task(services.SEND_TASK, [delivery.pk])
    time.sleep(2)

    assert Event.objects.filter(kind=Kind.DEAL_WON).count() == 12
    assert Event.objects.filter(kind=Kind.DISCOUNT_ISSUED).count() == 12
    for address in ("alice@alpha.test", "an@alpha.test", "sales-ops@vngcloud.test"):
        subjects = [m["subject"] for m in smtp.to(address)]
        assert subjects == ["[VNG Cloud] Cơ hội thắng"] * 12, address
    assert len(smtp.messages) == 36
    assert Delivery.objects.filter(user=second_admin, channel="in_app").count() == 24


def test_smtp_failing_then_recovering_is_retried_never_duplicated(
    broker, smtp, alpha, alice, staff
):
    deal = DealFactory(partner=alpha, created_by=alice)
    smtp.fail = True

    approve_deal(deal, by=staff)

    # The mail server refused two tries (each retried by the worker after a pause).
    wait_for(lambda: smtp.refused >= 2, 60, "2 refused tries")
    delivery = Delivery.objects.get(channel="email")
    assert delivery.status in ("pending", "sending")
    assert smtp.messages == []
    smtp.fail = False
    wait_for(lambda: emails_settled(1), 60, "the retry to succeed")

    delivery.refresh_from_db()
    assert delivery.attempts >= 3
    assert smtp.to("alice@alpha.test") == [
        {"to": "alice@alpha.test", "subject": "[VNG Cloud] Đăng ký được duyệt"}
    ]
    assert len(smtp.messages) == 1
    assert smtp.refused >= 2


def test_sweep_reenqueues_an_event_whose_hand_off_was_lost(broker, smtp, alpha_deal):
    # Written and committed, never handed over: what a crash right after commit leaves.
    lost = Event.objects.create(
        kind=Kind.PROTECTION_EXPIRING,
        deal=alpha_deal,
        partner=alpha_deal.partner,
        params={"date": alpha_deal.protected_until.isoformat()},
    )

    counts = services.sweep(now=timezone.now() + timedelta(minutes=5))

    assert counts["events"] == 1
    wait_for(lambda: emails_settled(1), 60, "the lost event's e-mail")
    lost.refresh_from_db()
    assert lost.fanned_out_at is not None
    assert len(smtp.to("alice@alpha.test")) == 1


def test_beat_runs_the_sweep_and_the_protection_job(
    two_workers, broker_url, smtp, alpha_deal, tmp_path, settings
):
    # The clock moved: the job is asked about the day 10 days before the protection ends.
    use_broker(broker_url)
    day = (alpha_deal.protected_until - timedelta(days=10)).isoformat()
    current_app.send_task("deals.tasks.protection_reminders", kwargs={"today": day})
    wait_for(lambda: emails_settled(1), 60, "the reminder")
    assert Event.objects.get().kind == Kind.PROTECTION_EXPIRING

    # Lost two minutes ago; the workers' sweep gives a hand-off 60 s before it steps in.
    lost = Event.objects.create(
        kind=Kind.PROTECTION_EXPIRED,
        deal=alpha_deal,
        params={},
        created_at=timezone.now() - timedelta(minutes=2),
    )
    beat = start_beat(broker_url, tmp_path, NOTIFICATION_SWEEP_SECONDS="1")
    try:
        wait_for(lambda: emails_settled(2), 60, "beat's sweep to deliver the lost event")
    finally:
        beat.stop()
        use_broker("")
    lost.refresh_from_db()
    assert lost.fanned_out_at is not None
    assert len(smtp.to("alice@alpha.test")) == 2


def test_broker_down_the_change_commits_and_is_delivered_once_back(
    private_redis, smtp, smtp_server, alpha_deal, alice, tmp_path, settings
):
    worker = start_worker("outage", private_redis.url, tmp_path, smtp_server.port)
    try:
        use_broker(private_redis.url)
        private_redis.stop()

        started = time.monotonic()
        change_stage(alpha_deal, "won", by=alice)
        took = time.monotonic() - started

        # The user saw success: the win and its events are committed, only the hand-off failed.
        alpha_deal.refresh_from_db()
        assert alpha_deal.stage == "won"
        assert Event.objects.count() == 2
        assert Delivery.objects.count() == 0
        assert took < 30, "a broker outage must not hold the request for long"

        private_redis.start()
        services.sweep(now=timezone.now() + timedelta(minutes=5))
        wait_for(lambda: emails_settled(2), 90, "delivery after the broker came back")
    finally:
        use_broker("")
        worker.stop()
    assert len(smtp.to("alice@alpha.test")) == 1
    assert len(smtp.to("sales-ops@vngcloud.test")) == 1
