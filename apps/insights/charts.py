"""Server-rendered, accessible SVG bar charts: each has a <title> and a <desc>, and the page
shows the same numbers in a table and a CSV link."""

from __future__ import annotations

from typing import Any

from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe

ROW = 26
LABEL_WIDTH = 220
BAR_WIDTH = 360


def bar_chart(
    *, chart_id: str, title: str, rows: list[dict[str, Any]], label: str, value: str, unit: str = ""
) -> SafeString:
    values = [(str(r.get(label) or "—"), r.get(value)) for r in rows]
    numbers = [v for _, v in values if isinstance(v, int | float)]
    top = max(numbers, default=0) or 1
    height = ROW * max(len(values), 1) + 10
    width = LABEL_WIDTH + BAR_WIDTH + 90
    summary = "; ".join(f"{name}: {v if v is not None else 'no data'}{unit}" for name, v in values)
    parts = [
        format_html(
            '<svg role="img" aria-labelledby="{0}-title {0}-desc" viewBox="0 0 {1} {2}" '
            'width="100%" class="insights-chart" xmlns="http://www.w3.org/2000/svg">'
            '<title id="{0}-title">{3}</title><desc id="{0}-desc">{4}</desc>',
            chart_id,
            width,
            height,
            title,
            summary or "No data for these filters.",
        )
    ]
    if not values:
        parts.append(mark_safe('<text x="10" y="20">No data for these filters.</text>'))
    for i, (name, v) in enumerate(values):
        y = 5 + i * ROW
        length = 0 if not isinstance(v, int | float) else round(BAR_WIDTH * v / top, 1)
        parts.append(
            format_html(
                '<text x="{}" y="{}" text-anchor="end" font-size="12">{}</text>'
                '<rect x="{}" y="{}" width="{}" height="{}" fill="var(--primary, #1e3a8a)"></rect>'
                '<text x="{}" y="{}" font-size="12">{}{}</text>',
                LABEL_WIDTH - 6,
                y + 15,
                name[:34],
                LABEL_WIDTH,
                y + 3,
                length,
                ROW - 8,
                LABEL_WIDTH + length + 6,
                y + 15,
                "—" if v is None else v,
                unit,
            )
        )
    parts.append(mark_safe("</svg>"))
    return mark_safe("".join(str(p) for p in parts))  # noqa: S308 - every piece escaped above


__all__ = ["bar_chart", "escape"]
