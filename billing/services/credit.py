"""The partner's credit ledger, top-ups, and billing's answer to each top-up.

The balance row (`PartnerCredit`) is the lock: every change of a partner's balance re-reads
it with `select_for_update()` first, so two top-ups at the same moment queue there and the
second one sees the balance the first one left. The database refuses a negative balance
anyway (check constraints on the row and on each entry's `balance_after`).
"""

import unicodedata
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from billing.models import CloudAccount, CreditEntry, PartnerCredit, ServiceToken, TopUp
from notifications.activity import record_activity
from notifications.models import Kind
from notifications.services import record_event
from partners.access import require_partner_admin, require_staff
from partners.models import Partner
from web.formats import typed_vnd_digits

STAFF_ONLY_PAYMENTS = gettext_lazy("Only VNG Cloud staff can record a partner's payment.")
STAFF_ONLY_DECIDE = gettext_lazy("Only VNG Cloud staff or billing can confirm or fail a top-up.")
ADMINS_ONLY_TOP_UP = gettext_lazy(
    "Only an admin of your organisation can top up a customer's cloud account."
)
# Larger than any programme's payment: a typo with three zeros too many is refused.
MAX_AMOUNT = Decimal("100000000000")  # 100 billion VND


def bank_reference(text) -> str:
    """A bank transfer's reference as the bank means it: its spaces collapsed and its invisible
    characters (a zero-width space pasted with it) left out; compared without case, so "ref-a1"
    is the payment "REF-A1" again."""
    text = unicodedata.normalize("NFKC", str(text or ""))
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Cf")
    return " ".join(text.split())[:100]


def vnd(amount) -> str:
    return number_format(amount, decimal_pos=0, force_grouping=True)


def clean_amount(value, field: str = "amount") -> Decimal:
    """A whole number of VND above zero (VND has no minor unit)."""
    if isinstance(value, str):  # as typed: web.formats.TYPED_VND
        value = typed_vnd_digits(value) or "x"
    try:
        amount = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        amount = None
    if amount is None or not amount.is_finite() or amount != amount.to_integral_value():
        raise ValidationError({field: _("Enter a whole number of đồng, e.g. 5000000.")})
    if amount <= 0:
        raise ValidationError({field: _("The amount must be more than 0 đồng.")})
    if amount > MAX_AMOUNT:
        raise ValidationError(
            {field: _("The amount is at most %(max)s đồng.") % {"max": vnd(MAX_AMOUNT)}}
        )
    return amount.quantize(Decimal(1))


def locked_credit(partner: Partner) -> PartnerCredit:
    """The partner's balance row, created at zero the first time, locked until commit."""
    try:
        with transaction.atomic():
            PartnerCredit.objects.get_or_create(partner=partner)
    except IntegrityError:  # created by a concurrent request meanwhile
        pass
    return PartnerCredit.objects.select_for_update().get(partner=partner)


def _entry(credit: PartnerCredit, *, kind, amount: Decimal, **fields) -> CreditEntry:
    credit.balance += amount
    credit.updated_at = timezone.now()
    credit.save(update_fields=["balance", "updated_at"])
    return CreditEntry.objects.create(
        partner_id=credit.partner_id,
        kind=kind,
        amount=amount,
        balance_after=credit.balance,
        created_at=credit.updated_at,
        **fields,
    )


@transaction.atomic
def record_payment(
    *, partner: Partner, amount, reference: str, by, reason: str = ""
) -> CreditEntry:
    """Staff record money the partner paid VNG Cloud: the partner's balance grows.

    Effects: staff only; a whole positive amount and the bank transfer's reference (once per
    partner: a second payment with the same reference is refused); the balance row locked;
    one `payment` entry with who, why and the reference; activity `credit.payment_recorded`.
    """
    require_staff(by, STAFF_ONLY_PAYMENTS)
    amount = clean_amount(amount)
    reference = bank_reference(reference)
    if not reference:
        raise ValidationError({"reference": _("Give the bank transfer's reference.")})
    reason = " ".join((reason or "").split())[:500] or _("Payment received")
    credit = locked_credit(partner)
    if CreditEntry.objects.filter(  # under the balance's lock: one payment per reference
        partner=partner, kind=CreditEntry.Kind.PAYMENT, reference__iexact=reference
    ).exists():
        raise ValidationError(
            {
                "reference": ValidationError(
                    _("A payment with this reference is already recorded."), code="duplicate"
                )
            }
        )
    entry = _entry(
        credit,
        kind=CreditEntry.Kind.PAYMENT,
        amount=amount,
        reason=reason,
        reference=reference,
        created_by=by,
    )
    record_activity(
        action="credit.payment_recorded",
        actor=by,
        obj=entry,
        partner=partner,
        data={"amount": amount, "reference": reference, "reason": reason},
    )
    return entry


