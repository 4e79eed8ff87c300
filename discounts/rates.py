"""The discount-rate rules, in one place, each with one message.

A rate is a percentage: a number, above 0, with at most 2 decimals, never above 100; under a
contract it is at most the contract's limit, and a customer discount's rate is at most the
rate of the partner discount it draws on. A deal or a customer discount has at least one. Forms, services and admin of `deals` and
`discounts` all ask this module, so a person reads the same words wherever a rate is refused.
It sits in `discounts`, a floor `deals` may import.
"""

import re
from decimal import Decimal, InvalidOperation

from django import forms
from django.core.exceptions import ValidationError
from django.utils.formats import localize
from django.utils.translation import gettext_lazy as _

CENT = Decimal("0.01")
MAX_RATE = Decimal("100")

INVALID = _("Enter the rate as a number, for example 8 or 7.5.")
NOT_POSITIVE = _("The rate must be above 0%.")
TOO_PRECISE = _("Use at most 2 decimals.")
ABOVE_100 = _("A rate cannot be above 100%.")
ABOVE_CONTRACT = _("At most %(max)s%% under your contract %(contract)s.")
NO_RATE = _("Give a rate for at least one product.")
ABOVE_PARENT = _("At most %(max)s%%, the rate of your own discount for this product.")

# A rate is a short number: "1e1000000" is not one (and overflows Decimal arithmetic).
_NUMBER = re.compile(r"[+-]?\d*\.?\d*")


def parse_rate(value) -> Decimal:
    """`value` (a Decimal, int or text such as "12.5", "12,5" or "12.5%") as a Decimal.

    Raises ValidationError(INVALID) for anything that is not a plain, short number.
    """
    if isinstance(value, int | Decimal) and not isinstance(value, bool):
        rate = Decimal(value)
    else:
        text = str(value if value is not None else "").strip().removesuffix("%").strip()
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


class RateInput(forms.Field):
    """A rate typed into a form; blank means "not included" (None). Only parses: the rules
    come from `rate_problem`, called by the form or the service with what it knows."""

    widget = forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"})
    default_error_messages = {"invalid": INVALID}

    def to_python(self, value):
        if value in (None, "") or (isinstance(value, str) and not value.strip()):
            return None
        return parse_rate(value)
