"""Scheduled deal jobs, run by `celery -A partner_portal beat` (see CELERY_BEAT_SCHEDULE)."""

from datetime import date

from celery import shared_task

from deals.files.storing import purge_orphans as purge
from deals.services import sandbox
from deals.services.overdue import review_overdue_events as overdue
from deals.services.protection import protection_reminders as remind


@shared_task(name="deals.tasks.protection_reminders", ignore_result=True)
def protection_reminders(today: str | None = None) -> dict:
    """`today` (ISO date) is for tests and catch-up runs; the schedule passes none."""
    return remind(today=date.fromisoformat(today) if today else None)


@shared_task(name="deals.tasks.purge_orphans", ignore_result=True)
def purge_orphans() -> str:
    """Delete stored objects that failed changes left behind (same as the command)."""
    return str(purge())


@shared_task(name="deals.tasks.review_overdue", ignore_result=True)
def review_overdue(today: str | None = None) -> int:
    """`today` (ISO date) is for tests and catch-up runs; the schedule passes none."""
    return overdue(today=date.fromisoformat(today) if today else None)


@shared_task(name="deals.tasks.approve_sandbox_registration", ignore_result=True)
def approve_sandbox_registration(deal_id: int) -> bool:
    """Sent with a countdown after a sandbox registration commits; True if it approved it."""
    return sandbox.approve_sandbox_registration(deal_id) is not None


@shared_task(name="deals.tasks.approve_sandbox_registrations", ignore_result=True)
def approve_sandbox_registrations() -> int:
    """The sweep behind the countdown: a hand-off lost, or made while the broker was down."""
    return sandbox.approve_due_sandbox_registrations()