@transaction.atomic
def top_up(account: CloudAccount, *, partner: Partner, amount, by, note: str = "") -> TopUp:
    """Move credit from the partner's balance to a customer's linked cloud account.

    Effects: `by` must be an admin of `partner` (or staff); the account must be linked
    (active) to `partner` now (its row locked: an ownership move waits); the balance row
    locked and the amount at most the balance (never below zero, whatever runs at the same
    time); one pending `TopUp` and its `top_up` entry (negative); event `credit.topped_up`;
    activity `credit.topped_up`. Billing then applies it or fails it (`apply_top_up`,
    `fail_top_up`).
    """
    require_partner_admin(by, partner.pk, ADMINS_ONLY_TOP_UP)
    amount = clean_amount(amount)
    note = " ".join((note or "").split())[:500]
    locked = (
        CloudAccount.objects.select_for_update()
        .select_related("customer")
        .filter(pk=account.pk)
        .first()
    )
    if (
        locked is None
        or locked.partner_id != partner.pk
        or locked.status != CloudAccount.Status.ACTIVE
    ):
        raise ValidationError(
            _("Only a cloud account linked to your organisation can be topped up."),
            code="not_linked",
        )
    credit = locked_credit(partner)
    if credit.balance < amount:
        raise ValidationError(
            _("Your credit balance is %(balance)s đồng, less than %(amount)s đồng.")
            % {"balance": vnd(credit.balance), "amount": vnd(amount)},
            code="insufficient",
        )
    created = TopUp.objects.create(
        partner=partner, cloud_account=locked, amount=amount, note=note, requested_by=by
    )
    _entry(
        credit,
        kind=CreditEntry.Kind.TOP_UP,
        amount=-amount,
        reason=note or _("Top-up of %(account)s") % {"account": locked.label},
        reference=f"top-up {created.pk}",
        top_up=created,
        created_by=by,
    )
    params = _params(created, locked)
    record_activity(action="credit.topped_up", actor=by, obj=created, data=params)
    record_event(Kind.CREDIT_TOPPED_UP, partner=partner, actor=by, params=params)
    return created


def _params(top_up: TopUp, account: CloudAccount) -> dict:
    return {
        "top_up": top_up.pk,
        "amount": str(top_up.amount),
        "account": account.account_id,
        "customer": account.customer.name,
    }


def _decider(by, token) -> dict:
    if token is None:
        require_staff(by, STAFF_ONLY_DECIDE)
    return {"decided_by": by if token is None else None, "decided_by_token": token}


def _locked_top_up(top_up: TopUp) -> TopUp:
    return (
        TopUp.objects.select_for_update()
        .select_related("cloud_account__customer")
        .get(pk=top_up.pk)
    )


@transaction.atomic
def apply_top_up(
    top_up: TopUp, *, by=None, token: ServiceToken | None = None, reference: str = ""
) -> tuple[TopUp, bool]:
    """Billing (a service token) or staff confirm that the credit reached the account.

    Returns the top-up and whether this call changed it. Effects: the row locked; a pending
    top-up becomes applied (decided_at, who, billing's reference) and the account's applied
    credit grows; event and activity `credit.top_up_applied`. Applying an applied top-up
    again changes nothing (idempotent); a failed one is refused.
    """
    decider = _decider(by, token)
    locked = _locked_top_up(top_up)
    if locked.status == TopUp.Status.APPLIED:
        return locked, False
    if locked.status == TopUp.Status.FAILED:
        raise ValidationError(
            _("This top-up already failed and its credit was returned."), code="already_failed"
        )
    locked.status = TopUp.Status.APPLIED
    locked.decided_at = timezone.now()
    locked.billing_reference = " ".join((reference or "").split())[:100]
    for name, value in decider.items():
        setattr(locked, name, value)
    locked.save(
        update_fields=[
            "status",
            "decided_at",
            "billing_reference",
            "decided_by",
            "decided_by_token",
        ]
    )
    CloudAccount.objects.filter(pk=locked.cloud_account_id).update(
        credit=F("credit") + locked.amount
    )
    params = _params(locked, locked.cloud_account)
    record_activity(
        action="credit.top_up_applied",
        actor=by,
        obj=locked,
        data={**params, "reference": reference},
    )
    record_event(Kind.CREDIT_TOP_UP_APPLIED, partner=locked.partner, params=params)
    return locked, True


@transaction.atomic
def fail_top_up(
    top_up: TopUp, *, reason: str, by=None, token: ServiceToken | None = None
) -> tuple[TopUp, bool]:
    """Billing or staff say the credit could not be applied: it goes back to the partner.

    Returns the top-up and whether this call changed it. Effects: a reason required; the
    top-up row locked, then the partner's balance row; a pending top-up becomes failed with
    the reason; one `top_up_returned` entry gives the amount back (at most once: a unique
    constraint); event and activity `credit.top_up_failed`. Failing a failed top-up again
    changes nothing; an applied one is refused.
    """
    decider = _decider(by, token)
    reason = " ".join((reason or "").split())[:500]
    if not reason:
        raise ValidationError({"reason": _("Say why the top-up failed.")})
    locked = _locked_top_up(top_up)
    if locked.status == TopUp.Status.FAILED:
        return locked, False
    if locked.status == TopUp.Status.APPLIED:
        raise ValidationError(
            _("This top-up was already applied; it cannot fail now."), code="already_applied"
        )
    credit = locked_credit(locked.partner)
    locked.status = TopUp.Status.FAILED
    locked.decided_at = timezone.now()
    locked.failure_reason = reason
    for name, value in decider.items():
        setattr(locked, name, value)
    locked.save(
        update_fields=["status", "decided_at", "failure_reason", "decided_by", "decided_by_token"]
    )
    _entry(
        credit,
        kind=CreditEntry.Kind.TOP_UP_RETURNED,
        amount=locked.amount,
        reason=reason,
        reference=f"top-up {locked.pk}",
        top_up=locked,
        created_by=by,
    )
    params = {**_params(locked, locked.cloud_account), "reason": reason}
    record_activity(action="credit.top_up_failed", actor=by, obj=locked, data=params)
    record_event(Kind.CREDIT_TOP_UP_FAILED, partner=locked.partner, params=params)
    return locked, True
