"""`{% bar_chart_svg %}`: templates/_bar_chart.html written out in Python, the same markup
byte for byte (tests/test_bar_charts.py compares them), for pages that draw several
charts (the programme view's four charts were a fifth of its CPU through the template)."""

from django import template
from django.utils.formats import localize
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe

register = template.Library()


def _v(value) -> str:
    """A value as `{{ value }}` writes it inside `{% localize off %}`."""
    return conditional_escape(localize(value, use_l10n=False))


@register.simple_tag
def bar_chart_svg(chart, chart_id: str, chart_title="", chart_newest_first=False) -> str:
    """`{% include "_bar_chart.html" with chart=… chart_id=… %}`, `chart_title` passed
    explicitly (the include reads it from the page)."""
    cid, title = _v(chart_id), _v(chart_title)
    out = [
        "\n\n"
        f'<div class="chart-scroll chart-wide{" chart-scroll-end" if chart_newest_first else ""}"'
        f' data-chart="{cid}" tabindex="0" role="group" aria-label="{title}">\n'
        f'<svg class="chart" viewBox="0 0 {_v(chart.width)} {_v(chart.height)}" role="img"'
        f' aria-labelledby="{cid}-title" focusable="false">\n'
        f'  <title id="{cid}-title">{title}</title>\n'
        f'  <line class="chart-axis" x1="0" y1="{_v(chart.baseline)}" x2="{_v(chart.width)}"'
        f' y2="{_v(chart.baseline)}"/>\n  '
    ]
    label_y = _v(chart.height - 6)
    for bar in chart.bars:
        text = _v(bar.value_text)
        y = _v(bar.y)
        value = (
            f'<text class="chart-value" x="{_v(bar.center)}" y="{y}" dy="-6"'
            f' text-anchor="middle">{text}</text>'
            if bar.height
            else ""
        )
        label = (
            f'<text class="chart-label" x="{_v(bar.label_x)}" y="{label_y}"'
            f' text-anchor="middle">{_v(bar.label)}</text>'
            if bar.label
            else ""
        )
        out.append(
            f'\n    <rect class="chart-bar {_v(bar.css)}" x="{_v(bar.x)}" y="{y}"'
            f' width="{_v(bar.width)}" height="{_v(bar.height)}" rx="3"><title>{text}</title>'
            f"</rect>\n    {value}\n    {label}\n  "
        )
    out.append("\n</svg>\n</div>\n")
    phone = chart.phone
    if phone:
        out.append(
            f'\n<div class="chart-phone" data-chart="{cid}">\n'
            f'<svg class="chart chart-rows" viewBox="0 0 {_v(phone.width)} {_v(phone.height)}"'
            f' role="img" aria-labelledby="{cid}-phone-title" focusable="false">\n'
            f'  <title id="{cid}-phone-title">{title}</title>\n  '
        )
        bar_height = _v(phone.bar_height)
        for group in phone.groups:
            out.append(
                f'\n    <text class="chart-label" x="0" y="{_v(group.label_y)}">'
                f"{_v(group.label)}</text>\n    "
            )
            for bar in group.bars:
                text, y = _v(bar.value_text), _v(bar.y)
                out.append(
                    f'\n      <rect class="chart-bar {_v(bar.css)}" x="{_v(bar.x)}" y="{y}"'
                    f' width="{_v(bar.width)}" height="{bar_height}" rx="3"><title>{text}</title>'
                    f"</rect>\n"
                    f'      <text class="chart-value" x="{_v(bar.value_x)}" y="{y}" dy="11">'
                    f"{text}</text>\n    "
                )
            out.append("\n  ")
        out.append("\n</svg>\n</div>\n")
    out.append("\n\n")
    return mark_safe("".join(out))
