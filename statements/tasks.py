"""Beat job: draft the previous month's statements (each partner's exactly once)."""

from datetime import date

from celery import shared_task

from notifications.activity import activity_context
from statements.services.drafting import draft_statements as draft


@shared_task(name="statements.tasks.draft_statements", ignore_result=True)
def draft_statements(month: str | None = None) -> int:
    """`month` (ISO date) is for tests and catch-up runs; the schedule passes none (the
    previous month). Hourly: a partner whose consumption arrives late still gets its draft."""
    with activity_context(via="worker"):
        return draft(date.fromisoformat(month) if month else None)
