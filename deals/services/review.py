"""Staff review of a registration: approve, send back, reject, extend protection.

The review status is separate from the stage: these functions never move the stage.
"""

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from deals import counters
from deals.models import (
    DESCRIPTION_MAX_LENGTH,
    PROTECTION_MAX_DAYS,
    REVIEW_COMMENT_MAX_LENGTH,
    Deal,
    StageChange,
)
from deals.selectors import conflicting_claims
from deals.services.checks import (
    check_deal_fields,
    check_not_duplicate,
    clean_title,
    lock_partner_titles,
)
from notifications.activity import changes_between, record_activity
from notifications.models import Kind
from notifications.services import record_event
from partners.services import check_same_realm

REVIEWABLE = (Deal.Status.PENDING, Deal.Status.ACTION_REQUIRED)


def _decide(deal: Deal, status: str, *, by, comment: str, action: str, **extra) -> Deal:
    """Record a review decision on the locked row: status, comment, reviewer, history, the
    dashboard's deal counters, and the activity entry `action` (status and protection
    before and after, the comment)."""
    if len(comment) > REVIEW_COMMENT_MAX_LENGTH:
        raise ValidationError(
            _("Write at most %(n)s characters.") % {"n": REVIEW_COMMENT_MAX_LENGTH},
            code="too_long",
        )
    # Two reviewers may act on one registration at once: decide on the locked row.
    locked = Deal.objects.select_for_update().get(pk=deal.pk)
    if locked.status not in REVIEWABLE:
        raise ValidationError(
            _("This registration was already reviewed (%(status)s).")
            % {"status": locked.get_status_display()},
            code="already_reviewed",
        )
    previous = locked.status
    logged = {"status": previous, "protected_until": locked.protected_until}
    before = counters.snapshot(locked)
    fields = {
        "status": status,
        "review_comment": comment,
        "reviewed_at": timezone.now(),
        "reviewed_by": by,
        **extra,
    }
    for name, value in fields.items():
        setattr(locked, name, value)
    locked.save(update_fields=[*fields, "updated_at"])
    counters.record(before, locked)
    StageChange.objects.create(
        deal=locked,
        from_stage=locked.stage,
        to_stage=locked.stage,
        from_status=previous,
        to_status=status,
        by=by,
        note=comment,
    )
    record_activity(
        action=action,
        actor=by,
        obj=locked,
        changes=changes_between(
            logged, {"status": status, "protected_until": locked.protected_until}
        ),
        data={"comment": comment.strip()} if comment.strip() else {},
    )
    return locked


@transaction.atomic
def approve_deal(deal: Deal, *, by, comment: str = "", protection_days: int | None = None) -> Deal:
    """Approve a registration.

    Effects: status `approved` with the reviewer and time; the claim is protected until
    today + `protection_days` (default DEAL_PROTECTION_DAYS); a history entry by the reviewer;
    a "registration approved" event for the partner; an activity entry.
    Refused when the registration was already reviewed.
    """
    days = protection_days or settings.DEAL_PROTECTION_DAYS
    if not 1 <= days <= PROTECTION_MAX_DAYS:
        raise ValidationError(
            _("Protect a claim for 1 to %(n)s days.") % {"n": PROTECTION_MAX_DAYS},
            code="protection_out_of_range",
        )
    until = timezone.localdate() + timedelta(days=days)
    deal = _decide(
        deal,
        Deal.Status.APPROVED,
        by=by,
        comment=comment,
        action="deal.approved",
        protected_until=until,
    )
    record_event(Kind.DEAL_APPROVED, deal=deal, actor=by, params={"date": until.isoformat()})
    return deal


@transaction.atomic
def send_back_deal(deal: Deal, *, by, comment: str) -> Deal:
    """Ask the partner for changes.

    Effects: status `action_required` with the reviewer's comment (required); a history
    entry; a "registration sent back" event for the partner; an activity entry. Refused when
    the registration was already reviewed.
    """
    if not comment.strip():
        raise ValidationError(_("Say what the partner should change."), code="comment_required")
    deal = _decide(
        deal, Deal.Status.ACTION_REQUIRED, by=by, comment=comment, action="deal.sent_back"
    )
    record_event(Kind.DEAL_SENT_BACK, deal=deal, actor=by, params={"reason": comment.strip()})
    return deal


@transaction.atomic
def reject_deal(deal: Deal, *, by, reason: str) -> Deal:
    """Reject a registration.

    Effects: status `rejected` with the reason (required); the deal is closed (closed_at,
    closed_by), so it never changes stage and never issues a discount; a history entry; a
    "registration rejected" event for the partner; an activity entry.
    """
    if not reason.strip():
        raise ValidationError(_("Give the reason for the rejection."), code="reason_required")
    now = timezone.now()
    deal = _decide(
        deal,
        Deal.Status.REJECTED,
        by=by,
        comment=reason,
        action="deal.rejected",
        closed_at=now,
        closed_by=by,
    )
    record_event(Kind.DEAL_REJECTED, deal=deal, actor=by, params={"reason": reason.strip()})
    return deal


