import re
from datetime import date, timedelta

from django.utils.formats import date_format

from marketplace.ledger.charts import PLOT_HEIGHT, bar_chart_svg, daily_summary

MARCH = [date(2026, 3, 1) + timedelta(days=n) for n in range(30)]


def bars(svg):
    return re.findall(r'<rect class="chart-bar" x="([\d.]+)" y="([\d.]+)" width="([\d.]+)" height="([\d.]+)">', svg)


def test_one_bar_per_day_with_earnings_titled_with_day_and_amount():
    points = [(day, 0) for day in MARCH]
    points[1] = (MARCH[1], 35)
    points[29] = (MARCH[29], 1)
    svg = str(bar_chart_svg(points, label="Tokens earned per day"))
    assert len(bars(svg)) == 2
    assert re.findall(r"<title>([^<]+)</title>", svg) == ["March 2, 2026: 35 tokens", "March 30, 2026: 1 token"]


def test_accessible_summary_and_axis_labels():
    svg = str(bar_chart_svg([(MARCH[0], 10), (MARCH[1], 30)], label="Tokens earned per day"))
    assert svg.startswith('<svg class="chart" viewBox="0 0 640 220" role="img"')
    assert 'aria-label="Tokens earned per day: 40 tokens"' in svg
    labels = re.findall(r'<text class="chart-label"[^>]*>([^<]+)</text>', svg)
    assert labels == ["30", "0", "March 1", "March 2"]


def test_bars_scale_to_the_largest_amount_and_keep_day_order():
    svg = str(bar_chart_svg([(MARCH[0], 10), (MARCH[1], 0), (MARCH[2], 40)], label="x"))
    (x1, y1, w1, h1), (x3, y3, w3, h3) = bars(svg)
    assert float(h3) == PLOT_HEIGHT and float(h1) == PLOT_HEIGHT / 4
    assert float(x1) < float(x3) and w1 == w3
    # Bars stand on the same baseline.
    assert float(y1) + float(h1) == float(y3) + float(h3)


def test_text_is_escaped():
    svg = str(bar_chart_svg([(MARCH[0], 5)], label='<script>"x"</script>'))
    assert "<script>" not in svg and "&lt;script&gt;" in svg


def test_no_points_draws_empty_axes():
    svg = str(bar_chart_svg([], label="Nothing"))
    assert bars(svg) == [] and 'aria-label="Nothing: 0 tokens"' in svg


def test_daily_summary_names_the_total_the_days_and_the_best_day():
    points = [(MARCH[0], 3), (MARCH[1], 0), (MARCH[2], 12)]
    assert daily_summary(points, days=30) == (
        f"15 tokens earned in the last 30 days, on 2 days; the best was {date_format(MARCH[2], 'DATE_FORMAT')}, "
        "with 12 tokens."
    )
    assert daily_summary([(MARCH[0], 1)], days=7).startswith("1 token earned in the last 7 days, on 1 day;")
    assert daily_summary([(MARCH[0], 0)], days=30) == "Nothing earned in the last 30 days."
