"""Staff void a win: the deal stays won and closed, everything the win gave is taken back."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from deals.models import Deal, StageChange
from discounts.models import Discount, DiscountStatus
from discounts.services import revoke_discount
from notifications.activity import record_activity
from notifications.models import Kind
from notifications.services import record_event
from partners.access import STAFF_ONLY_VOID_WIN, require_staff
from partners.services import undo_ownership


@transaction.atomic
def void_win(deal: Deal, *, by, reason: str) -> Deal:
    """Void the win of `deal` (staff only), for example a deal won by mistake.

    Effects, in one transaction (all or nothing):
    - refused: `by` not staff (PermissionDenied); no reason, a deal that is not won, or a win
      already voided (ValidationError, nothing changes; the deal row is locked first, so two
      staff voiding at once give one void);
    - the deal's Discount is revoked with the reason, and every active customer discount drawn
      on it with it;
    - the customer ownership the win created ends now and, if the win had ended another
      partner's link, that partner owns the customer again (a new link; history kept);
    - the deal stays won and closed, with win_voided_at/by/reason set ("won, voided");
    - a timeline entry by `by` with the reason, a "win voided" event for the partner, and
      one activity entry (the discount's revocation is part of it, not an entry of its own).
    """
    require_staff(by, STAFF_ONLY_VOID_WIN)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the win is voided.")}, code="required")
    locked = Deal.objects.select_for_update().select_related("customer").get(pk=deal.pk)
    if locked.stage != Deal.Stage.WON:
        raise ValidationError(_("Only a won deal's win can be voided."), code="not_won")
    if locked.win_voided_at is not None:
        raise ValidationError(_("This win was already voided."), code="already_voided")
    now = timezone.now()
    discount = Discount.objects.filter(deal=locked).first()
    if discount is not None and discount.status != DiscountStatus.REVOKED:
        revoke_discount(discount, by=by, reason=reason, notify=False)
    undo_ownership(customer=locked.customer, deal=locked, at=now)
    locked.win_voided_at, locked.win_voided_by, locked.win_void_reason = now, by, reason
    locked.save(update_fields=["win_voided_at", "win_voided_by", "win_void_reason", "updated_at"])
    StageChange.objects.create(
        deal=locked,
        from_stage=locked.stage,
        to_stage=locked.stage,
        by=by,
        at=now,
        note=reason,
        system_code=StageChange.SystemNote.WIN_VOIDED,
    )
    record_event(Kind.WIN_VOIDED, deal=locked, actor=by, params={"reason": reason})
    record_activity(
        action="deal.win_voided",
        actor=by,
        obj=locked,
        changes={"win_voided_at": [None, now]},
        data={"reason": reason, "discount_revoked": discount is not None},
    )
    deal.refresh_from_db()
    return deal
