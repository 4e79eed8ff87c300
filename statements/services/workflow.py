"""A statement's life after drafting, one function per state change:
draft -> sent (staff; amounts frozen) -> confirmed | disputed (the partner) -> paid (staff).
A disputed statement may still be confirmed once the thread settled it. Each change locks the
row, re-checks the state on the locked row, writes an event and an activity entry."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from billing.services.credit import bank_reference
from notifications.activity import record_activity
from notifications.models import Kind
from notifications.services import record_event
from partners.access import require_member, require_partner_admin, require_staff
from statements.documents import enqueue_documents
from statements.models import Statement, StatementMessage
from statements.services.drafting import lock_month

Status = Statement.Status
STAFF_ONLY = gettext_lazy("Only VNG Cloud staff can send statements or mark them paid.")
ADMINS_ONLY = gettext_lazy("Only your organisation's admins can confirm or dispute a statement.")
MAX_TEXT = 4000


def _locked(statement: Statement) -> Statement:
    # The month's lock first (as drafting and consumption take it), then the row.
    lock_month(*Statement.objects.filter(pk=statement.pk).values_list("partner_id", "month").get())
    return Statement.objects.select_for_update().select_related("partner").get(pk=statement.pk)


def _refuse(statement: Statement, allowed) -> None:
    if statement.status not in allowed:
        raise ValidationError(
            _("This statement is %(status)s: it cannot change that way now.")
            % {"status": statement.get_status_display().lower()},
            code="state",
        )


def _params(statement: Statement, **extra) -> dict:
    return {
        "statement": statement.pk,
        "month": date_format(statement.month, "YEAR_MONTH_FORMAT"),
        "amount": str(statement.total),
        **extra,
    }


def _clean(text: str) -> str:
    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": _("Write a few words.")}, code="required")
    if len(text) > MAX_TEXT:
        raise ValidationError(
            {"text": _("At most %(max)s characters.") % {"max": MAX_TEXT}}, code="too_long"
        )
    return text


@transaction.atomic
def send_statement(statement: Statement, *, by) -> Statement:
    """Staff send a draft: its amounts freeze; event `statement.sent`; activity; after commit
    its PDFs are drawn into storage (by the worker), so downloads serve the stored files."""
    require_staff(by, STAFF_ONLY)
    locked = _locked(statement)
    _refuse(locked, (Status.DRAFT,))
    locked.status, locked.sent_at, locked.sent_by = Status.SENT, timezone.now(), by
    locked.save(update_fields=["status", "sent_at", "sent_by"])
    params = _params(locked)
    record_activity(action="statement.sent", actor=by, obj=locked, data=params)
    record_event(Kind.STATEMENT_SENT, partner=locked.partner, actor=by, params=params)
    enqueue_documents(locked)
    return locked


@transaction.atomic
def confirm_statement(statement: Statement, *, by) -> Statement:
    """The partner's admin confirms a sent (or disputed) statement; event and activity; its
    PDFs (which print the status) drawn again after commit."""
    require_partner_admin(by, statement.partner_id, ADMINS_ONLY)
    locked = _locked(statement)
    _refuse(locked, (Status.SENT, Status.DISPUTED))
    locked.status, locked.answered_at, locked.answered_by = (
        Status.CONFIRMED,
        timezone.now(),
        by,
    )
    locked.save(update_fields=["status", "answered_at", "answered_by"])
    params = _params(locked)
    record_activity(action="statement.confirmed", actor=by, obj=locked, data=params)
    record_event(Kind.STATEMENT_CONFIRMED, partner=locked.partner, actor=by, params=params)
    enqueue_documents(locked)
    return locked


@transaction.atomic
def dispute_statement(statement: Statement, *, by, reason: str) -> Statement:
    """The partner's admin disputes a sent statement with a reason, which opens the thread;
    event `statement.disputed`; activity; its PDFs drawn again after commit."""
    require_partner_admin(by, statement.partner_id, ADMINS_ONLY)
    try:
        reason = _clean(reason)
    except ValidationError as exc:
        raise ValidationError({"reason": exc.message_dict["text"]}) from None
    locked = _locked(statement)
    _refuse(locked, (Status.SENT,))
    locked.status, locked.answered_at, locked.answered_by = Status.DISPUTED, timezone.now(), by
    locked.dispute_reason = reason
    locked.save(update_fields=["status", "answered_at", "answered_by", "dispute_reason"])
    StatementMessage.objects.create(statement=locked, author=by, text=reason)
    params = _params(locked, reason=reason[:200])
    record_activity(action="statement.disputed", actor=by, obj=locked, data=params)
    record_event(Kind.STATEMENT_DISPUTED, partner=locked.partner, actor=by, params=params)
    enqueue_documents(locked)
    return locked


@transaction.atomic
def add_message(statement: Statement, *, by, text: str) -> StatementMessage:
    """A message in a sent statement's thread, by staff or the partner's members; activity."""
    require_member(by, statement.partner_id)
    text = _clean(text)
    locked = _locked(statement)
    _refuse(locked, Statement.VISIBLE)
    made = StatementMessage.objects.create(
        statement=locked, author=by, text=text, from_staff=by.is_staff
    )
    record_activity(action="statement.message", actor=by, obj=locked)
    return made


@transaction.atomic
def mark_paid(statement: Statement, *, by, reference: str = "") -> Statement:
    """Staff mark a confirmed statement paid (the commission transferred); event and activity;
    its PDFs drawn again after commit."""
    require_staff(by, STAFF_ONLY)
    locked = _locked(statement)
    _refuse(locked, (Status.CONFIRMED,))
    reference = bank_reference(reference)
    if not reference:  # a paid statement names its transfer: it cannot be corrected later
        raise ValidationError(
            {
                "reference": ValidationError(
                    _("Give the bank transfer's reference."), code="required"
                )
            }
        )
    locked.status, locked.paid_at, locked.paid_by = Status.PAID, timezone.now(), by
    locked.payment_reference = reference
    locked.save(update_fields=["status", "paid_at", "paid_by", "payment_reference"])
    params = _params(locked, reference=locked.payment_reference)
    record_activity(action="statement.paid", actor=by, obj=locked, data=params)
    record_event(Kind.STATEMENT_PAID, partner=locked.partner, actor=by, params=params)
    enqueue_documents(locked)
    return locked
