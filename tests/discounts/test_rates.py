"""The one home of the rate rules: each rule has one message, whoever asks."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from discounts import rates
from tests.factories import ContractFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("ten", "Enter the rate as a number, for example 8 or 7.5."),
        ("NaN", "Enter the rate as a number, for example 8 or 7.5."),
        ("١٢", "Enter the rate as a number, for example 8 or 7.5."),  # other scripts' digits
        ("1e1000000", "Enter the rate as a number, for example 8 or 7.5."),
        (Decimal("Infinity"), "Enter the rate as a number, for example 8 or 7.5."),
        ("0", "The rate must be above 0%."),
        ("-3", "The rate must be above 0%."),
        ("12.345", "Use at most 2 decimals."),
        ("101", "A rate cannot be above 100%."),
    ],
)
def test_check_rate_gives_one_message_per_rule(value, message):
    with pytest.raises(ValidationError) as refused:
        rates.check_rate(value)

    assert refused.value.messages == [message]


@pytest.mark.parametrize(
    ("text", "rate"), [("12.5", Decimal("12.5")), ("12,5", Decimal("12.5")), ("7%", 7), (8, 8)]
)
def test_parse_rate_reads_what_people_type(text, rate):
    assert rates.parse_rate(text) == rate


@pytest.mark.parametrize(
    ("text", "small", "large"),
    [("1.000", "1", "1000"), ("1,000", "1", "1000"), ("12.500", "12.5", "12500")],
)
def test_a_rate_with_a_thousands_separator_is_refused_not_read_small(text, small, large):
    # A dot groups thousands in Vietnamese and a comma in English: "1.000" is a thousand to
    # one reader and one to another. Read as 1, it set a contract's limit to 1%.
    with pytest.raises(ValidationError) as refused:
        rates.parse_rate(text)

    assert refused.value.code == "ambiguous"
    assert f"could be read as {small} or as {large}" in refused.value.messages[0]


@pytest.mark.parametrize(("text", "rate"), [("0.125", Decimal("0.125")), ("1000", 1000)])
def test_a_number_no_reader_groups_is_read_as_typed(text, rate):
    assert rates.parse_rate(text) == rate  # the rules (2 decimals, 100%) refuse them after


def test_contract_and_parent_limits(alpha):
    contract = ContractFactory.build(number="HD-7", max_discount_rate=Decimal("20.00"))

    assert rates.rate_problem(Decimal("20.01"), contract=contract) == (
        "At most 20.00% under contract HD-7."
    )
    assert rates.rate_problem(Decimal("9"), parent_rate=Decimal("8.50")) == (
        "At most 8.50%, the rate of your own discount for this product."
    )
    assert rates.rate_problem(Decimal("20"), contract=contract, parent_rate=Decimal("20")) is None


def test_the_model_field_uses_the_same_rule(alpha_deal):
    rule = alpha_deal.discount_rules.get()
    rule.rate = Decimal("0")

    with pytest.raises(ValidationError) as refused:
        rule.full_clean()

    assert refused.value.message_dict == {"rate": ["The rate must be above 0%."]}
