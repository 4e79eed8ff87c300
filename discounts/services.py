"""Writes on discounts. `deals` calls issue_discount when a deal is won.

Every refusal is a ValidationError keyed by the form field it concerns (`customer`,
`rate_<product id>`, `valid_from`, `valid_until`, `reason`); a refusal that concerns the whole
discount has no key. A user who may not act at all gets PermissionDenied.
"""

from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from discounts import counters
from discounts import rates as rates_rules
from discounts.models import (
    REVOKE_REASON_MAX_LENGTH,
    CustomerDiscount,
    CustomerDiscountLine,
    Discount,
    DiscountLine,
    DiscountStatus,
    EffectiveStatus,
)
from notifications.activity import changes_between, record_activity
from notifications.models import Kind
from notifications.services import record_event, record_events
from partners.access import (
    ADMIN_ONLY_CUSTOMER_DISCOUNTS,
    STAFF_ONLY_CORRECT,
    STAFF_ONLY_REVOKE_DISCOUNT,
    STAFF_ONLY_TRANSFER,
    require_partner_admin,
    require_staff,
)
from partners.models import Customer, CustomerOwnership, Partner
from partners.services import check_same_realm, transfer_ownership


def rate_field(product_id) -> str:
    """The form field name that carries the rate of one product."""
    return f"rate_{product_id}"


@transaction.atomic
def issue_discount(
    *,
    partner,
    deal,
    customer,
    lines: Iterable[tuple[object, Decimal]],
    valid_from: date,
    validity_days: int,
) -> Discount:
    """Issue the partner's discount for a won deal.

    Effects: one Discount (the one-to-one on `deal` makes a second one impossible) valid from
    `valid_from` for `validity_days` days, one DiscountLine per (product, rate), and a
    "discount issued" event.
    """
    discount = Discount.objects.create(
        partner=partner,
        deal=deal,
        customer=customer,
        valid_from=valid_from,
        valid_until=valid_from + timedelta(days=validity_days - 1),
    )
    DiscountLine.objects.bulk_create(
        DiscountLine(discount=discount, product=product, rate=rate) for product, rate in lines
    )
    counters.record_issued(discount)
    record_event(
        Kind.DISCOUNT_ISSUED,
        deal=deal,
        partner=partner,
        params={"date": discount.valid_until.isoformat()},
    )
    return discount


def _check_manager(user, partner):
    require_partner_admin(user, partner.pk, ADMIN_ONLY_CUSTOMER_DISCOUNTS)


def _check_rates(discount: Discount, rates: Mapping) -> tuple[dict, dict]:
    """({product id: rate}, {field: [messages]}) for the rates asked for."""
    lines = {line.product_id: line for line in discount.lines.select_related("product")}
    parsed, errors = {}, {}
    for key, value in rates.items():
        try:
            product_id = int(getattr(key, "pk", key))
        except (TypeError, ValueError):
            product_id = key
        field = rate_field(product_id)
        line = lines.get(product_id)
        if line is None:
            errors[field] = [_("This product is not part of the partner discount.")]
            continue
        try:
            parsed[product_id] = rates_rules.check_rate(value, parent_rate=line.rate)
        except ValidationError as error:
            errors[field] = error.messages
    if not rates:
        errors["rates"] = [str(rates_rules.NO_RATE)]
    return parsed, errors


def _check_window(discount: Discount, valid_from, valid_until, today: date) -> dict:
    """{field: [messages]} for a validity that does not lie inside the partner discount's."""
    errors: dict[str, list] = {}
    if not isinstance(valid_from, date):
        errors["valid_from"] = [_("Enter a date.")]
    if not isinstance(valid_until, date):
        errors["valid_until"] = [_("Enter a date.")]
    if errors:
        return errors
    window = {
        "from": discount.valid_from.isoformat(),
        "until": discount.valid_until.isoformat(),
    }
    if valid_from < discount.valid_from:
        errors["valid_from"] = [
            _("The partner discount is valid from %(from)s; start on or after that day.") % window
        ]
    if valid_until > discount.valid_until:
        errors.setdefault("valid_until", []).append(
            _("The partner discount is valid until %(until)s; end on or before that day.") % window
        )
    if valid_until < valid_from:
        errors.setdefault("valid_until", []).append(
            _("The end date must be on or after the start date.")
        )
    elif valid_until < today:
        errors.setdefault("valid_until", []).append(_("The end date is in the past."))
    return errors


