"""Dates and amounts as Django's `date_format` and humanize's `intcomma` write them, for the
staff lists' cells (25 rows x a few date and money columns a page).

Django parses the format string on every call (`dateformat.format` splits it with a regular
expression, then builds a formatter object) and groups digits one at a time: 40-110 µs a
cell, a fifth of a deal list's rows. Here each format is parsed once, the common format
characters are written directly and any other is asked of Django's own formatter, so the text
is the same, character for character (tests/web/test_formats.py compares them).
"""

import datetime
import re
from decimal import Decimal

from django.contrib.humanize.templatetags.humanize import intcomma
from django.utils import dateformat
from django.utils.encoding import force_str
from django.utils.formats import get_format
from django.utils.translation import get_language

# The format characters written here; every other one is Django's.
_DIRECT = {
    "d": lambda v: f"{v.day:02d}",
    "j": lambda v: str(v.day),
    "m": lambda v: f"{v.month:02d}",
    "n": lambda v: str(v.month),
    "Y": lambda v: f"{v.year:04d}",
    "H": lambda v: f"{v.hour:02d}",
    "G": lambda v: str(v.hour),
    "i": lambda v: f"{v.minute:02d}",
    "s": lambda v: f"{v.second:02d}",
}
_TIME_CHARACTERS = frozenset(name for name in vars(dateformat.TimeFormat) if len(name) == 1)

# A format string, parsed: literal text, or a format character.
_parsed: dict[str, tuple[tuple[bool, str], ...]] = {}


def _parse(form: str) -> tuple[tuple[bool, str], ...]:
    """Django's own split (`Formatter.format`): odd pieces are format characters, even
    pieces literal text with its backslashes taken out."""
    if form not in _parsed:
        pieces = []
        for index, piece in enumerate(dateformat.re_formatchars.split(form)):
            if index % 2:
                pieces.append((True, piece))
            elif piece:
                pieces.append((False, dateformat.re_escaped.sub(r"\1", piece)))
        _parsed[form] = tuple(pieces)
    return _parsed[form]


def format_moment(value, format_name: str) -> str:
    """`date_format(value, format_name)`: a date or a datetime (already in local time)."""
    return format_with(value, str(get_format(format_name, get_language())))


def format_with(value, form: str) -> str:
    """`dateformat.format(value, form)`: a date or a datetime in the format string `form`."""
    pieces = _parse(str(form))
    is_date = type(value) is datetime.date
    if is_date and any(char and name in _TIME_CHARACTERS for char, name in pieces):
        return dateformat.format(value, form)  # Django's TypeError, as Django raises it
    out, django = [], None
    for is_char, piece in pieces:
        if not is_char:
            out.append(piece)
        elif piece in _DIRECT:
            out.append(_DIRECT[piece](value))
        else:
            if django is None:
                django = dateformat.DateFormat(value)
            out.append(str(getattr(django, piece)()))
    return "".join(out)


def grouped(value) -> str:
    """`intcomma(value)`: a whole amount with the language's thousands separator (250.000.000
    in Vietnamese, 250,000,000 in English); anything else (decimals, floats, text) is
    intcomma's own."""
    if isinstance(value, Decimal):
        sign, _digits, exponent = value.as_tuple()
        if exponent != 0 or (sign and not value):
            return intcomma(value)
        value = int(value)
    elif type(value) is not int:
        return intcomma(value)
    lang = get_language()
    if get_format("NUMBER_GROUPING", lang) != 3:
        return intcomma(value)
    text = f"{abs(value):,}".replace(",", str(get_format("THOUSAND_SEPARATOR", lang)))
    return f"-{text}" if value < 0 else text


def choice_labels(field) -> dict | None:
    """A field's choices as {value: label}, what admin's `display_for_field` builds from its
    `flatchoices` on every call: built once per table. None for a field without choices, or
    with list-like ones (unhashable: Django's own path then)."""
    if not getattr(field, "flatchoices", None):
        return None
    try:
        return dict(field.flatchoices)
    except TypeError:
        return None


def choice_display(name: str, choices) -> object:
    """A model's `get_<name>_display`, its labels looked up in a dict built once: Django's
    own builds a dict of every choice on each call (about 100 µs for the 32 kinds of event,
    and an event list names an event in every row). The same text: the label in the active
    language, or the stored value when it is no choice."""
    labels = dict(choices)

    def display(self):
        value = getattr(self, name)
        return force_str(labels.get(value, value), strings_only=True)

    display.__name__ = f"get_{name}_display"
    return display


# A whole amount of đồng as people type it: ASCII digits, maybe grouped by thousands with
# dots, commas or (no-break) spaces, one separator throughout ("150000000", "150.000.000").
# Not "0.500" (a fraction), nor what Python's Decimal also reads: "1_000", "1e5", other
# scripts' digits. The deal form and the money services read amounts by it.
TYPED_VND = re.compile(r"[0-9]+|[1-9][0-9]{0,2}(?P<sep>[.,\u00a0 ])[0-9]{3}(?:(?P=sep)[0-9]{3})*")


def typed_vnd_digits(text: str) -> str | None:
    """The digits of an amount typed as TYPED_VND allows, or None."""
    text = text.strip()
    return re.sub(r"[^0-9]", "", text) if TYPED_VND.fullmatch(text) else None
