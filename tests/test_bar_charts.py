"""`{% bar_chart_svg %}` writes templates/_bar_chart.html's markup byte for byte."""

import dataclasses

import pytest
from django.template import Context, Template
from django.utils import translation

from web.charts import bar_chart, compact_vnd

CHARTS = {
    "two series, long labels": bar_chart(
        [
            ("Đề xuất <b>", [1_250_000_000, 312_500_000], ["1,25 tỷ", "312 tr"]),
            ("Đàm phán & ký", [0, 0], ["0", "0"]),
            ("Thắng", [7, 3.5], [compact_vnd(7), compact_vnd(3.5)]),
        ],
        series=2,
    ),
    "one series, short labels": bar_chart(
        [(f"{week}/12", [week * 3 % 7], [str(week * 3 % 7)]) for week in range(1, 13)]
    ),
    "empty": bar_chart([]),
    "fractions": bar_chart([("1/1", [0.5], ["0,5"]), ("8/1", [2.25], ["2,3"])]),
}


@pytest.mark.parametrize("name", CHARTS)
@pytest.mark.parametrize("newest_first", [False, True])
@pytest.mark.parametrize("language", ["en", "vi"])
def test_the_tag_is_the_templates_markup(name, newest_first, language):
    chart = CHARTS[name]
    context = {
        "chart": chart,
        "chart_id": "x-chart",
        "chart_title": 'Mở "pipeline" & <giá trị>',
        "chart_newest_first": newest_first,
    }
    with translation.override(language):
        djangos = Template('{% include "_bar_chart.html" %}').render(Context(context))
        ours = Template(
            "{% load bar_charts %}{% bar_chart_svg chart=chart chart_id=chart_id"
            " chart_title=chart_title chart_newest_first=chart_newest_first %}"
        ).render(Context(context))
    assert ours == djangos


def test_a_chart_without_its_phone_rows_is_the_templates_markup():
    chart = dataclasses.replace(CHARTS["fractions"], phone=None)
    context = {"chart": chart, "chart_id": "y", "chart_title": "t", "chart_newest_first": False}
    djangos = Template('{% include "_bar_chart.html" %}').render(Context(context))
    ours = Template(
        "{% load bar_charts %}{% bar_chart_svg chart=chart chart_id=chart_id chart_title=chart_title %}"
    ).render(Context(context))
    assert ours == djangos