def _check_customer(discount: Discount, customer) -> dict:
    # Lock the customer: a win that moves it to another partner (which locks it too) waits,
    # and then ends this customer discount along with the others.
    Customer.objects.select_for_update().filter(pk=customer.pk).first()
    owned = CustomerOwnership.objects.filter(
        customer=customer, partner_id=discount.partner_id, ended_at__isnull=True
    ).exists()
    if owned:
        return {}
    # One message for "another partner's" and "nobody's": it must not reveal who owns it.
    return {"customer": [_("This company is not one of your customers now.")]}


def _duplicate_error(discount: Discount, customer) -> ValidationError:
    return ValidationError(
        {
            "customer": _(
                "%(customer)s already has a customer discount drawn on this partner discount. "
                "Revoke it first to give a new one."
            )
            % {"customer": customer.name}
        },
        code="duplicate",
    )


@transaction.atomic
def create_customer_discount(
    discount: Discount,
    *,
    by,
    customer,
    rates: Mapping,
    valid_from: date,
    valid_until: date,
    note: str = "",
) -> CustomerDiscount:
    """Pass part of a partner discount on to one of the partner's customers.

    `rates` maps each chosen product (a Product or its id) of the partner discount to a rate.
    Effects, in one transaction (all or nothing):
    - `by` must be an admin of the discount's partner (or staff): PermissionDenied otherwise;
    - the partner discount row is locked, so a concurrent revocation or a double submission
      waits and then sees this one's result;
    - refused (ValidationError, nothing saved) when the partner discount is revoked or expired;
      the customer is not owned by the partner now; a product is not one of the partner
      discount's lines; a rate is not a number, has more than two decimals, is 0 or below, or
      is above the partner discount's rate for that product; no rate is given; the validity is
      reversed, over, or not inside the partner discount's; the customer already has an active
      customer discount drawn on this partner discount (checked on the locked row, and by the
      partial unique constraint for anything that slips past);
    - creates one CustomerDiscount (status active, created_by `by`) and one
      CustomerDiscountLine per chosen product; a "customer discount created" event and an
      activity entry with the rates and dates.
    Returns the CustomerDiscount.
    """
    _check_manager(by, discount.partner)
    locked = Discount.objects.select_for_update().get(pk=discount.pk)
    today = timezone.localdate()
    if locked.effective_status in (EffectiveStatus.REVOKED, EffectiveStatus.EXPIRED):
        raise ValidationError(
            _("This partner discount is %(status)s; it cannot be passed on any more.")
            % {"status": EffectiveStatus(locked.effective_status).label.lower()},
            code="inactive",
        )
    parsed, errors = _check_rates(locked, rates)
    errors.update(_check_window(locked, valid_from, valid_until, today))
    errors.update(_check_customer(locked, customer))
    if errors:
        raise ValidationError(errors, code="invalid")
    if locked.customer_discounts.filter(customer=customer, status=DiscountStatus.ACTIVE).exists():
        raise _duplicate_error(locked, customer)
    try:
        with transaction.atomic():
            created = CustomerDiscount.objects.create(
                discount=locked,
                customer=customer,
                valid_from=valid_from,
                valid_until=valid_until,
                note=note.strip(),
                created_by=by,
            )
    except IntegrityError:
        # Somebody else was faster (where the row lock is a no-op); the constraint held.
        raise _duplicate_error(locked, customer) from None
    CustomerDiscountLine.objects.bulk_create(
        CustomerDiscountLine(customer_discount=created, product_id=product_id, rate=rate)
        for product_id, rate in parsed.items()
    )
    counters.record_passed_on(created, locked.partner_id)
    names = dict(locked.lines.values_list("product_id", "product__name"))
    record_activity(
        action="customer_discount.created",
        actor=by,
        obj=created,
        partner=locked.partner,
        data={
            "customer": customer.name,
            "rates": {names[product_id]: rate for product_id, rate in parsed.items()},
            "valid_from": valid_from,
            "valid_until": valid_until,
        },
    )
    record_event(
        Kind.CUSTOMER_DISCOUNT_CREATED,
        deal=locked.deal,
        partner=locked.partner,
        actor=by,
        params={"customer": customer.name},
    )
    return created


