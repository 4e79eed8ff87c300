"""The stage machine: the one code path that changes a deal's stage."""

import logging
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from deals import counters
from deals.files.storing import StoredFiles
from deals.models import (
    CLOSING_STAGES,
    LOST_REASON_MAX_LENGTH,
    OPEN_STAGES,
    Deal,
    StageChange,
)
from deals.selectors import conflicting_claims
from deals.services.content import add_note, save_attachments, upload_attachments
from deals.services.sync import check_version
from discounts.rates import check_deal_rates
from discounts.services import end_other_partners_customer_discounts, issue_discount
from notifications.activity import record_activity
from notifications.models import Kind
from notifications.services import record_event
from partners.access import require_member
from partners.services import transfer_ownership

logger = logging.getLogger(__name__)
Stage = Deal.Stage

# Open stages move forward or back freely; any open stage may close as won or lost.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    stage: tuple(s for s in (*OPEN_STAGES, *CLOSING_STAGES) if s != stage) for stage in OPEN_STAGES
}
TRANSITIONS.update({stage: () for stage in CLOSING_STAGES})


def allowed_stages(deal: Deal) -> list[str]:
    """The stages the deal may move to now (none when closed or not approved)."""
    if deal.is_closed or deal.status != Deal.Status.APPROVED:
        return []
    return list(TRANSITIONS[deal.stage])


def _check_actor(deal: Deal, by):
    require_member(by, deal.partner_id)


def _check_move(deal: Deal, to_stage: str):
    """The rules, checked on the locked row; each refusal says why in plain words."""
    if deal.is_closed:
        raise ValidationError(
            _("This deal is already closed (%(stage)s); it cannot change any more.")
            % {"stage": deal.get_stage_display()},
            code="closed",
        )
    if deal.status != Deal.Status.APPROVED:
        raise ValidationError(
            _("Only an approved deal can change stage; this one is %(status)s.")
            % {"status": deal.get_status_display()},
            code="not_approved",
        )
    if to_stage == deal.stage:
        raise ValidationError(
            _("The deal is already in %(stage)s.") % {"stage": deal.get_stage_display()},
            code="same_stage",
        )
    if to_stage not in TRANSITIONS[deal.stage]:
        raise ValidationError(_("This stage change is not allowed."), code="not_allowed")


def _parse_stage(to_stage) -> str:
    try:
        return Stage(to_stage).value
    except ValueError:
        raise ValidationError(
            {"stage": _("Choose a stage from the list.")}, code="unknown_stage"
        ) from None


