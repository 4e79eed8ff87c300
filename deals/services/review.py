"""Staff review of a registration: approve, send back, reject, extend protection.

The review status is separate from the stage: these functions never move the stage.
"""

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.formats import localize
from django.utils.translation import gettext as _

from deals.models import Deal, StageChange

REVIEWABLE = (Deal.Status.PENDING, Deal.Status.ACTION_REQUIRED)


def _lock_for_review(deal: Deal) -> Deal:
    # Two reviewers may act on one registration at once: decide on the locked row.
    locked = Deal.objects.select_for_update().get(pk=deal.pk)
    if locked.status not in REVIEWABLE:
        raise ValidationError(
            _("This registration was already reviewed (%(status)s).")
            % {"status": locked.get_status_display()},
            code="already_reviewed",
        )
    return locked


def _record(deal: Deal, from_status, *, by, note):
    return StageChange.objects.create(
        deal=deal,
        from_stage=deal.stage,
        to_stage=deal.stage,
        from_status=from_status,
        to_status=deal.status,
        by=by,
        note=note,
    )


@transaction.atomic
def approve_deal(deal: Deal, *, by, comment: str = "", protection_days: int | None = None) -> Deal:
    """Approve a registration.

    Effects: status `approved`; the claim is protected until today + DEAL_PROTECTION_DAYS;
    a history entry by the reviewer.
    """
    locked = _lock_for_review(deal)
    now = timezone.now()
    days = protection_days or settings.DEAL_PROTECTION_DAYS
    previous = locked.status
    locked.status = Deal.Status.APPROVED
    locked.review_comment = comment
    locked.reviewed_at, locked.reviewed_by = now, by
    locked.protected_until = timezone.localdate(now) + timedelta(days=days)
    locked.save(
        update_fields=[
            "status",
            "review_comment",
            "reviewed_at",
            "reviewed_by",
            "protected_until",
            "updated_at",
        ]
    )
    _record(locked, previous, by=by, note=comment)
    return locked


@transaction.atomic
def send_back_deal(deal: Deal, *, by, comment: str) -> Deal:
    """Ask the partner for changes: status `action_required` with the reviewer's comment."""
    if not comment.strip():
        raise ValidationError(_("Say what the partner should change."), code="comment_required")
    locked = _lock_for_review(deal)
    previous = locked.status
    locked.status = Deal.Status.ACTION_REQUIRED
    locked.review_comment = comment
    locked.reviewed_at, locked.reviewed_by = timezone.now(), by
    locked.save(
        update_fields=["status", "review_comment", "reviewed_at", "reviewed_by", "updated_at"]
    )
    _record(locked, previous, by=by, note=comment)
    return locked


@transaction.atomic
def reject_deal(deal: Deal, *, by, reason: str) -> Deal:
    """Reject a registration: status `rejected`, the deal is closed, no discount ever."""
    if not reason.strip():
        raise ValidationError(_("Give the reason for the rejection."), code="reason_required")
    locked = _lock_for_review(deal)
    now = timezone.now()
    previous = locked.status
    locked.status = Deal.Status.REJECTED
    locked.review_comment = reason
    locked.reviewed_at, locked.reviewed_by = now, by
    locked.closed_at, locked.closed_by = now, by
    locked.save(
        update_fields=[
            "status",
            "review_comment",
            "reviewed_at",
            "reviewed_by",
            "closed_at",
            "closed_by",
            "updated_at",
        ]
    )
    _record(locked, previous, by=by, note=reason)
    return locked


@transaction.atomic
def extend_protection(deal: Deal, *, by, until) -> Deal:
    """Staff extend an approved, open deal's protection to `until`.

    Effects: protected_until moves later (an earlier or equal date is refused); a history
    entry names the staff member and the new date.
    """
    locked = Deal.objects.select_for_update().get(pk=deal.pk)
    if locked.status != Deal.Status.APPROVED or locked.is_closed:
        raise ValidationError(_("Only an approved, open deal can have its protection extended."))
    if locked.protected_until and until <= locked.protected_until:
        raise ValidationError(_("The new date must be later than the current one."))
    locked.protected_until = until
    locked.save(update_fields=["protected_until", "updated_at"])
    StageChange.objects.create(
        deal=locked,
        from_stage=locked.stage,
        to_stage=locked.stage,
        by=by,
        note=_("Protection extended until %(date)s.") % {"date": localize(until)},
    )
    return locked


STAFF_EDITABLE = ("customer", "title", "description", "estimated_value", "expected_close_date")


@transaction.atomic
def correct_deal(deal: Deal, *, by, changes: dict) -> Deal:
    """Staff correct the registered fields of an open deal (customer, title, value, ...).

    Effects: the deal row is locked; a closed deal is refused (ValidationError, nothing
    saved); only the fields named in `changes` are written, so a stage change that landed
    meanwhile is never overwritten.
    """
    locked = Deal.objects.select_for_update().get(pk=deal.pk)
    if locked.is_closed:
        raise ValidationError(
            _("This deal is closed; its data can no longer change."), code="closed"
        )
    fields = [name for name in changes if name in STAFF_EDITABLE]
    for name in fields:
        setattr(locked, name, changes[name])
    if fields:
        locked.save(update_fields=[*fields, "updated_at"])
    return locked
