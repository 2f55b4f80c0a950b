"""The server-drawn line chart: labelled, one line style per series, gaps for missing months,
every figure also in its table, escaped, and no inline style (the CSP forbids it)."""

from __future__ import annotations

import re

from flask import Flask, render_template_string

CHART = '{% from "_charts.html" import line_chart %}{{ line_chart(months, series, title, unit) }}'
MONTHS = ["2026-01", "2026-02", "2026-03"]


def render(app: Flask, series: list[dict], title: str = "Plan vs budget", unit: str = "$") -> str:
    with app.test_request_context():
        return render_template_string(CHART, months=MONTHS, series=series, title=title, unit=unit)


def test_line_chart_draws_each_series_with_its_own_style_and_a_table(app: Flask) -> None:
    html = render(app, [{"name": "Plan", "values": [100, None, 300]},
                        {"name": "Budget <b>", "values": [120, 130, 140]}])
    assert '<title id="line-plan-vs-budget-title">Plan vs budget</title>' in html
    assert 'class="series series-0"' in html and 'class="series series-1"' in html
    # The gap in February breaks the plan line: a new sub-path starts in March.
    plan_path = re.search(r'series-0">\s*<title>Plan</title><path d="([^"]+)"', html).group(1)
    assert plan_path.count("M") == 2 and "L" not in plan_path
    assert "<title>Plan, 2026-03: $300</title>" in html
    table = html[html.index("<table"):]
    assert '<caption class="visually-hidden">Plan vs budget ($)</caption>' in table
    assert '<th scope="row">2026-02</th><td class="num">—</td><td class="num">$130</td>' in table
    assert "Budget &lt;b&gt;" in html and "<b>" not in html
    assert "style=" not in html and "<script" not in html
    for tick in ("$0", "$100", "$200", "$300"):
        assert f">{tick}</text>" in html


def test_line_chart_without_any_figure_says_so(app: Flask) -> None:
    html = render(app, [{"name": "Plan", "values": [None, None, None]}])
    assert "No figures yet." in html and "<svg" not in html


def test_line_chart_keeps_a_decimal_where_a_figure_has_one(app: Flask) -> None:
    html = render(app, [{"name": "Cases", "values": [12.5, 3, 2500.4]}], "Cases", "")
    assert '<td class="num">12.5</td>' in html and '<td class="num">3</td>' in html
    assert '<td class="num">2,500</td>' in html