def change_stage(
    deal: Deal,
    to_stage: str,
    *,
    by,
    note: str = "",
    files: Iterable = (),
    lost_reason: str = "",
    lost_reason_code: str = "",
    kind: str = "other",
    expected_version: str | None = None,
) -> StageChange:
    """Move `deal` to `to_stage` on behalf of `by` (a member of the deal's partner, or staff).

    Effects, all in one transaction (all or nothing):
    - the deal row is locked and every rule re-checked on it (closed, not approved, same or
      unknown stage): a refusal raises ValidationError, changes nothing; another partner's
      user gets PermissionDenied;
    - the deal's stage and probability change; a StageChange records from, to, who, when, note;
    - the dashboard's deal counters move the deal to its new bucket;
    - the files are checked and uploaded first, before the deal is locked (a slow upload never
      holds the row lock); then the note becomes a Note and the files become Attachments in the
      transaction; if the change is refused or fails, the uploaded objects are deleted again
      (storage down: left to purge_orphans);
    - `won`: refused (naming nobody; a "possible conflict" event tells staff, in its own
      transaction) when the deal's own protection has expired and another partner holds a
      protected claim on the same company (tax-code root); otherwise closed_at/closed_by are
      set, the partner's Discount is issued with one line per discount rule (validity from
      the contract in force today; none → refused), and the customer becomes the partner's
      customer (another partner's link is ended, kept, and the customer discounts that
      partner gave it end);
    - `lost`: needs a reason; closed_at/closed_by are set; no discount is ever issued;
    - with `expected_version` (the API's If-Match): refused (code "stale") when the locked
      deal's version differs, and the compare-and-set update also matches `updated_at`;
    - one event: "stage changed", "deal won" (with "discount issued") or "deal lost",
      delivered after commit (notifications);
    - one activity entry: the stage before and after, with the note, the files' names and,
      for lost, the reason.
    Returns the StageChange; the caller's `deal` instance is refreshed.
    """
    to_stage = _parse_stage(to_stage)
    _check_actor(deal, by)
    lost_reason = (lost_reason or "").strip()
    if to_stage == Stage.LOST and not (lost_reason_code or lost_reason):
        raise ValidationError(
            {"lost_reason": _("Say why the deal was lost.")}, code="lost_reason_required"
        )
    if lost_reason_code and lost_reason_code not in Deal.LostReason.values:
        raise ValidationError({"lost_reason": _("Choose a reason from the list.")})
    if len(lost_reason) > LOST_REASON_MAX_LENGTH:
        raise ValidationError(
            {
                "lost_reason_text": _("Write at most %(n)s characters.")
                % {"n": LOST_REASON_MAX_LENGTH}
            },
            code="too_long",
        )
    files = list(files)
    try:
        with StoredFiles() as stored:
            uploaded = _upload(deal, to_stage, by, files, kind, stored)
            with transaction.atomic():
                change = _apply(
                    deal, to_stage, by, note, lost_reason, lost_reason_code, expected_version
                )
                save_attachments(change.deal, uploaded, stored=stored)
                _log(change, uploaded)
    except ValidationError as exc:
        if getattr(exc, "code", None) == "claimed_elsewhere":
            # Nothing of the win was saved; staff still hear of the attempt.
            with transaction.atomic():
                record_event(Kind.CONFLICT_FLAGGED, deal=deal, actor=by, params={"on": "win"})
        raise
    except IntegrityError as exc:
        # A database guard fired (a second discount for the deal, a second active owner):
        # everything was rolled back; say so instead of failing with a server error.
        logger.warning("stage change of deal %s refused by the database: %s", deal.pk, exc)
        raise ValidationError(
            _(
                "The deal could not be updated because it conflicts with existing data; nothing was changed. Reload the page and try again, or contact VNG Cloud."
            ),
            code="conflict",
        ) from exc
    deal.refresh_from_db()
    return change


def _upload(deal, to_stage, by, files, kind, stored) -> list:
    """Check and upload the files outside the transaction, as post_attachments does."""
    if not files:
        return []
    _check_move(Deal.objects.get(pk=deal.pk), to_stage)  # early; repeated under the lock
    return upload_attachments(deal, by=by, files=files, kind=kind, stored=stored)


def _apply(deal, to_stage, by, note, lost_reason, lost_reason_code, expected_version=None):
    # Two tabs or two app servers may press Update at once: decide on the locked row.
    locked = Deal.objects.select_for_update().get(pk=deal.pk)
    check_version(locked, expected_version)
    _check_move(locked, to_stage)
    now = timezone.now()
    from_stage = locked.stage
    fields = {"stage": to_stage, "probability": Deal.PROBABILITY[to_stage], "updated_at": now}
    if to_stage in CLOSING_STAGES:
        fields.update(closed_at=now, closed_by=by)
    if to_stage == Stage.LOST:
        fields.update(
            lost_reason_code=lost_reason_code or Deal.LostReason.OTHER, lost_reason=lost_reason
        )
    # Compare-and-set: the update only lands if nobody moved the deal since we read it, which
    # also catches a race where select_for_update is a no-op.
    unchanged = {"updated_at": locked.updated_at} if expected_version is not None else {}
    if not Deal.objects.filter(
        pk=locked.pk, stage=from_stage, closed_at__isnull=True, **unchanged
    ).update(**fields):
        raise ValidationError(
            _("Somebody else changed this deal just now; reload the page."), code="race"
        )
    before = counters.snapshot(locked)
    for name, value in fields.items():
        setattr(locked, name, value)
    counters.record(before, locked)
    change = StageChange.objects.create(
        deal=locked, from_stage=from_stage, to_stage=to_stage, by=by, at=now, note=note.strip()
    )
    if note.strip():
        add_note(locked, by=by, text=note, stage_change=change)
    if to_stage == Stage.WON:
        _win(locked, now)
    _record(locked, from_stage, to_stage, by)
    return change


