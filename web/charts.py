"""Bar charts drawn on the server as SVG: no JavaScript, no inline style (CSP), and the same
numbers in a table next to them for screen readers and for anyone who prefers figures."""

from dataclasses import dataclass

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
class Chart:
    width: int
    height: int
    bars: list[Bar]
    baseline: float


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
        width=width, height=TOP + BAR_AREA + LABEL_GAP + 6, bars=bars, baseline=TOP + BAR_AREA
    )


def compact_vnd(value) -> str:
    """An amount short enough for a bar's label: 1,2 tỷ / 1.2 bn, 350 tr / 350 M."""
    value = int(value or 0)
    if value >= 1_000_000_000:
        return _("%(amount)s bn") % {"amount": number_format(value / 1_000_000_000, 1)}
    if value >= 1_000_000:
        return _("%(amount)s M") % {"amount": number_format(value // 1_000_000, 0)}
    return number_format(value, 0, force_grouping=True)