@transaction.atomic
def revoke_customer_discount(
    customer_discount: CustomerDiscount, *, by, reason: str = ""
) -> CustomerDiscount:
    """End a customer discount now; the row stays as history.

    Effects: `by` must be an admin of the partner (or staff): PermissionDenied otherwise;
    staff must say why (`reason`, refused blank: the partner reads it in its log). The
    status becomes revoked with revoked_at (now) and revoked_by (`by`). An already revoked one
    is refused with a ValidationError and left unchanged; a "customer discount ended" event
    and an activity entry, with the reason when one is given. Returns the refreshed row.
    """
    _check_manager(by, customer_discount.discount.partner)
    reason = (reason or "").strip()
    if by.is_staff and not reason:
        message = _("Say why the customer discount ends.")
        raise ValidationError({"reason": ValidationError(message, code="required")})
    # Compare-and-set: of two clicks only one finds it still active.
    changed = CustomerDiscount.objects.filter(
        pk=customer_discount.pk, status=DiscountStatus.ACTIVE
    ).update(status=DiscountStatus.REVOKED, revoked_at=timezone.now(), revoked_by=by)
    customer_discount.refresh_from_db()
    if not changed:
        raise ValidationError(
            _("This customer discount was already revoked."), code="already_revoked"
        )
    record_activity(
        action="customer_discount.revoked",
        actor=by,
        obj=customer_discount,
        partner=customer_discount.discount.partner,
        changes={"status": [DiscountStatus.ACTIVE, DiscountStatus.REVOKED]},
        data={
            "customer": customer_discount.customer.name,
            **({"reason": reason} if reason else {}),
        },
    )
    _record_ended([customer_discount], by)
    return customer_discount


def _record_ended(customer_discounts, by) -> None:
    record_events(
        [
            {
                "kind": Kind.CUSTOMER_DISCOUNT_ENDED,
                "deal": item.discount.deal,
                "partner": item.discount.partner,
                "actor": by,
                "params": {"customer": item.customer.name},
            }
            for item in customer_discounts
        ]
    )


@transaction.atomic
def revoke_discount(discount: Discount, *, by, reason: str, notify: bool = True) -> Discount:
    """Staff withdraw a partner discount (for example a deal won by mistake).

    Effects, in one transaction: `by` must be staff (PermissionDenied otherwise); a reason is
    required ({"reason": ...}); the partner discount row is locked so no customer discount can
    be drawn on it meanwhile; its status becomes revoked with revoked_at, revoked_by and
    revoke_reason; every active customer discount drawn on it is revoked too (same time, same
    person), kept as history; a "discount revoked" event and an activity entry unless
    `notify` is off (a voided win reports itself, as one change). An already revoked
    discount is refused, unchanged.
    Returns the refreshed Discount.
    """
    require_staff(by, STAFF_ONLY_REVOKE_DISCOUNT)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the discount is revoked.")}, code="required")
    try:
        MaxLengthValidator(REVOKE_REASON_MAX_LENGTH)(reason)
    except ValidationError as error:
        raise ValidationError({"reason": error.error_list}) from None
    locked = Discount.objects.select_for_update().get(pk=discount.pk)
    if locked.status == DiscountStatus.REVOKED:
        raise ValidationError(
            _("This partner discount was already revoked."), code="already_revoked"
        )
    now = timezone.now()
    locked.status = DiscountStatus.REVOKED
    locked.revoked_at = now
    locked.revoked_by = by
    locked.revoke_reason = reason
    locked.save(update_fields=["status", "revoked_at", "revoked_by", "revoke_reason", "updated_at"])
    ended = locked.customer_discounts.filter(status=DiscountStatus.ACTIVE).update(
        status=DiscountStatus.REVOKED, revoked_at=now, revoked_by=by
    )
    if notify:
        record_activity(
            action="discount.revoked",
            actor=by,
            obj=locked,
            changes={"status": [DiscountStatus.ACTIVE, DiscountStatus.REVOKED]},
            data={"reason": reason, "customer_discounts_revoked": ended},
        )
        record_event(
            Kind.DISCOUNT_REVOKED,
            deal=locked.deal,
            partner=locked.partner,
            actor=by,
            params={"reason": reason},
        )
    discount.refresh_from_db()
    return discount


