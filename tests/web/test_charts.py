"""Bar labels: rounded to the nearest, with enough digits to tell the bars apart."""

import pytest
from django.utils import translation

from web.charts import bar_chart, compact_vnd


@pytest.mark.parametrize(
    ("value", "en", "vi"),
    [
        (843_750_000, "844 M", "844 tr"),
        (1_350_000_000, "1.35 bn", "1,35 tỷ"),
        (1_050_000_000, "1.05 bn", "1,05 tỷ"),
        (999_600_000, "1 bn", "1 tỷ"),
        (1_500_000_000, "1.5 bn", "1,5 tỷ"),
        (105_000_000, "105 M", "105 tr"),
        (12_345_678, "12.3 M", "12,3 tr"),
        (1_234_567_890_000, "1,230 bn", "1.230 tỷ"),
        (750_000, "750,000", "750.000"),
        (0, "0", "0"),
    ],
)
def test_compact_vnd_rounds_to_the_nearest_with_three_digits(value, en, vi):
    with translation.override("en"):
        assert compact_vnd(value) == en
    with translation.override("vi"):
        assert compact_vnd(value) == vi


def test_bar_chart_phone_layout_fits_every_group_in_its_width():
    items = [(f"{m:02d}/26", [m * 100], [str(m)]) for m in range(1, 13)]

    chart = bar_chart(items)

    assert len(chart.phone.groups) == 12
    widest = max(bar.x + bar.width for g in chart.phone.groups for bar in g.bars)
    assert widest <= chart.phone.width - 60  # room for the value on the right
    assert [g.label for g in chart.phone.groups] == [label for label, _v, _t in items]
