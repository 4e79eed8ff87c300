"""Working the review queue: taking a registration, letting it go, deciding many at once.

Taking is how reviewers share the queue: the registration shows who has it, so two reviewers
do not read the same one. It is not a lock on the decision itself (the review services refuse
a second decision on their own); from the queue, a registration another reviewer has taken
is decided only after taking it over, which the queue asks for explicitly.

The decisions are the review services' (`deals.services.review`): this module only calls
them, one registration at a time, and collects what each refused.
"""

from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from deals.models import Deal
from deals.selectors import conflicting_claims
from deals.services.review import approve_deal, reject_deal, send_back_deal
from notifications.activity import changes_between, record_activity
from partners.access import require_staff

STAFF_ONLY_REVIEW = gettext_lazy("Only VNG Cloud staff review registrations.")


def _taken_message(deal: Deal) -> str:
    taker = deal.review_taken_by
    message = _(
        "%(name)s has taken this registration (since %(time)s). Take it over to review it yourself."
    )
    return message % {
        "name": taker.get_full_name() or taker.email,
        "time": date_format(timezone.localtime(deal.review_taken_at), "DATETIME_FORMAT"),
    }


@transaction.atomic
def take_for_review(deal: Deal, *, by, take_over: bool = False) -> Deal:
    """`by` takes a registration waiting for review; returns the deal.

    Effects: the row is locked; refused (ValidationError, code "not_pending") unless the
    registration is still waiting for review, and (code "taken") when another reviewer has
    it, unless `take_over`; taking one's own again changes nothing. Otherwise
    `review_taken_by` and `review_taken_at` are set (not `updated_at`: the partner's deal did
    not change) and the activity log records "review.taken", with the reviewer it was taken
    from. Staff only (PermissionDenied).
    """
    require_staff(by, STAFF_ONLY_REVIEW)
    # Two reviewers may press Take at the same moment: decide on the locked row.
    # (The reviewer is read after the lock: a joined row would be the one from before the
    # wait, not the one the other reviewer just wrote.)
    locked = Deal.objects.select_for_update().get(pk=deal.pk)
    if locked.status != Deal.Status.PENDING:
        raise ValidationError(
            _("This registration is no longer waiting for review (%(status)s).")
            % {"status": locked.get_status_display()},
            code="not_pending",
        )
    if locked.review_taken_by_id == by.pk:
        return locked
    if locked.review_taken_by_id is not None and not take_over:
        raise ValidationError(_taken_message(locked), code="taken")
    previous = locked.review_taken_by
    now = timezone.now()
    # Compare-and-set, so a race is caught even where the row lock is a no-op.
    updated = Deal.objects.filter(
        pk=locked.pk, status=Deal.Status.PENDING, review_taken_by=previous
    ).update(review_taken_by=by, review_taken_at=now)
    if not updated:
        raise ValidationError(_("Another reviewer was faster; reload the queue."), code="changed")
    locked.review_taken_by, locked.review_taken_at = by, now
    record_activity(
        action="review.taken",
        actor=by,
        obj=locked,
        changes=changes_between({"taken_by": previous}, {"taken_by": by}),
    )
    return locked


@transaction.atomic
def release_review(deal: Deal, *, by) -> Deal:
    """`by` gives back a registration they took; returns the deal.

    Effects: the row is locked; refused (ValidationError, code "not_yours") unless `by` has
    it; `review_taken_by` and `review_taken_at` are cleared and the activity log records
    "review.released". Staff only (PermissionDenied).
    """
    require_staff(by, STAFF_ONLY_REVIEW)
    locked = Deal.objects.select_for_update().get(pk=deal.pk)
    if locked.review_taken_by_id != by.pk:
        raise ValidationError(_("You have not taken this registration."), code="not_yours")
    Deal.objects.filter(pk=locked.pk).update(review_taken_by=None, review_taken_at=None)
    locked.review_taken_by, locked.review_taken_at = None, None
    record_activity(
        action="review.released",
        actor=by,
        obj=locked,
        changes=changes_between({"taken_by": by}, {"taken_by": None}),
    )
    return locked


class Decision:
    TAKE = "take"
    RELEASE = "release"
    APPROVE = "approve"
    SEND_BACK = "send_back"
    REJECT = "reject"
    CHOICES = (TAKE, RELEASE, APPROVE, SEND_BACK, REJECT)
    REVIEWS = (APPROVE, SEND_BACK, REJECT)


# The review services' codes for a missing comment or reason: one message for the whole
# batch, shown on the reason field.
REASON_CODES = ("comment_required", "reason_required")


@dataclass
class Outcome:
    """What a batch did: the deals done, the refusals by deal id, a missing reason."""

    done: list[Deal] = field(default_factory=list)
    refused: dict[int, tuple[Deal, str]] = field(default_factory=dict)
    reason_error: str = ""

    @property
    def clean(self) -> bool:
        return not self.refused and not self.reason_error


def act_on_many(
    deals: list[Deal], decision: str, *, by, reason: str = "", take_over: bool = False
) -> Outcome:
    """Take, release, approve, send back or reject each of `deals` in turn, each in its own
    transaction through its service; returns what was done and what was refused, and why.

    A refused registration is left as it was; the others are done. A registration another
    reviewer has taken is refused for a decision unless `take_over` (then it is taken over
    first). One on whose company another partner holds a protected claim is not approved
    from here (code "conflict_decide_alone"): it is approved on its own review page, which
    shows the claim (`check_approvable_from_a_list`). When the review service asks for the
    comment or reason that sending back and rejecting need, nothing is done and
    `reason_error` says so.
    """
    outcome = Outcome()
    for deal in deals:
        try:
            outcome.done.append(_act(deal, decision, by=by, reason=reason, take_over=take_over))
        except ValidationError as error:
            if getattr(error, "code", None) in REASON_CODES:
                outcome.reason_error = " ".join(error.messages)
                return outcome
            outcome.refused[deal.pk] = (deal, " ".join(error.messages))
    return outcome


def _act(deal: Deal, decision: str, *, by, reason: str, take_over: bool) -> Deal:
    if decision == Decision.TAKE:
        return take_for_review(deal, by=by, take_over=take_over)
    if decision == Decision.RELEASE:
        return release_review(deal, by=by)
    if decision not in Decision.REVIEWS:
        raise ValueError(f"unknown decision {decision!r}")
    # One transaction: a decision the review service refuses also undoes the take-over.
    with transaction.atomic():
        if deal.review_taken_by_id not in (None, by.pk):
            if not take_over:
                raise ValidationError(_taken_message(deal), code="taken")
            take_for_review(deal, by=by, take_over=True)
        return _decide(deal, decision, by=by, reason=reason)


def check_approvable_from_a_list(deal: Deal) -> None:
    """Refused (ValidationError, code "conflict_decide_alone") when another partner holds a
    protected claim on the deal's company: approving it gives two partners protection on one
    customer, which a reviewer decides on the registration's own page, where the claim is
    shown, not among others ticked in a list."""
    if conflicting_claims(deal).exists():
        raise ValidationError(
            _(
                "Another partner holds a protected claim on this customer. Open the "
                "registration and decide it on its own page, where the claim is shown."
            ),
            code="conflict_decide_alone",
        )


def _decide(deal: Deal, decision: str, *, by, reason: str) -> Deal:
    if decision == Decision.APPROVE:
        check_approvable_from_a_list(deal)
        return approve_deal(deal, by=by, comment=reason.strip())
    if decision == Decision.SEND_BACK:
        return send_back_deal(deal, by=by, comment=reason)
    return reject_deal(deal, by=by, reason=reason)
