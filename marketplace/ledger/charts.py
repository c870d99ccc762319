"""Server-rendered SVG charts: no chart library, nothing to run in the browser.

The SVG is an image to assistive technology (role="img") whose aria-label
states what it shows and the total; each bar carries a <title> with its day
and amount, which is also the tooltip on hover.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext, ngettext

WIDTH, HEIGHT = 640, 220
LEFT, RIGHT, TOP, BOTTOM = 48, 8, 12, 28
PLOT_WIDTH, PLOT_HEIGHT = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
BAR_SHARE = 0.7  # of each day's slot; the rest is the gap between bars


def tokens_text(count: int) -> str:
    return ngettext("%(count)s token", "%(count)s tokens", count) % {"count": count}


def daily_summary(points: Sequence[tuple[date, int]], *, days: int) -> str:
    """The chart in words, for everyone who does not hover over its bars: the total, on how many days, and the
    best day (the latest of equals)."""
    earning = [(day, amount) for day, amount in points if amount > 0]
    if not earning:
        return gettext("Nothing earned in the last %(days)s days.") % {"days": days}
    total = sum(amount for _, amount in earning)
    best_day, best = max(reversed(earning), key=lambda point: point[1])
    on_days = ngettext("on %(count)s day", "on %(count)s days", len(earning)) % {"count": len(earning)}
    return gettext("%(tokens)s earned in the last %(days)s days, %(on_days)s; the best was %(day)s, with %(best)s.") % {
        "tokens": tokens_text(total), "days": days, "on_days": on_days,
        "day": date_format(best_day, "DATE_FORMAT"), "best": tokens_text(best),
    }


def bar_chart_svg(points: Sequence[tuple[date, int]], *, label: str) -> SafeString:
    """One slot per point, in the order given, with a bar where the amount is above zero."""
    top = max((amount for _, amount in points), default=0) or 1
    slot = PLOT_WIDTH / max(len(points), 1)
    baseline = TOP + PLOT_HEIGHT

    def bar(index: int, day: date, amount: int) -> SafeString:
        height = amount / top * PLOT_HEIGHT
        return format_html(
            '<rect class="chart-bar" x="{}" y="{}" width="{}" height="{}"><title>{}</title></rect>',
            _coord(LEFT + index * slot + slot * (1 - BAR_SHARE) / 2), _coord(baseline - height),
            _coord(slot * BAR_SHARE), _coord(height),
            f"{date_format(day, 'DATE_FORMAT')}: {tokens_text(amount)}",
        )

    bars = format_html_join("", "{}", ((bar(i, day, amount),) for i, (day, amount) in enumerate(points) if amount > 0))
    total = sum(amount for _, amount in points)
    return format_html(
        '<svg class="chart" viewBox="0 0 {} {}" role="img" aria-label="{}" xmlns="http://www.w3.org/2000/svg">'
        '<line class="chart-axis" x1="{}" y1="{}" x2="{}" y2="{}"></line>'
        '<line class="chart-grid" x1="{}" y1="{}" x2="{}" y2="{}"></line>'
        '<text class="chart-label" x="{}" y="{}" text-anchor="end">{}</text>'
        '<text class="chart-label" x="{}" y="{}" text-anchor="end">0</text>'
        "{}{}</svg>",
        WIDTH, HEIGHT, f"{label}: {tokens_text(total)}",
        LEFT, baseline, WIDTH - RIGHT, baseline,
        LEFT, TOP, WIDTH - RIGHT, TOP,
        LEFT - 6, TOP + 4, top,
        LEFT - 6, baseline + 4,
        _date_labels(points, baseline), bars,
    )


def _coord(value: float) -> str:
    return f"{value:.1f}"


def _date_labels(points: Sequence[tuple[date, int]], baseline: float) -> SafeString:
    """The first and last day under the ends of the axis."""
    days = [points[0][0], points[-1][0]] if len(points) > 1 else [day for day, _ in points]
    return format_html_join(
        "",
        '<text class="chart-label" x="{}" y="{}" text-anchor="{}">{}</text>',
        (
            (x, baseline + 18, anchor, date_format(day, "MONTH_DAY_FORMAT"))
            for day, (x, anchor) in zip(days, [(LEFT, "start"), (WIDTH - RIGHT, "end")], strict=False)
        ),
    )
