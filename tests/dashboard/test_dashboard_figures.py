"""The dashboards' charts and tables against figures computed by hand on a small company: the
manager's plan vs budget vs last cycle vs actuals by month, progress by rep and biggest
changes; a rep's own plan vs last year and baseline, scoped to their customers, and the
customers they have not planned yet. The dashboard loads them once shown
(/dashboard/figures, which also answers as a page of its own)."""

from __future__ import annotations

import re

import pytest

from sop.models import BaselineLine, BudgetEntry, ForecastLine, SalesHistory, SalesMonth


@pytest.fixture
def company(make_user, make_customer, make_product, make_price, make_cycle, make_line):
    """Two reps. Last cycle (Oct 2026, closed) and this one (Nov 2026, open):
    - Ann / ACME / garlic (matrix $40): plan 10, 20 cases (M1, M2) → $400, $800;
      last cycle 99, 8, 8 → on Nov and Dec 26: 8 and 8 cases → $320, $320.
    - Bob / BRAVO / shallots (no matrix, list $30): plan 5 x 12 at $32 → $160 a month,
      complete; last cycle 0, 1 → 1 case in Nov at $30.
    Budget: Ann, ACME, Nov 2026: 12 cases, $500. Sales: ACME garlic 2025-11 6 cases $240,
    2026-05 3 cases $120, 2026-10 7 cases $280; BRAVO shallots 2025-11 100 cases $3,000.
    Baselines: ACME garlic 11 a month, BRAVO shallots 50 a month."""
    ann = make_user("sales_rep", full_name="Ann Alpha")
    bob = make_user("sales_rep", full_name="Bob Bravo")
    acme = make_customer(ann, sop_name="ACME FOODS", code="ACME-1")
    calm = make_customer(ann, sop_name="CALM FOODS", code="CALM-1")
    bravo = make_customer(bob, sop_name="BRAVO MARKETS", code="BRAVO-1")
    garlic = make_product("110001", "Peeled Garlic", list_price=50.0)
    shallot = make_product("110002", "Diced Shallots", list_price=30.0)
    make_price(acme, garlic, 40.0)
    last = make_cycle("2026-10", status="closed")
    cycle = make_cycle("2026-11")
    make_line(cycle, ann, acme, garlic, qty=[10, 20])
    make_line(cycle, bob, bravo, shallot, qty=[5] * 12, price=[32.0])
    make_line(last, ann, acme, garlic, qty=[99, 8, 8])
    make_line(last, bob, bravo, shallot, qty=[0, 1])
    BudgetEntry(rep=ann, sop_name="ACME FOODS", sop_name_key="acme foods", customer=acme,
                year=2026, month=11, cases=12, sales=500).save()
    SalesHistory(customer=acme, product=garlic, months=[
        SalesMonth(month="2025-11", quantity=6, sales=240),
        SalesMonth(month="2026-05", quantity=3, sales=120),
        SalesMonth(month="2026-10", quantity=7, sales=280)]).save()
    SalesHistory(customer=bravo, product=shallot, months=[
        SalesMonth(month="2025-11", quantity=100, sales=3000)]).save()
    BaselineLine(cycle=cycle, customer=acme, product=garlic, qty=[11.0] * 16,
                 method="theta").save()
    BaselineLine(cycle=cycle, customer=bravo, product=shallot, qty=[50.0] * 16,
                 method="theta").save()
    return {"ann": ann, "bob": bob, "cycle": cycle, "calm": calm}


def table_row(html: str, table_id: str, month: str) -> list[str]:
    table = html[html.index(f'id="{table_id}"'):]
    table = table[:table.index("</table>")]
    row = re.search(rf'<th scope="row">{month}</th>(.*?)</tr>', table).group(1)
    return re.findall(r'<td class="num">([^<]*)</td>', row)


def section(html: str, section_id: str) -> str:
    start = html.index(f'id="{section_id}"')
    return html[start:html.index("</section>", start)]


def test_the_manager_sees_plan_budget_last_cycle_and_actuals_by_month(client, login_as,
                                                                      company):
    login_as("manager")
    html = client.get("/dashboard/figures").get_data(as_text=True)
    assert '<svg viewBox="0 0 720 220" role="img" class="line-chart"' in html
    table = "company-by-month-table"
    #             Plan    Budget   Last cycle (Oct 2026)   Actuals
    assert table_row(html, table, "May 26") == ["—", "—", "—", "$120"]
    assert table_row(html, table, "Jun 26") == ["—", "—", "—", "$0"]  # sold later: a zero
    assert table_row(html, table, "Oct 26") == ["—", "—", "—", "$280"]
    assert table_row(html, table, "Nov 26") == ["$560", "$500", "$350", "—"]  # not sold yet
    assert table_row(html, table, "Dec 26") == ["$960", "—", "$320", "—"]
    assert table_row(html, table, "Oct 27") == ["$160", "—", "$0", "—"]
    assert "Last cycle (Oct 2026)" in html


