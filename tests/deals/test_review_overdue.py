"""The beat job that raises "review overdue" once per registration past the review promise."""

import io
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from deals import tasks
from deals.models import Deal
from deals.services import approve_deal, register_deal, resubmit_deal, send_back_deal
from notifications.messages import message
from notifications.models import Delivery, Event, Kind, Preference
from notifications.services import reads_in_admin
from tests.factories import DealFactory, UserFactory

pytestmark = pytest.mark.django_db

# Submitted on Monday 7 December 2026: due Thursday 10, overdue from Friday 11.
SUBMITTED = datetime(2026, 12, 7, 9, 30)
FRIDAY = "2026-12-11"


@pytest.fixture
def reviewer(db, settings):
    user = UserFactory(email="reviewer@vngcloud.test", is_staff=True)
    user.groups.add(Group.objects.get_or_create(name=settings.NOTIFICATION_REVIEWERS_GROUP)[0])
    return user


def submitted(deal, moment=SUBMITTED):
    Deal.objects.filter(pk=deal.pk).update(submitted_at=timezone.make_aware(moment))
    deal.refresh_from_db()
    return deal


@pytest.fixture
def late(alpha, alice):
    return submitted(DealFactory(partner=alpha, created_by=alice, title="Hệ thống kho"))


def run(django_capture_on_commit_callbacks, today=FRIDAY) -> int:
    with django_capture_on_commit_callbacks(execute=True):
        return tasks.review_overdue(today)


def test_the_job_raises_one_event_per_overdue_registration_even_when_run_twice(
    late, alpha, alice, reviewer, django_capture_on_commit_callbacks
):
    on_time = submitted(DealFactory(partner=alpha, created_by=alice), datetime(2026, 12, 8, 9))
    reviewed = submitted(DealFactory(partner=alpha, created_by=alice))
    approve_deal(reviewed, by=reviewer)
    Event.objects.all().delete()

    first = run(django_capture_on_commit_callbacks)
    second = run(django_capture_on_commit_callbacks)

    assert (first, second) == (1, 0)
    event = Event.objects.get()
    assert (event.kind, event.deal, event.partner) == (Kind.REVIEW_OVERDUE, late, alpha)
    assert event.params == {"sla": 3, "date": "2026-12-10"}
    assert not Event.objects.filter(deal__in=[on_time, reviewed]).exists()


def test_the_reviewers_hear_of_it_by_bell_and_e_mail_as_they_chose(
    late, reviewer, alice, django_capture_on_commit_callbacks
):
    quiet = UserFactory(email="quiet@vngcloud.test", is_staff=True)
    quiet.groups.add(reviewer.groups.get())
    Preference.objects.create(user=quiet, email_kinds={Kind.REVIEW_OVERDUE: False})

    run(django_capture_on_commit_callbacks)

    deliveries = set(Delivery.objects.values_list("user__email", "email", "channel").order_by())
    assert deliveries == {
        ("reviewer@vngcloud.test", "", "in_app"),
        ("reviewer@vngcloud.test", "reviewer@vngcloud.test", "email"),
        ("quiet@vngcloud.test", "", "in_app"),
        (None, "sales-ops@vngcloud.test", "email"),  # STAFF_NOTIFICATION_EMAILS
    }
    assert not Delivery.objects.filter(user=alice).exists()  # the partner is not told
    assert sorted(m.to[0] for m in mail.outbox) == [
        "reviewer@vngcloud.test",
        "sales-ops@vngcloud.test",
    ]
    assert "/admin/deals/deal/" in mail.outbox[0].body and reads_in_admin(reviewer)
    text = message(Event.objects.get())
    assert "“Hệ thống kho”" in text and "longer than 3 business days" in text


def test_a_resubmission_that_runs_late_again_is_news_again(
    late, alice, reviewer, django_capture_on_commit_callbacks
):
    run(django_capture_on_commit_callbacks)
    send_back_deal(late, by=reviewer, comment="Bổ sung BOM.")
    resubmit_deal(late, by=alice)
    submitted(late, datetime(2026, 12, 14, 9))

    assert run(django_capture_on_commit_callbacks, today="2026-12-18") == 1
    assert Event.objects.filter(kind=Kind.REVIEW_OVERDUE, deal=late).count() == 2


def test_old_backlog_is_not_announced_after_a_deployment(
    alpha, alice, reviewer, django_capture_on_commit_callbacks
):
    submitted(DealFactory(partner=alpha, created_by=alice), datetime(2026, 10, 1, 9))

    assert run(django_capture_on_commit_callbacks) == 0


def test_resubmitting_restarts_the_clock(late, alice, reviewer):
    send_back_deal(late, by=reviewer, comment="Bổ sung BOM.")
    before = timezone.now()

    resubmit_deal(late, by=alice)

    late.refresh_from_db()
    assert late.status == Deal.Status.PENDING and late.submitted_at >= before


def test_a_new_registration_enters_the_queue_when_it_is_registered(alpha, alice, vserver):
    before = timezone.now()

    deal = register_deal(
        partner=alpha,
        by=alice,
        customer_tax_code="0312345678",
        customer_name="Sao Mai",
        title="Máy chủ ảo",
        estimated_value=Decimal("100000000"),
        expected_close_date=timezone.localdate() + timedelta(days=30),
        rates={vserver: Decimal("10")},
    )

    assert deal.submitted_at is not None and deal.submitted_at >= before
    deal.refresh_from_db()
    assert before <= deal.submitted_at <= timezone.now()


def test_the_command_runs_the_same_job(late, reviewer):
    out = io.StringIO()

    call_command("review_overdue", "--today", FRIDAY, stdout=out)
    call_command("review_overdue", "--today", FRIDAY, stdout=out)

    assert out.getvalue().split() == ["overdue:", "1", "overdue:", "0"]
    assert Event.objects.filter(kind=Kind.REVIEW_OVERDUE, deal=late).count() == 1
