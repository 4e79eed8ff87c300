"""Writes on partners' contracts with VNG Cloud (staff, in Django admin).

A contract's terms are discount terms: the highest rate a deal may register and how long an
issued discount stays valid; so its rules sit beside the rate rules (`discounts.rates`).
Changing a contract changes nothing already registered or issued: deals keep their rates and
discounts their dates. The terms in force apply from the next registration, resubmission,
staff rate change and win (a deal whose rate is above a lowered limit cannot be won until
staff correct its rate).
"""

from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from discounts.rates import rate_problem
from notifications.activity import changes_between, record_activity
from partners.access import STAFF_ONLY_CONTRACTS, require_staff
from partners.models import MAX_VALIDITY_DAYS, Contract, Partner

TERMS = ("number", "start_date", "end_date", "max_discount_rate", "discount_validity_days")


def _check_terms(partner: Partner, terms: dict, *, exclude_pk=None) -> dict:
    """The terms cleaned; ValidationError keyed by field for each one the rules refuse."""
    errors = {}
    number = " ".join(str(terms.get("number") or "").split())
    if not number:
        errors["number"] = _("Give the contract's number.")
    elif Contract.objects.filter(number=number).exclude(pk=exclude_pk).exists():
        errors["number"] = _("Another contract has this number.")
    start, end = terms.get("start_date"), terms.get("end_date")
    if not isinstance(start, date):
        errors["start_date"] = _("Enter a date.")
    if not isinstance(end, date):
        errors["end_date"] = _("Enter a date.")
    elif isinstance(start, date) and end < start:
        errors["end_date"] = _("The end date must be on or after the start date.")
    rate = terms.get("max_discount_rate")
    if not isinstance(rate, Decimal):
        errors["max_discount_rate"] = _("Enter the rate as a number, for example 8 or 7.5.")
    elif problem := rate_problem(rate):
        errors["max_discount_rate"] = problem
    days = terms.get("discount_validity_days")
    if not isinstance(days, int) or not 1 <= days <= MAX_VALIDITY_DAYS:
        errors["discount_validity_days"] = _("Between 1 and %(max)d days.") % {
            "max": MAX_VALIDITY_DAYS
        }
    if not errors:
        errors.update(_check_overlap(partner, start, end, exclude_pk))
    if errors:
        raise ValidationError(errors, code="invalid")
    return {**{name: terms[name] for name in TERMS}, "number": number}


def _check_overlap(partner: Partner, start: date, end: date, exclude_pk) -> dict:
    """One contract in force on any day, so "the contract in force" is never a guess."""
    other = (
        Contract.objects.filter(partner=partner, start_date__lte=end, end_date__gte=start)
        .exclude(pk=exclude_pk)
        .order_by("start_date")
        .first()
    )
    if other is None:
        return {}
    return {
        "__all__": _(
            "This partner's contract %(number)s runs from %(start)s to %(end)s; a partner's "
            "contracts may not overlap. End that one first, or choose other dates."
        )
        % {
            "number": other.number,
            "start": date_format(other.start_date, "SHORT_DATE_FORMAT"),
            "end": date_format(other.end_date, "SHORT_DATE_FORMAT"),
        }
    }


@transaction.atomic
def create_contract(*, partner: Partner, by, **terms) -> Contract:
    """Record a partner's new contract (staff only).

    `terms`: number, start_date, end_date, max_discount_rate, discount_validity_days.
    Effects: `by` must be staff (PermissionDenied); the partner row is locked, so two saves
    for one partner check their dates one after the other; refused (ValidationError keyed by
    field, nothing saved): no or a taken number, an end before the start, dates overlapping
    another contract of the partner, a rate not above 0, above 100 or with more than 2
    decimals, a validity outside 1 to 3,650 days. Saves the contract; an activity entry with
    its terms.
    """
    require_staff(by, STAFF_ONLY_CONTRACTS)
    Partner.objects.select_for_update().filter(pk=partner.pk).first()
    clean = _check_terms(partner, terms)
    contract = Contract.objects.create(partner=partner, **clean)
    record_activity(action="contract.created", actor=by, obj=contract, data=clean)
    return contract


@transaction.atomic
def change_contract(contract: Contract, *, by, **terms) -> Contract:
    """Change a contract's number, dates or discount terms (staff only).

    `terms`: any of number, start_date, end_date, max_discount_rate, discount_validity_days
    (the others stay). Effects: the rules and locks of `create_contract` (the contract's own
    row locked too); the changed terms saved; an activity entry with each term's value before
    and after (none when nothing changed). Deals already registered and discounts already
    issued do not change (see the module's text).
    """
    require_staff(by, STAFF_ONLY_CONTRACTS)
    Partner.objects.select_for_update().filter(pk=contract.partner_id).first()
    locked = Contract.objects.select_for_update().get(pk=contract.pk)
    before = {name: getattr(locked, name) for name in TERMS}
    clean = _check_terms(locked.partner, {**before, **terms}, exclude_pk=locked.pk)
    changes = changes_between(before, clean)
    if changes:
        for name, value in clean.items():
            setattr(locked, name, value)
        locked.save(update_fields=[name for name in TERMS if name in changes])
        record_activity(action="contract.changed", actor=by, obj=locked, changes=changes)
    return locked
