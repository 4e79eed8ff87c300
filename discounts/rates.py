"""The discount-rate rules, in one place, each with one message.

A rate is a percentage: a number, above 0, with at most 2 decimals, never above 100; under a
contract it is at most the contract's limit, and a customer discount's rate is at most the
rate of the partner discount it draws on. A deal or a customer discount has at least one.
`check_deal_rates` is "the deal's rates under the contract in force", asked by registration,
resubmission, staff's rule changes and the win alike; `RateField` is the column every rate is
stored in. Forms, services and admin of `deals` and `discounts` all ask this module, so a
person reads the same words wherever a rate is refused. It sits in `discounts`, a floor
`deals` may import, and imports no models.
"""

import re
from datetime import date
from decimal import Decimal, InvalidOperation

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.formats import localize
from django.utils.translation import gettext_lazy as _

CENT = Decimal("0.01")
MAX_RATE = Decimal("100")

INVALID = _("Enter the rate as a number, for example 8 or 7.5.")
AMBIGUOUS = _(
    "“%(typed)s” could be read as %(small)s or as %(large)s: type the rate without a "
    "thousands separator, for example 8 or 7.5."
)
NOT_POSITIVE = _("The rate must be above 0%.")
TOO_PRECISE = _("Use at most 2 decimals.")
ABOVE_100 = _("A rate cannot be above 100%.")
ABOVE_CONTRACT = _("At most %(max)s%% under contract %(contract)s.")
NO_RATE = _("Give a rate for at least one product.")
ABOVE_PARENT = _("At most %(max)s%%, the rate of your own discount for this product.")
NO_CONTRACT = _(
    "Your organisation has no contract with VNG Cloud in force today. Contact your VNG Cloud "
    "account manager."
)
NOT_OFFERED = _("%(product)s is no longer offered.")

# A rate is a short number: "1e1000000" is not one (and overflows Decimal arithmetic).
_NUMBER = re.compile(r"[+-]?[0-9]*\.?[0-9]*")  # ASCII digits: \d also takes "١٢"
# "1.000" or "1,000": a thousands separator in Vietnamese (and a comma in English) as much
# as a decimal one. Read as 1, it saved a limit of one per cent for someone who meant a
# thousand (which the 100% rule would have refused), so it is refused as what it is. Three
# decimals ending in another digit ("12.345") are refused by the 2-decimal rule already.
_THOUSANDS = re.compile(r"([1-9][0-9]{0,2})[.,]([0-9]{2}0)")


def parse_rate(value) -> Decimal:
    """`value` (a Decimal, int or text such as "12.5", "12,5" or "12.5%") as a Decimal.

    Raises ValidationError(INVALID) for anything that is not a plain, short number.
    """
    if isinstance(value, int | Decimal) and not isinstance(value, bool):
        rate = Decimal(value)
    else:
        text = str(value if value is not None else "").strip().removesuffix("%").strip()
        if grouped := _THOUSANDS.fullmatch(text):
            whole, rest = grouped.groups()
            small = localize(Decimal(f"{whole}.{rest}").normalize())
            raise ValidationError(
                AMBIGUOUS % {"typed": text, "small": small, "large": localize(int(whole + rest))},
                code="ambiguous",
            )
        if text.count(",") == 1 and "." not in text:
            text = text.replace(",", ".")
        if not text or len(text) > 12 or not _NUMBER.fullmatch(text):
            raise ValidationError(INVALID, code="invalid")
        try:
            rate = Decimal(text)
        except InvalidOperation as error:
            raise ValidationError(INVALID, code="invalid") from error
    if not rate.is_finite() or abs(rate.adjusted()) > 6:
        raise ValidationError(INVALID, code="invalid")
    return rate


def rate_problem(rate: Decimal, *, contract=None, parent_rate: Decimal | None = None):
    """Why `rate` is not allowed (a message), or None if it is.

    `contract` (a partners.Contract) caps it at the contract's limit; `parent_rate` at the
    rate of the partner discount a customer discount draws on.
    """
    if rate <= 0:
        return str(NOT_POSITIVE)
    if rate != rate.quantize(CENT):
        return str(TOO_PRECISE)
    if contract is not None and rate > contract.max_discount_rate:
        return str(ABOVE_CONTRACT) % {
            "max": localize(contract.max_discount_rate),
            "contract": contract.number,
        }
    if parent_rate is not None and rate > parent_rate:
        return str(ABOVE_PARENT) % {"max": localize(parent_rate)}
    if rate > MAX_RATE:
        return str(ABOVE_100)
    return None


def check_rate(value, *, contract=None, parent_rate: Decimal | None = None) -> Decimal:
    """`value` parsed and checked; raises ValidationError with the one message that applies."""
    rate = parse_rate(value)
    if (problem := rate_problem(rate, contract=contract, parent_rate=parent_rate)) is not None:
        raise ValidationError(problem, code="rate")
    return rate


def validate_rate(value: Decimal) -> None:
    """The model field's validator: above 0, 2 decimals, at most 100."""
    check_rate(value)


def check_deal_rates(partner, rates: dict, day: date, *, also_allowed=frozenset()):
    """The deal's rates (product -> Decimal) under the partner's contract in force on `day`;
    returns that contract.

    Refused, each with its code: no contract in force ("no_contract", not keyed), no rate at
    all ("no_rates", keyed "rates"), and a product no longer offered (unless its id is in
    `also_allowed`: the products the deal already has) or a rate the rate rules or the
    contract's limit refuse ("rate_out_of_range", keyed "rates", one message per product).
    """
    contract = partner.contract_on(day)
    if contract is None:
        raise ValidationError(NO_CONTRACT, code="no_contract")
    if not rates:
        raise ValidationError({"rates": NO_RATE}, code="no_rates")
    problems = []
    for product, rate in rates.items():
        if not product.is_active and product.pk not in also_allowed:
            problems.append(str(NOT_OFFERED) % {"product": product})
        elif (error := rate_problem(rate, contract=contract)) is not None:
            problems.append(f"{product}: {error}")
    if problems:
        raise ValidationError({"rates": problems}, code="rate_out_of_range")
    return contract


class RateField(models.DecimalField):
    """A discount rate in percent: above 0, at most 100, two decimals."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_digits", 5)
        kwargs.setdefault("decimal_places", 2)
        kwargs.setdefault("validators", [validate_rate])
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        # The path the migrations have always named (discounts.models re-exports the field):
        # a new path would be a schema change to Django and rebuild the tables on SQLite.
        name, _path, args, kwargs = super().deconstruct()
        return name, "discounts.models.RateField", args, kwargs


def rate_in_range(name: str) -> models.CheckConstraint:
    """The database's own guard of a rate column: above 0 and at most 100."""
    return models.CheckConstraint(condition=Q(rate__gt=0, rate__lte=100), name=name)


class RateInput(forms.Field):
    """A rate typed into a form; blank means "not included" (None). Only parses: the rules
    come from `rate_problem`, called by the form or the service with what it knows."""

    widget = forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"})
    default_error_messages = {"invalid": INVALID}

    def to_python(self, value):
        if value in (None, "") or (isinstance(value, str) and not value.strip()):
            return None
        return parse_rate(value)
