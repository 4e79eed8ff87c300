"""Scheduled upkeep of the HTTP edge, run by `celery -A partner_portal beat`."""

from celery import shared_task

from web.submissions import purge_submission_keys as purge


@shared_task(name="web.tasks.purge_submission_keys", ignore_result=True)
def purge_submission_keys() -> int:
    """Delete the forms' one-time keys past their 24 hours (same as the command)."""
    return purge()
