"""Beat job: draft the previous month's statements (each partner's exactly once)."""

from datetime import date

from celery import shared_task

from notifications.activity import activity_context
from statements.documents import store_documents
from statements.services.drafting import draft_statements as draft


@shared_task(name="statements.tasks.draft_statements", ignore_result=True)
def draft_statements(month: str | None = None) -> int:
    """`month` (ISO date) is for tests and catch-up runs; the schedule passes none (the
    previous month). Hourly: a partner whose consumption arrives late still gets its draft."""
    with activity_context(via="worker"):
        return draft(date.fromisoformat(month) if month else None)


@shared_task(name="statements.tasks.store_statement_documents", ignore_result=True)
def store_statement_documents(statement_id: int) -> list[str]:
    """Draw a sent statement's PDFs (both languages) into storage, once per change of what
    they print (statements/documents.py); enqueued on commit by the workflow."""
    with activity_context(via="worker"):
        return store_documents(statement_id=statement_id)
