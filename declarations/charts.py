"""Server-rendered SVG charts for the port dashboard: pure functions from numbers to markup.

No script and no inline style: colours come from CSS classes (``static/css/workspace.css``),
every text is escaped, and each chart carries a title for screen readers (the page also shows
the same numbers as a table).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

WIDTH = 640
LABEL_WIDTH = 230
BAR_HEIGHT = 22
GAP = 8
PLOT_HEIGHT = 220
MARGIN_LEFT = 56
MARGIN_BOTTOM = 44
MARGIN_TOP = 16


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    css: str = "chart-bar"


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[float | None]
    css: str


def _number(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


def nice_ceiling(value: float) -> float:
    """The smallest of 1, 2, 2.5, 5 × 10ⁿ at or above ``value`` (an axis maximum)."""
    if value <= 0:
        return 1.0
    magnitude = 10 ** (len(str(int(value))) - 1) if value >= 1 else 1
    for step in (1, 2, 2.5, 5, 10):
        if step * magnitude >= value:
            return float(step * magnitude)
    return float(10 * magnitude)  # pragma: no cover


def horizontal_bars(bars: Sequence[Bar], *, title: str, chart_id: str) -> SafeString:
    """One bar per row, label on the left and value at the end of the bar."""
    height = max(1, len(bars)) * (BAR_HEIGHT + GAP) + GAP
    top = nice_ceiling(max((bar.value for bar in bars), default=0))
    span = WIDTH - LABEL_WIDTH - 70
    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {height}" role="img" aria-labelledby="{chart_id}-title" '
        f'data-testid="{chart_id}-chart"><title id="{chart_id}-title">{escape(title)}</title>'
    ]
    for index, bar in enumerate(bars):
        y = GAP + index * (BAR_HEIGHT + GAP)
        length = span * bar.value / top if top else 0
        parts.append(
            f'<text class="chart-label" x="{LABEL_WIDTH - 8}" y="{y + BAR_HEIGHT * 0.7:.1f}" text-anchor="end">'
            f"{escape(bar.label)}</text>"
            f'<rect class="{escape(bar.css)}" x="{LABEL_WIDTH}" y="{y}" width="{length:.1f}" height="{BAR_HEIGHT}">'
            f"<title>{escape(bar.label)}: {_number(bar.value)}</title></rect>"
            f'<text class="chart-value" x="{LABEL_WIDTH + length + 6:.1f}" y="{y + BAR_HEIGHT * 0.7:.1f}">'
            f"{_number(bar.value)}</text>"
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 — every interpolated text above is escaped


def _axis(labels: Sequence[str], top: float, unit: str) -> list[str]:
    plot_width = WIDTH - MARGIN_LEFT - 10
    parts = []
    for step in range(5):
        value = top * step / 4
        y = MARGIN_TOP + PLOT_HEIGHT - PLOT_HEIGHT * step / 4
        parts.append(
            f'<line class="chart-grid" x1="{MARGIN_LEFT}" x2="{WIDTH - 10}" y1="{y:.1f}" y2="{y:.1f}"/>'
            f'<text class="chart-label" x="{MARGIN_LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">'
            f"{_number(value)}</text>"
        )
    parts.append(f'<text class="chart-label" x="4" y="{MARGIN_TOP - 4}">{escape(unit)}</text>')
    slot = plot_width / max(1, len(labels))
    for index, label in enumerate(labels):
        x = MARGIN_LEFT + slot * (index + 0.5)
        parts.append(
            f'<text class="chart-label chart-week" x="{x:.1f}" y="{MARGIN_TOP + PLOT_HEIGHT + 18}" '
            f'text-anchor="middle">{escape(label)}</text>'
        )
    return parts


def _legend(series: Sequence[Series], extra: Sequence[tuple[str, str]] = ()) -> list[str]:
    parts = []
    x = MARGIN_LEFT
    y = MARGIN_TOP + PLOT_HEIGHT + 36
    for name, css in [(s.name, s.css) for s in series] + list(extra):
        parts.append(
            f'<rect class="{escape(css)}" x="{x}" y="{y - 9}" width="12" height="10"/>'
            f'<text class="chart-label" x="{x + 16}" y="{y}">{escape(name)}</text>'
        )
        x += 28 + 7 * len(name)
    return parts


def weekly_lines(
    labels: Sequence[str],
    series: Sequence[Series],
    *,
    title: str,
    chart_id: str,
    unit: str,
    target: float | None = None,
    target_label: str = "",
) -> SafeString:
    """A line per series over the weeks; a dashed horizontal line marks the target. Weeks without a
    value (``None``) break the line."""
    values = [v for s in series for v in s.values if v is not None]
    top = nice_ceiling(max(values + ([target] if target is not None else []), default=0) * 1.05)
    height = MARGIN_TOP + PLOT_HEIGHT + MARGIN_BOTTOM
    slot = (WIDTH - MARGIN_LEFT - 10) / max(1, len(labels))
    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {height}" role="img" aria-labelledby="{chart_id}-title" '
        f'data-testid="{chart_id}-chart"><title id="{chart_id}-title">{escape(title)}</title>'
    ]
    parts += _axis(labels, top, unit)

    def y_of(value: float) -> float:
        return MARGIN_TOP + PLOT_HEIGHT - PLOT_HEIGHT * value / top

    if target is not None:
        parts.append(
            f'<line class="chart-target" x1="{MARGIN_LEFT}" x2="{WIDTH - 10}" y1="{y_of(target):.1f}" '
            f'y2="{y_of(target):.1f}"><title>{escape(target_label)}</title></line>'
        )
    for s in series:
        segment: list[str] = []
        for index, value in enumerate(list(s.values) + [None]):
            if value is None:
                if len(segment) > 1:
                    parts.append(f'<polyline class="{escape(s.css)} chart-line" points="{" ".join(segment)}"/>')
                segment = []
                continue
            x, y = MARGIN_LEFT + slot * (index + 0.5), y_of(value)
            segment.append(f"{x:.1f},{y:.1f}")
            parts.append(
                f'<circle class="{escape(s.css)}" cx="{x:.1f}" cy="{y:.1f}" r="3.5">'
                f"<title>{escape(labels[index])} · {escape(s.name)}: {_number(value)}</title></circle>"
            )
    parts += _legend(series, [(target_label, "chart-target-key")] if target is not None else [])
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 — every interpolated text above is escaped


def weekly_bars(labels: Sequence[str], series: Sequence[Series], *, title: str, chart_id: str, unit: str) -> SafeString:
    """Grouped bars per week, one bar per series."""
    values = [v or 0 for s in series for v in s.values]
    top = nice_ceiling(max(values, default=0))
    height = MARGIN_TOP + PLOT_HEIGHT + MARGIN_BOTTOM
    slot = (WIDTH - MARGIN_LEFT - 10) / max(1, len(labels))
    width = slot * 0.8 / max(1, len(series))
    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {height}" role="img" aria-labelledby="{chart_id}-title" '
        f'data-testid="{chart_id}-chart"><title id="{chart_id}-title">{escape(title)}</title>'
    ]
    parts += _axis(labels, top, unit)
    for number, s in enumerate(series):
        for index, value in enumerate(s.values):
            value = value or 0
            bar_height = PLOT_HEIGHT * value / top
            x = MARGIN_LEFT + slot * index + slot * 0.1 + width * number
            parts.append(
                f'<rect class="{escape(s.css)}" x="{x:.1f}" y="{MARGIN_TOP + PLOT_HEIGHT - bar_height:.1f}" '
                f'width="{width:.1f}" height="{bar_height:.1f}"><title>{escape(labels[index])} · '
                f"{escape(s.name)}: {_number(value)}</title></rect>"
            )
    parts += _legend(series)
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 — every interpolated text above is escaped