def _record(deal: Deal, from_stage: str, to_stage: str, by) -> None:
    if to_stage == Stage.WON:
        record_event(Kind.DEAL_WON, deal=deal, actor=by)
    elif to_stage == Stage.LOST:
        reason = deal.lost_reason or deal.get_lost_reason_code_display()
        record_event(Kind.DEAL_LOST, deal=deal, actor=by, params={"reason": str(reason)})
    else:
        params = {"from_stage": from_stage, "to_stage": to_stage}
        record_event(Kind.STAGE_CHANGED, deal=deal, actor=by, params=params)


ACTIVITY = {Stage.WON: "deal.won", Stage.LOST: "deal.lost"}


def _log(change: StageChange, files: list) -> None:
    """The stage change's one activity entry."""
    deal = change.deal
    data = {"note": change.note} if change.note else {}
    if files:
        data["files"] = [attachment.original_name for attachment in files]
    if change.to_stage == Stage.LOST:
        data["reason"] = str(deal.lost_reason or deal.get_lost_reason_code_display())
    record_activity(
        action=ACTIVITY.get(change.to_stage, "deal.stage_changed"),
        actor=change.by,
        obj=deal,
        changes={"stage": [change.from_stage, change.to_stage]},
        data=data,
    )


def _check_claims(deal: Deal, day) -> None:
    """An expired claim may still be won, unless another partner now holds a protected one."""
    own_protected = deal.protected_until is not None and deal.protected_until >= day
    if not own_protected and conflicting_claims(deal, day).exists():
        raise ValidationError(
            _(
                "This deal's protection has expired and another partner now holds a protected "
                "claim on this customer, so it cannot be marked won. Nothing was changed; VNG "
                "Cloud has been told and will contact you."
            ),
            code="claimed_elsewhere",
        )


def _win(deal: Deal, now):
    """The effects of winning: the partner discount and the customer ownership."""
    day = timezone.localdate(now)
    _check_claims(deal, day)
    rules = list(deal.discount_rules.select_related("product"))
    if not rules:
        raise ValidationError(
            _(
                "This deal has no registered discount, so winning it would issue an empty "
                "one. Ask your account manager to register the rates first."
            ),
            code="no_rules",
        )
    try:
        # The rates the deal registered, under the contract in force today; the deal keeps
        # its products even when one is no longer offered.
        contract = check_deal_rates(
            deal.partner,
            {rule.product: rule.rate for rule in rules},
            day,
            also_allowed=frozenset(rule.product_id for rule in rules),
        )
    except ValidationError as exc:
        if getattr(exc, "code", None) == "no_contract":
            raise
        # The partner cannot correct the registered rates: the win is refused as the deal's
        # state (not a field of the stage form), with what to do.
        advice = _("Ask your account manager to correct the registered discount.")
        raise ValidationError(" ".join([*exc.messages, advice]), code="rate_out_of_range") from None
    issue_discount(
        partner=deal.partner,
        deal=deal,
        customer=deal.customer,
        lines=[(rule.product, rule.rate) for rule in rules],
        valid_from=day,
        validity_days=contract.discount_validity_days,
    )
    transfer_ownership(customer=deal.customer, partner=deal.partner, deal=deal, at=now)
    end_other_partners_customer_discounts(customer=deal.customer, owner=deal.partner, at=now)
