"""The staff lists' dates and amounts are Django's `date_format` and `intcomma`, character
for character, in both languages (web/formats.py writes them without parsing the format on
every cell)."""

import datetime
from decimal import Decimal

import pytest
from django.contrib.humanize.templatetags.humanize import intcomma
from django.utils import timezone, translation
from django.utils.formats import date_format

from web.formats import format_moment, grouped

MOMENTS = [
    datetime.datetime(2026, 12, 6, 16, 20, 5, tzinfo=datetime.UTC),
    datetime.datetime(2026, 1, 2, 0, 0, tzinfo=datetime.UTC),  # midnight
    datetime.datetime(2026, 7, 9, 12, 0, tzinfo=datetime.UTC),  # noon
    datetime.datetime(999, 3, 4, 9, 5, tzinfo=datetime.UTC),  # a year under 1000
]
FORMATS = ["SHORT_DATE_FORMAT", "SHORT_DATETIME_FORMAT", "DATE_FORMAT", "DATETIME_FORMAT"]
AMOUNTS = [
    0,
    7,
    999,
    1000,
    250_000_000,
    -1_234_567,
    Decimal("250000000"),
    Decimal("-1500"),
    Decimal("1234.50"),  # decimals: intcomma's own
    Decimal("-0"),
    Decimal("1E+3"),
    12.5,
    "1000000",
    None,
]


@pytest.mark.parametrize("language", ["vi", "en"])
@pytest.mark.parametrize("name", FORMATS)
def test_moments_are_djangos_date_format(language, name):
    with translation.override(language):
        for moment in MOMENTS:
            local = timezone.localtime(moment)
            assert format_moment(local, name) == date_format(local, name)
            if "DATETIME" not in name:
                assert format_moment(local.date(), name) == date_format(local.date(), name)


def test_a_date_with_a_time_format_is_refused_as_django_refuses_it():
    with translation.override("vi"), pytest.raises(TypeError):
        format_moment(datetime.date(2026, 12, 6), "SHORT_DATETIME_FORMAT")


@pytest.mark.parametrize("language", ["vi", "en"])
def test_amounts_are_intcomma(language):
    with translation.override(language):
        for amount in AMOUNTS:
            assert grouped(amount) == intcomma(amount), amount
        assert grouped(250_000_000) == ("250.000.000" if language == "vi" else "250,000,000")


@pytest.mark.parametrize("language", ["vi", "en"])
def test_event_and_delivery_labels_are_djangos_get_display(language):
    from notifications.models import Channel, Delivery, Event, Kind

    kind, channel = Event._meta.get_field("kind"), Delivery._meta.get_field("channel")
    with translation.override(language):
        for value in [*Kind.values, "no.such.kind"]:
            event = Event(kind=value)
            assert event.get_kind_display() == event._get_FIELD_display(kind)
        for value in Channel.values:
            delivery = Delivery(channel=value)
            assert delivery.get_channel_display() == delivery._get_FIELD_display(channel)
        assert Event(kind=Kind.values[0]).get_kind_display() == str(Kind.choices[0][1])
