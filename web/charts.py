"""Bar charts drawn on the server as SVG: no JavaScript, no inline style (CSP), and the same
numbers in a table next to them for screen readers and for anyone who prefers figures."""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.utils.formats import number_format
from django.utils.translation import gettext as _

WIDTH = 960
BAR_AREA = 200
TOP = 24
LABEL_GAP = 18


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    label: str
    label_x: float
    value_text: str
    css: str = ""

    @property
    def center(self) -> float:
        return round(self.x + self.width / 2, 1)


@dataclass(frozen=True)
class PhoneBar:
    x: float
    y: float
    width: float
    value_text: str
    value_x: float
    css: str = ""


@dataclass(frozen=True)
class PhoneGroup:
    label: str
    label_y: float
    bars: list[PhoneBar]


@dataclass(frozen=True)
class PhoneChart:
    """The same figures for a phone: one group per row, its bars across, so every group fits
    the width of the screen (columns side by side would need a scroll)."""

    width: int
    height: int
    bar_height: int
    groups: list[PhoneGroup]


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    bars: list[Bar]
    baseline: float
    phone: PhoneChart | None = None


PHONE_WIDTH = 340
PHONE_LABEL = 18  # the group's label line, above its bars
PHONE_BAR = 14
PHONE_GAP = 4
PHONE_GROUP_GAP = 12
PHONE_VALUE_SPACE = 80  # right of the longest bar: room for its value ("1,35 tỷ")


PHONE_SHORT_LABEL = 6  # characters: "03/26" sits left of its bar, a stage's name above it
PHONE_LABEL_COLUMN = 48


def _phone_chart(items, largest: float) -> PhoneChart:
    inline = all(len(label) <= PHONE_SHORT_LABEL for label, _values, _texts in items)
    left = PHONE_LABEL_COLUMN if inline else 0
    scale = (PHONE_WIDTH - left - PHONE_VALUE_SPACE) / float(largest)
    groups = []
    y = 0.0
    for label, values, texts in items:
        label_y = y + PHONE_BAR - 3 if inline else y + PHONE_LABEL - 5
        y += 0 if inline else PHONE_LABEL
        bars = []
        for j, (value, text) in enumerate(zip(values, texts, strict=True)):
            width = round(float(value) * scale, 1)
            bars.append(
                PhoneBar(
                    x=left,
                    y=round(y, 1),
                    width=width,
                    value_text=text,
                    value_x=round(left + width + 6, 1),
                    css="chart-bar-weighted" if j == 1 else "",
                )
            )
            y += PHONE_BAR + PHONE_GAP
        groups.append(PhoneGroup(label=label, label_y=round(label_y, 1), bars=bars))
        y += PHONE_GAP if inline else PHONE_GROUP_GAP
    return PhoneChart(width=PHONE_WIDTH, height=max(int(y), 1), bar_height=PHONE_BAR, groups=groups)


def bar_chart(items, *, series=1, width=WIDTH) -> Chart:
    """`items`: (label, [value, ...], [value text, ...]) per group; `series` bars per group,
    the second one styled as `chart-bar-weighted`. Heights scale to the largest value."""
    items = list(items)
    largest = max((v for _label, values, _texts in items for v in values), default=0) or 1
    slot = width / max(len(items), 1)
    bar_width = slot * 0.7 / series
    bars = []
    for i, (label, values, texts) in enumerate(items):
        for j, (value, text) in enumerate(zip(values, texts, strict=True)):
            height = round(BAR_AREA * value / largest, 1)
            bars.append(
                Bar(
                    x=round(i * slot + slot * 0.15 + j * bar_width, 1),
                    y=round(TOP + BAR_AREA - height, 1),
                    width=round(bar_width, 1),
                    height=height,
                    label=label if j == 0 else "",
                    label_x=round(i * slot + slot / 2, 1),
                    value_text=text,
                    css="chart-bar-weighted" if j == 1 else "",
                )
            )
    return Chart(
        width=width,
        height=TOP + BAR_AREA + LABEL_GAP + 6,
        bars=bars,
        baseline=TOP + BAR_AREA,
        phone=_phone_chart(items, largest),
    )


def compact_vnd(value) -> str:
    """An amount short enough for a bar's label, rounded to the nearest with three digits:
    1,35 tỷ / 1.35 bn, 844 tr / 844 M; under a million, the whole amount."""
    value = int(value or 0)
    if value < 1_000_000:
        return number_format(value, 0, force_grouping=True)
    shift = len(str(value)) - 3
    rounded = int(Decimal(value).scaleb(-shift).quantize(Decimal(1), ROUND_HALF_UP).scaleb(shift))
    # Rounded first, so 999,600,000 reads "1 bn", not "1,000 M".
    if rounded >= 1_000_000_000:
        unit, text = 1_000_000_000, _("%(amount)s bn")
    else:
        unit, text = 1_000_000, _("%(amount)s M")
    amount = Decimal(rounded) / unit
    places = max(0, -amount.normalize().as_tuple().exponent)
    return text % {"amount": number_format(amount, places, force_grouping=True)}
