"""A date inside a Vietnamese sentence reads "ngày 5 tháng 3 năm 2026", never "Ngày" mid-sentence."""

import pytest
from django.template import Context, Template
from django.utils import translation

from notifications.messages import message
from notifications.models import Event, Kind

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "kind", [Kind.DEAL_APPROVED, Kind.PROTECTION_EXPIRING, Kind.PROTECTION_EXPIRED]
)
def test_message_vietnamese_long_date_is_lower_case_mid_sentence(alpha_deal, kind):
    event = Event(
        kind=kind, deal=alpha_deal, partner=alpha_deal.partner, params={"date": "2026-03-05"}
    )

    with translation.override("vi"):
        text = message(event)

    assert "ngày 5 tháng 3 năm 2026" in text
    assert "Ngày" not in text


def test_message_english_long_date_is_unchanged(alpha_deal):
    event = Event(kind=Kind.DEAL_APPROVED, deal=alpha_deal, params={"date": "2026-03-05"})

    with translation.override("en"):
        assert "until March 5, 2026." in message(event)


def test_date_filter_in_vietnamese_reads_the_same(alpha_deal):
    with translation.override("vi"):
        out = Template("{{ day|date }}").render(Context({"day": alpha_deal.expected_close_date}))

    assert out.startswith("ngày ")