@transaction.atomic
def extend_protection(deal: Deal, *, by, until) -> Deal:
    """Staff extend an approved, open deal's protection to `until`.

    Effects: protected_until moves later (an earlier or equal date is refused); a history
    entry names the staff member and the new date; an activity entry with both dates.
    """
    locked = Deal.objects.select_for_update().get(pk=deal.pk)
    if locked.status != Deal.Status.APPROVED or locked.is_closed:
        raise ValidationError(_("Only an approved, open deal can have its protection extended."))
    if locked.protected_until and until <= locked.protected_until:
        raise ValidationError(_("The new date must be later than the current one."))
    furthest = timezone.localdate() + timedelta(days=PROTECTION_MAX_DAYS)
    if until > furthest:
        raise ValidationError(
            _("Protect a claim until %(date)s at the latest (%(n)s days from today).")
            % {"date": date_format(furthest, "SHORT_DATE_FORMAT"), "n": PROTECTION_MAX_DAYS},
            code="protection_out_of_range",
        )
    before = locked.protected_until
    locked.protected_until = until
    locked.save(update_fields=["protected_until", "updated_at"])
    record_activity(
        action="deal.protection_extended",
        actor=by,
        obj=locked,
        changes=changes_between({"protected_until": before}, {"protected_until": until}),
    )
    StageChange.objects.create(
        deal=locked,
        from_stage=locked.stage,
        to_stage=locked.stage,
        by=by,
        system_code=StageChange.SystemNote.PROTECTION_EXTENDED,
        system_params={"date": until.isoformat()},
    )
    return locked


STAFF_EDITABLE = ("customer", "title", "description", "estimated_value", "expected_close_date")


@transaction.atomic
def correct_deal(deal: Deal, *, by, changes: dict) -> Deal:
    """Staff correct the registered fields of an open deal (customer, title, value, ...).

    Effects: the deal row is locked (after the partner's, `lock_partner_titles`, when the
    title or customer changes); a closed deal is refused (ValidationError, nothing
    saved), and so is a changed field registration would refuse (`_check_correction`: a
    past close date, a description too long, a sandbox's customer on a real deal or the
    other way, an open deal of the partner's with the same title for the customer...);
    the title is tidied as registration tidies it; only the fields named in `changes` are
    written, so a stage change that landed
    meanwhile is never overwritten; when a value really changed, a timeline entry by `by`
    (system note CORRECTED) lists each field with its old and new value, for the partner,
    and an activity entry has them too; moved to a customer another partner holds a
    protected claim on, the event "possible conflict flagged" (reviewers), as at
    registration.
    """
    if {"title", "customer"} & changes.keys():
        lock_partner_titles(deal.partner_id)  # before the deal's row: registration's order
    locked = Deal.objects.select_for_update().get(pk=deal.pk)
    if locked.is_closed:
        raise ValidationError(
            _("This deal is closed; its data can no longer change."), code="closed"
        )
    if "title" in changes:
        changes = {**changes, "title": clean_title(changes["title"])}
    fields = [
        name
        for name in changes
        if name in STAFF_EDITABLE and getattr(locked, name) != changes[name]
    ]
    _check_correction(locked, {name: changes[name] for name in fields})
    corrections = [
        {"field": name, "from": _plain(getattr(locked, name)), "to": _plain(changes[name])}
        for name in fields
    ]
    before = counters.snapshot(locked)
    logged = {name: getattr(locked, name) for name in fields}
    for name in fields:
        setattr(locked, name, changes[name])
    if fields:
        locked.save(update_fields=[*fields, "updated_at"])
        counters.record(before, locked)
        record_correction(locked, by=by, corrections=corrections)
        record_activity(
            action="deal.corrected",
            actor=by,
            obj=locked,
            changes=changes_between(logged, {name: getattr(locked, name) for name in fields}),
        )
        if "customer" in fields and conflicting_claims(locked).exists():
            # Moved to a company another partner holds a protected claim on: flagged to the
            # reviewers, as a registration for it would be.
            record_event(Kind.CONFLICT_FLAGGED, deal=locked, actor=by, params={"on": "correction"})
            locked.conflict_flagged = True  # for the page that asked (admin's warning)
    return locked


def _check_correction(deal: Deal, changed: dict) -> None:
    """What registration refuses, for the fields a correction changes (ValidationError keyed
    by field, nothing saved): a blank title, a value that is not whole VND, a close date in
    the past, a description over DESCRIPTION_MAX_LENGTH, a customer of another realm (a
    sandbox's test customer on a real deal, or the other way), and a title the partner
    already has open for the customer. A value the correction leaves alone is not judged
    again (a close date that has passed since)."""
    if not changed:
        return
    errors = {}
    try:
        check_deal_fields(
            title=changed.get("title", deal.title),
            estimated_value=changed.get("estimated_value", deal.estimated_value),
            expected_close_date=changed.get("expected_close_date", deal.expected_close_date),
            today=timezone.localdate(),
        )
    except ValidationError as error:
        errors.update({k: v for k, v in error.error_dict.items() if k in changed})
    if "description" in changed:
        try:
            MaxLengthValidator(DESCRIPTION_MAX_LENGTH)(changed["description"] or "")
        except ValidationError as error:
            errors["description"] = error.error_list
    if "customer" in changed:
        try:
            check_same_realm(changed["customer"], deal.partner)
        except ValidationError as error:
            errors.update(error.error_dict)
    if errors:
        raise ValidationError(errors)
    if {"title", "customer"} & changed.keys():
        check_not_duplicate(
            partner=deal.partner,
            customer=changed.get("customer", deal.customer),
            title=changed.get("title", deal.title),
            exclude_pk=deal.pk,
        )


def _plain(value) -> str:
    """A value as stored in the timeline: dates as ISO (shown in the reader's format)."""
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def record_correction(deal: Deal, *, by, corrections: list[dict]) -> StageChange:
    """The timeline entry of a staff correction (who, when, each field's old and new value)."""
    return StageChange.objects.create(
        deal=deal,
        from_stage=deal.stage,
        to_stage=deal.stage,
        by=by,
        system_code=StageChange.SystemNote.CORRECTED,
        system_params={"changes": corrections},
    )