@transaction.atomic
def end_other_partners_customer_discounts(*, customer, owner, at, by=None) -> int:
    """The customer now belongs to `owner` (a won deal, or staff by hand, moved it): the
    customer discounts that other partners gave it end.

    Effects: each such active CustomerDiscount becomes revoked at `at`, kept as history; a
    "customer discount ended" event and an activity entry for each, to the partner that gave
    it. After a win they name nobody and revoked_by stays empty (the person who won is
    another partner's); after a staff transfer they name `by`, the staff member. Returns how
    many ended.
    """
    ending = list(
        CustomerDiscount.objects.filter(customer=customer, status=DiscountStatus.ACTIVE)
        .exclude(discount__partner=owner)
        .select_related("discount__deal", "discount__partner", "customer")
    )
    if not ending:
        return 0
    CustomerDiscount.objects.filter(pk__in=[item.pk for item in ending]).update(
        status=DiscountStatus.REVOKED, revoked_at=at, revoked_by=by
    )
    for item in ending:
        record_activity(
            action="customer_discount.ended",
            actor=by,
            obj=item,
            partner=item.discount.partner,
            changes={"status": [DiscountStatus.ACTIVE, DiscountStatus.REVOKED]},
            data={"customer": item.customer.name},
        )
    _record_ended(ending, by)
    return len(ending)


CUSTOMER_CORRECTABLE = ("name", "tax_code", "address")


@transaction.atomic
def correct_customer(*, customer: Customer, by, changes: dict) -> Customer:
    """Staff correct a customer's name, tax code or address (admin's Customer page).

    Effects: `by` must be staff (PermissionDenied); the row is locked and only the fields in
    `changes` that really change are written (the owner a win set meanwhile is kept); an
    activity entry "customer.corrected" with each old and new value, for the owning
    partner's log and staff's. The tax code decides conflicts and duplicates from then on.
    """
    require_staff(by, STAFF_ONLY_CORRECT)
    locked = Customer.objects.select_for_update().get(pk=customer.pk)
    before = {name: getattr(locked, name) for name in CUSTOMER_CORRECTABLE}
    fields = [n for n in CUSTOMER_CORRECTABLE if n in changes and changes[n] != before[n]]
    if not fields:
        return locked
    for name in fields:
        setattr(locked, name, changes[name])
    try:
        with transaction.atomic():
            locked.save(update_fields=[*fields, "updated_at"])
    except IntegrityError:  # another customer took the tax code since the form checked it
        raise ValidationError(
            {
                "tax_code": ValidationError(
                    _("A customer with this tax code already exists."), code="unique"
                )
            }
        ) from None
    record_activity(
        action="customer.corrected",
        actor=by,
        obj=locked,
        partner=locked.owner,
        changes=changes_between(
            {n: before[n] for n in fields}, {n: getattr(locked, n) for n in fields}
        ),
    )
    return locked


@transaction.atomic
def transfer_customer(*, customer: Customer, partner: Partner, by, reason: str):
    """Staff move a customer to `partner` by hand (a merger, a win recorded for the wrong
    partner); returns the new CustomerOwnership.

    Effects, in one transaction: `by` must be staff (PermissionDenied); a reason is required
    and a partner that already owns the customer, or of another realm than the customer's
    (a sandbox and a real customer, either way), is refused (ValidationError, nothing
    changes); `partners.services.transfer_ownership` ends the previous owner's link (kept as
    history) and makes the new one, with no deal; the customer discounts other partners gave
    the customer end, as on a win; an activity entry for the new owner and one for the
    previous owner, each with the reason and neither naming the other partner.
    """
    require_staff(by, STAFF_ONLY_TRANSFER)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the customer moves.")}, code="required")
    Customer.objects.select_for_update().filter(pk=customer.pk).first()
    previous = (
        CustomerOwnership.objects.filter(customer=customer, ended_at__isnull=True)
        .select_related("partner")
        .first()
    )
    if previous is not None and previous.partner_id == partner.pk:
        raise ValidationError(
            {"partner": _("%(partner)s already owns this customer.") % {"partner": partner}},
            code="same_owner",
        )
    check_same_realm(customer, partner, field="partner")
    link = transfer_ownership(customer=customer, partner=partner, by=by, reason=reason)
    ended = end_other_partners_customer_discounts(
        customer=customer, owner=partner, at=link.started_at, by=by
    )
    record_activity(
        action="customer.transferred",
        actor=by,
        obj=customer,
        partner=partner,
        data={"reason": reason},
    )
    if previous is not None:
        record_activity(
            action="customer.transferred_away",
            actor=by,
            obj=customer,
            partner=previous.partner,
            data={"reason": reason, "customer_discounts_ended": ended},
        )
    return link
