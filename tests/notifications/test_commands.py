"""The cron-style commands for installations without beat (no broker: in-process delivery)."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from deals.services import change_stage
from notifications.models import Event, Kind

pytestmark = pytest.mark.django_db


def test_protection_reminders_command_with_a_day(alpha_deal):
    day = alpha_deal.protected_until - timedelta(days=1)
    out = StringIO()

    call_command("protection_reminders", "--today", day.isoformat(), stdout=out)
    call_command("protection_reminders", "--today", day.isoformat(), stdout=out)

    assert out.getvalue().splitlines() == ["expiring: 1, expired: 0", "expiring: 0, expired: 0"]
    assert Event.objects.get().kind == Kind.PROTECTION_EXPIRING


def test_sweep_command_delivers_a_lost_event_in_process(
    alpha_deal, alice, settings, django_capture_on_commit_callbacks
):
    settings.NOTIFICATION_SWEEP_GRACE_SECONDS = 0
    change_stage(alpha_deal, "lost", by=alice, lost_reason="Budget")  # hand-off never ran
    Event.objects.update(created_at=timezone.now() - timedelta(minutes=1))
    out = StringIO()

    with django_capture_on_commit_callbacks(execute=True):
        call_command("sweep_notifications", stdout=out)

    assert out.getvalue().strip() == "events: 1, e-mails: 0, freed: 0"
    assert sorted(m.to[0] for m in mail.outbox) == ["alice@alpha.test", "sales-ops@vngcloud.test"]


def test_every_beat_entry_names_a_registered_task(settings):
    from partner_portal.celery import app

    app.loader.import_default_modules()

    missing = [
        entry["task"]
        for entry in settings.CELERY_BEAT_SCHEDULE.values()
        if entry["task"] not in app.tasks
    ]
    assert missing == []


def test_purge_orphans_task_runs_the_purge():
    from deals.tasks import purge_orphans

    assert purge_orphans() == "PurgeResult(deleted=0, failed=0, kept=0)"