def test_the_manager_sees_progress_by_rep_and_the_biggest_changes(client, login_as, company):
    login_as("admin")
    html = client.get("/dashboard/figures").get_data(as_text=True)
    progress = section(html, "progress-by-rep")
    assert re.search(r"Ann Alpha</th>\s*<td[^>]*>Not submitted</td>\s*<td class=\"num\">1</td>"
                     r"\s*<td class=\"num\">0 \(0 %\)</td>", progress)  # M3-M12 blank
    assert re.search(r"Bob Bravo</th>\s*<td[^>]*>Not submitted</td>\s*<td class=\"num\">1</td>"
                     r"\s*<td class=\"num\">1 \(100 %\)</td>", progress)
    changes = section(html, "biggest-changes")
    customers = changes[changes.index("<caption>Customers</caption>"):
                        changes.index("<caption>Items</caption>")]
    # BRAVO: 12 x $160 = $1,920 against $30; ACME: $1,200 against 16 x $40 = $640.
    assert customers.index("BRAVO MARKETS") < customers.index("ACME FOODS")
    assert re.search(r"BRAVO MARKETS.*?\$1,920</td><td class=\"num\">\$30</td>\s*"
                     r"<td class=\"num\">\+\$1,890</td>\s*<td class=\"num\">\+6300 %</td>",
                     customers, re.S)
    assert re.search(r"ACME FOODS.*?\$1,200</td><td class=\"num\">\$640</td>\s*"
                     r"<td class=\"num\">\+\$560</td>\s*<td class=\"num\">\+88 %</td>",
                     customers, re.S)
    items = changes[changes.index("<caption>Items</caption>"):]
    assert items.index("Diced Shallots") < items.index("Peeled Garlic")
    assert "Reports come with the next release" not in html


def test_a_rep_sees_own_plan_against_last_year_and_baseline_only(client, login, company):
    login(company["ann"])
    html = client.get("/dashboard/figures").get_data(as_text=True)
    table = "rep-by-month-table"
    #              My plan  Same month last year  Baseline
    assert table_row(html, table, "Nov 26") == ["10", "6", "11"]  # not BRAVO's 100 / 50
    assert table_row(html, table, "Dec 26") == ["20", "0", "11"]
    assert table_row(html, table, "May 27") == ["0", "3", "11"]
    assert table_row(html, table, "Oct 27") == ["0", "7", "11"]
    assert table_row(html, table, "Feb 28") == ["0", "—", "11"]  # no sale that late yet
    unplanned = section(html, "not-planned")
    assert "CALM FOODS" in unplanned and "ACME FOODS" not in unplanned
    assert "BRAVO" not in html and "Bob Bravo" not in html
    assert "progress-by-rep" not in html and "biggest-changes" not in html
    assert "Reports come with the next release" not in html


def test_without_an_earlier_cycle_the_comparison_says_so(client, login_as, make_user,
                                                         make_customer, make_product,
                                                         make_cycle, make_line):
    rep = make_user("sales_rep", full_name="Ann Alpha")
    cycle = make_cycle("2026-11")
    make_line(cycle, rep, make_customer(rep, sop_name="ACME FOODS"),
              make_product(list_price=10.0), qty=[3])
    login_as("manager")
    html = client.get("/dashboard/figures").get_data(as_text=True)
    assert "there is no earlier cycle to compare with" in html
    assert table_row(html, "company-by-month-table", "Nov 26") == ["$30", "—", "—", "—"]


def test_the_figures_follow_a_change_of_the_plan(client, login, company):
    login(company["ann"])
    assert table_row(client.get("/dashboard/figures").get_data(as_text=True), "rep-by-month-table",
                     "Nov 26")[0] == "10"
    line = ForecastLine.objects(cycle=company["cycle"], rep=company["ann"]).get()
    line.qty = [25.0, *line.qty[1:]]
    line.save()
    assert table_row(client.get("/dashboard/figures").get_data(as_text=True), "rep-by-month-table",
                     "Nov 26") == ["25", "6", "11"]


def test_the_dashboard_loads_its_figures_and_accuracy_once_shown(client, login, company):
    login(company["ann"])
    html = client.get("/").get_data(as_text=True)
    assert re.search(r'<div id="dashboard-figures" hx-get="/dashboard/figures" '
                     r'hx-trigger="load" hx-swap="outerHTML">', html)
    assert 'hx-get="/dashboard/accuracy" hx-trigger="load"' in html
    assert "Reports come with the next release" not in html
    fragment = client.get("/dashboard/figures", headers={"HX-Request": "true"}).get_data(
        as_text=True)
    assert fragment.lstrip().startswith('<div id="dashboard-figures">')
    assert "<html" not in fragment and 'id="rep-by-month-table"' in fragment
