"""Golden figures of the report types B (sales vs forecast; customer, product and territory
performance) on a small data set built here. Every expected figure is worked out by hand in
the comments, never by calling the code under test.

The data (cycle Nov 2025 planning 2025-11.., closed; the range asked for is 2025-11..2026-02,
across the year end):

Forecast lines (cases for Nov, Dec, Jan, Feb; effective price → $):
  L1 Rep A  ALPHA (North)  item 1  10 20 30 40 at 5 5 6 6 (6 entered in Jan)  $ 50 100 180 240
  L2 Rep A  ALPHA          item 3   4  4  4  4 at 7.5 (no price: matrix)       $ 30 each
  L3 Rep A  BRAVO (South)  item 2   0  0  5  0 at 10                            $  0 0 50 0
  L4 Rep B  CHARLIE (North) item 1  8  8  8  8 at 2.5                          $ 20 each
Sales (cases/$):
  ALPHA item 1    Nov 12/60  Dec 15/75  Jan 30/180 (GP 45)  Feb 50/300 (GP 90)
                  outside: 2025-10 99/999, 2026-03 7/35; a year before: 2024-12 10/40 (GP 10),
                  2025-02 5/20; outside that too: 2024-10 1/1, 2025-03 1/1
  BRAVO item 2    Dec 3/30  Jan 5/50  (stored before fingerprints existed)
  CHARLIE item 1  Nov 8/20  Feb 6/15
  CHARLIE item 4  a year before only: 2025-01 4/40
Item 3 has a forecast and no sales. Budget: ALPHA Nov 2025 20/100, Feb 2026 30/200, Mar 2026
99/999 (outside); CHARLIE Jan 2026 10/25; an unmatched S&OP name of Rep A Dec 2025 500/5000.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from sop.clock import now
from sop.db import raw_collection
from sop.models import BudgetEntry, SalesHistory
from sop.models.sales import SalesMonth
from sop.reports.registry import REPORT_TYPES, ReportContext, ReportFilters

RANGE = {"month_from": "2025-11", "month_to": "2026-02"}
CASES, MONEY, PERCENT, MONTH = "#,##0", '"$"#,##0.00', "0.0%", "mmm-yy"


@pytest.fixture
def company(app_context, make_user, make_customer, make_product, make_price, make_cycle,
            make_line) -> dict[str, Any]:
    from sop.cycles.snapshot import freeze_snapshot

    rep_a = make_user("sales_rep", full_name="Rep A")
    rep_b = make_user("sales_rep", full_name="Rep B")
    alpha = make_customer(rep_a, code="ALPHA-1", sop_name="ALPHA", territory="North")
    bravo = make_customer(rep_a, code="BRAVO-1", sop_name="BRAVO", territory="South")
    charlie = make_customer(rep_b, code="CHARLIE-1", sop_name="CHARLIE", territory="North")
    item1 = make_product("110001", "Garlic peeled", group_description="Group 1-1",
                         category="G01 - Garlic Production")
    item2 = make_product("110002", "Shallot diced", group_description="Group 1-2",
                         category="G03 - Ready to Use")
    item3 = make_product("110003", "Ginger paste", group_description="Group 1-2",
                         category="G03 - Ready to Use")
    item4 = make_product("110004", "Garlic whole", group_description="Group 1-1",
                         category="G01 - Garlic Production")
    make_price(alpha, item3, 7.5)
    cycle = make_cycle("2025-11", status="open")
    make_line(cycle, rep_a, alpha, item1, qty=[10, 20, 30, 40], price=[5, None, 6, None])
    make_line(cycle, rep_a, alpha, item3, qty=[4, 4, 4, 4])
    make_line(cycle, rep_a, bravo, item2, qty=[0, 0, 5, 0], price=[10])
    make_line(cycle, rep_b, charlie, item1, qty=[8, 8, 8, 8], price=[2.5])
    freeze_snapshot(cycle, now())
    cycle.status = "closed"
    cycle.save()

    def sales(customer, product, *months) -> None:
        SalesHistory(customer=customer, product=product, months=[
            SalesMonth(month=m, quantity=q, sales=s, gross_profit=gp) for m, q, s, gp in months
        ]).save()

    sales(alpha, item1, ("2024-10", 1, 1, None), ("2024-12", 10, 40, 10), ("2025-02", 5, 20, None),
          ("2025-03", 1, 1, None), ("2025-10", 99, 999, None), ("2025-11", 12, 60, None),
          ("2025-12", 15, 75, None), ("2026-01", 30, 180, 45), ("2026-02", 50, 300, 90),
          ("2026-03", 7, 35, None))
    raw_collection(SalesHistory).insert_one({  # no fingerprint: written before they existed
        "customer": bravo.pk, "product": item2.pk, "months": [
            {"month": "2025-12", "quantity": 3.0, "sales": 30.0},
            {"month": "2026-01", "quantity": 5.0, "sales": 50.0}]})
    sales(charlie, item1, ("2025-11", 8, 20, None), ("2026-02", 6, 15, None))
    sales(charlie, item4, ("2025-01", 4, 40, None))
    for rep, name, customer, year, month, cases, dollars in (
            (rep_a, "ALPHA", alpha, 2025, 11, 20, 100), (rep_a, "ALPHA", alpha, 2026, 2, 30, 200),
            (rep_a, "ALPHA", alpha, 2026, 3, 99, 999), (rep_b, "CHARLIE", charlie, 2026, 1, 10, 25),
            (rep_a, "UNKNOWN", None, 2025, 12, 500, 5000)):
        BudgetEntry(rep=rep, sop_name=name, sop_name_key=name.lower(), customer=customer,
                    year=year, month=month, cases=cases, sales=dollars).save()
    return {"admin": make_user("admin", full_name="Ada Admin"),
            "manager": make_user("manager", full_name="Max Manager"), "rep_a": rep_a,
            "rep_b": rep_b, "alpha": alpha, "bravo": bravo, "charlie": charlie,
            "item1": item1, "item2": item2, "item3": item3, "item4": item4, "cycle": cycle}


def build(kind: str, viewer, tmp_path: Path, **filters: str):
    """Build the report as the worker does; the workbook and the progress calls."""
    report_filters = ReportFilters(**filters)
    assert REPORT_TYPES[kind].validate(report_filters) == []
    calls: list[tuple] = []
    path = tmp_path / f"{kind}.xlsx"
    REPORT_TYPES[kind].build(ReportContext(report_filters, viewer, path,
                                           lambda *args: calls.append(args),
                                           datetime(2026, 11, 24, 17, 0)))
    return load_workbook(path), calls


def table(workbook, title: str) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    """The data rows of a sheet as {header: cell} and its totals row (None when absent)."""
    rows = list(workbook[title].iter_rows())
    start = next(i for i, row in enumerate(rows) if sum(c.value is not None for c in row) > 1)
    headers = [cell.value for cell in rows[start]]
    data, total = [], None
    for row in rows[start + 1:]:
        if row[0].value is None and all(c.value is None for c in row):
            continue
        record = dict(zip(headers, row, strict=False))
        if row[0].value == "Total":
            total = record
        elif sum(c.value is not None for c in row) > 1:
            data.append(record)
    return data, total


def values(record: dict[str, Any], *headers: str) -> list[Any]:
    return [record[header].value for header in headers]


def by(rows: list[dict[str, Any]], header: str) -> dict[Any, dict[str, Any]]:
    return {row[header].value: row for row in rows}


ACTUALS = ("Actual cases", "Forecast cases", "Variance cases", "Variance % cases",
           "Abs. error cases", "WMAPE cases", "Bias cases", "Actual $", "Forecast $",
           "Variance $", "Variance % $", "Abs. error $", "WMAPE $", "Bias $")


# --- sales vs forecast --------------------------------------------------------------------

def test_sales_vs_forecast_by_month_across_the_year_end(company, tmp_path):
    workbook, calls = build("sales_vs_forecast", company["admin"], tmp_path,
                            cycle=str(company["cycle"].pk), **RANGE)
    assert calls, "the builder reports its progress"
    assert workbook.sheetnames == ["By month", "By customer", "By item", "By rep", "About"]
    months, total = table(workbook, "By month")
    # exactly Nov, Dec, Jan, Feb: not Oct 2025 nor Mar 2026 (sales exist in both)
    assert [row["Month"].value for row in months] == [
        datetime(2025, 11, 1), datetime(2025, 12, 1), datetime(2026, 1, 1), datetime(2026, 2, 1)]
    nov, dec, jan, feb = months
    # Nov: actual 12 + 8 = 20 cases, 60 + 20 = $80; forecast 10 + 4 + 0 + 8 = 22, $50+30+20 = 100
    # abs. error |12-10| + |0-4| + |8-8| = 6 cases; $ |60-50| + |0-30| + 0 = 40
    assert values(nov, *ACTUALS) == pytest.approx([
        20, 22, -2, -2 / 22, 6, 6 / 20, 2 / 20, 80, 100, -20, -20 / 100, 40, 40 / 80, 20 / 80])
    # Dec: actual 15 + 3 = 18, $75 + 30 = 105; forecast 20 + 4 + 0 + 8 = 32, $100+30+0+20 = 150
    # errors 5 + 4 + 3 + 8 = 20 cases; $25 + 30 + 30 + 20 = 105
    assert values(dec, *ACTUALS) == pytest.approx([
        18, 32, -14, -14 / 32, 20, 20 / 18, 14 / 18, 105, 150, -45, -45 / 150, 105, 105 / 105,
        45 / 105])
    # Jan: actual 30 + 5 = 35, $180 + 50 = 230; forecast 30 + 4 + 5 + 8 = 47, $180+30+50+20 = 280
    assert values(jan, *ACTUALS) == pytest.approx([
        35, 47, -12, -12 / 47, 12, 12 / 35, 12 / 35, 230, 280, -50, -50 / 280, 50, 50 / 230,
        50 / 230])
    # Feb: actual 50 + 6 = 56, $300 + 15 = 315; forecast 40 + 4 + 8 = 52, $240 + 30 + 20 = 290
    # errors 10 + 4 + 2 = 16 cases; $60 + 30 + 5 = 95
    assert values(feb, *ACTUALS) == pytest.approx([
        56, 52, 4, 4 / 52, 16, 16 / 56, -4 / 56, 315, 290, 25, 25 / 290, 95, 95 / 315,
        -25 / 315])
    # Total: 129 actual, 153 forecast cases; $730 vs $820; errors 54 cases, $290
    assert values(total, *ACTUALS) == pytest.approx([
        129, 153, -24, -24 / 153, 54, 54 / 129, 24 / 129, 730, 820, -90, -90 / 820, 290,
        290 / 730, 90 / 730])
    about = [row[0].value for row in workbook["About"].iter_rows()]
    assert any("positive = over-forecast" in (line or "") for line in about)
    assert any((line or "").startswith("Variance = actual - forecast") for line in about)


def test_sales_vs_forecast_views_item_without_sales_and_zero_forecast(company, tmp_path):
    admin = company["manager"]
    workbook, _ = build("sales_vs_forecast", admin, tmp_path, cycle=str(company["cycle"].pk),
                        **RANGE)
    items, total = table(workbook, "By item")
    items = by(items, "Item code")
    assert set(items) == {"110001", "110002", "110003"}  # item 4 sold only a year before
    # item 3: forecast 4 x 4 = 16 cases at 7.5 = $120, never sold: variance -16 (-100 %),
    # WMAPE and bias blank (nothing sold)
    assert values(items["110003"], *ACTUALS) == pytest.approx([
        0, 16, -16, -1.0, 16, None, None, 0, 120, -120, -1.0, 120, None, None])
    assert values(items["110003"], "Group", "Category") == ["Group 1-2", "G03 - Ready to Use"]
    # item 2 (BRAVO): sold 3 in Dec with no forecast, 5 in Jan as forecast:
    # variance +3 (sold more than planned), 3 / 5 = 60 %; abs. error 3
    assert values(items["110002"], *ACTUALS[:7]) == pytest.approx([8, 5, 3, 0.6, 3, 3 / 8,
                                                                   -3 / 8])
    customers, _ = table(workbook, "By customer")
    customers = by(customers, "Customer code")
    assert values(customers["BRAVO-1"], "Customer S&OP", "Rep", "Territory") == [
        "BRAVO", "Rep A", "South"]
    # ALPHA: items 1 and 3: actual 107 cases $615; forecast 100 + 16 = 116, $570 + $120 = $690
    # errors item 1: 2 + 5 + 0 + 10 = 17, item 3: 16 → 33 cases; $10+25+0+60 + 120 = 215
    assert values(customers["ALPHA-1"], *ACTUALS) == pytest.approx([
        107, 116, -9, -9 / 116, 33, 33 / 107, 9 / 107, 615, 690, -75, -75 / 690, 215,
        215 / 615, 75 / 615])
    reps, rep_total = table(workbook, "By rep")
    reps = by(reps, "Rep")
    # Rep B (CHARLIE): actual 8 + 6 = 14 cases $35; forecast 32 cases $80
    assert values(reps["Rep B"], *ACTUALS[:3], "Actual $", "Forecast $") == pytest.approx(
        [14, 32, -18, 35, 80])
    assert values(rep_total, *ACTUALS) == values(total, *ACTUALS)


def test_sales_vs_forecast_cells_are_typed_numbers(company, tmp_path):
    workbook, _ = build("sales_vs_forecast", company["rep_a"], tmp_path,
                        cycle=str(company["cycle"].pk), **RANGE)
    months, total = table(workbook, "By month")
    first = months[0]
    assert first["Month"].is_date and first["Month"].number_format == MONTH
    for header, number_format in (("Actual cases", CASES), ("Forecast $", MONEY),
                                  ("Variance % $", PERCENT), ("WMAPE cases", PERCENT),
                                  ("Abs. error $", MONEY)):
        assert first[header].data_type == "n", header
        assert isinstance(first[header].value, int | float), header
        assert first[header].number_format == number_format, header
    assert total["Actual $"].font.bold and total["Actual $"].number_format == MONEY


def test_sales_vs_forecast_default_months_are_the_cycles_months_with_sales(company, tmp_path):
    workbook, _ = build("sales_vs_forecast", company["rep_a"], tmp_path,
                        cycle=str(company["cycle"].pk))
    months, total = table(workbook, "By month")
    # ALPHA item 1 sold in Mar 2026 (7 cases, $35, no forecast that month): Nov..Mar
    assert [row["Month"].value.strftime("%Y-%m") for row in months] == [
        "2025-11", "2025-12", "2026-01", "2026-02", "2026-03"]
    # Rep A's own: 107 + 8 (BRAVO) + 7 = 122 cases; forecast 100 + 16 + 5 = 121
    assert values(months[-1], "Actual cases", "Forecast cases", "Variance % cases") == [
        7, 0, None]
    assert values(total, "Actual cases", "Forecast cases") == pytest.approx([122, 121])


def test_sales_vs_forecast_is_scoped_to_the_rep(company, tmp_path):
    rep_b = company["rep_b"]
    workbook, _ = build("sales_vs_forecast", rep_b, tmp_path, cycle=str(company["cycle"].pk),
                        **RANGE)
    customers, total = table(workbook, "By customer")
    assert [row["Customer code"].value for row in customers] == ["CHARLIE-1"]
    assert [row["Rep"].value for row in table(workbook, "By rep")[0]] == ["Rep B"]
    # CHARLIE: 8 forecast each month at 2.5; sold 8 in Nov and 6 in Feb
    assert values(total, "Actual cases", "Forecast cases", "Abs. error cases", "Actual $",
                  "Forecast $") == pytest.approx([14, 32, 0 + 8 + 8 + 2, 35, 80])
    # naming another rep in the filter does not widen a rep's scope: nothing at all
    other, _ = build("sales_vs_forecast", rep_b, tmp_path, cycle=str(company["cycle"].pk),
                     rep=str(company["rep_a"].pk), **RANGE)
    for title in ("By customer", "By item", "By rep"):
        rows, _ = table(other, title)
        assert rows == [], title
    assert values(table(other, "By month")[1], "Actual cases", "Forecast cases") == [0, 0]


def test_sales_vs_forecast_filters_territory_and_item(company, tmp_path):
    admin = company["admin"]
    workbook, _ = build("sales_vs_forecast", admin, tmp_path, cycle=str(company["cycle"].pk),
                        territory="North", item=str(company["item1"].pk), **RANGE)
    customers, total = table(workbook, "By customer")
    assert sorted(row["Customer code"].value for row in customers) == ["ALPHA-1", "CHARLIE-1"]
    # item 1 only: ALPHA 107 + CHARLIE 14 = 121 actual; forecast 100 + 32 = 132
    assert values(total, "Actual cases", "Forecast cases") == pytest.approx([121, 132])


def test_sales_vs_forecast_needs_a_closed_cycle(company, make_cycle):
    open_cycle = make_cycle("2026-11", status="open")
    errors = REPORT_TYPES["sales_vs_forecast"].validate(ReportFilters(cycle=str(open_cycle.pk)))
    assert errors == ["Cycle Nov 2026 is open: sales are compared with a closed cycle's frozen "
                      "forecast."]
    assert REPORT_TYPES["sales_vs_forecast"].validate(ReportFilters()) == ["Choose cycle."]


# --- performance ----------------------------------------------------------------------------

PERFORMANCE = ("Cases", "Cases year before", "Cases change", "Cases change %", "Sales $",
               "Sales $ year before", "Sales $ change", "Sales $ change %", "GP $",
               "GP $ year before", "GP %")
BUDGET = ("Budget cases", "Cases vs budget", "Budget $", "Sales $ vs budget",
          "Sales $ vs budget %")


def test_customer_performance(company, tmp_path):
    admin = company["admin"]
    workbook, calls = build("customer_performance", admin, tmp_path, **RANGE)
    assert calls
    rows, total = table(workbook, "By customer")
    assert [row["Customer code"].value for row in rows] == ["ALPHA-1", "BRAVO-1", "CHARLIE-1"]
    assert [row["Rank"].value for row in rows] == [1, 2, 3]  # $615, $80, $35
    alpha, bravo, charlie = rows
    # ALPHA: 12+15+30+50 = 107 cases, $615, GP 45 + 90 = 135; a year before (Nov 2024..Feb
    # 2025): 10 + 5 = 15 cases, $60, GP 10. Budget Nov 20/$100 + Feb 30/$200 (not Mar).
    assert values(alpha, *PERFORMANCE, *BUDGET, "Share of sales $", "Items") == pytest.approx([
        107, 15, 92, 92 / 15, 615, 60, 555, 555 / 60, 135, 10, 135 / 615,
        50, 57, 300, 315, 315 / 300, 615 / 730, 1])
    assert values(alpha, "Customer S&OP", "Rep", "Territory") == ["ALPHA", "Rep A", "North"]
    # BRAVO: 8 cases $80, nothing a year before (change % blank), no GP, no budget
    assert values(bravo, *PERFORMANCE, *BUDGET) == pytest.approx([
        8, 0, 8, None, 80, 0, 80, None, None, None, None, 0, 8, 0, 80, None])
    # CHARLIE: 14 cases $35 against item 4's 4 cases $40 a year before; budget Jan 10/$25
    assert values(charlie, *PERFORMANCE, *BUDGET) == pytest.approx([
        14, 4, 10, 2.5, 35, 40, -5, -5 / 40, None, None, None, 10, 4, 25, 10, 10 / 25])
    # the unmatched budget (Rep A's UNKNOWN) is left out: budget 60 cases, $325
    assert values(total, *PERFORMANCE, *BUDGET, "Share of sales $") == pytest.approx([
        129, 19, 110, 110 / 19, 730, 100, 630, 6.3, 135, 10, 135 / 730,
        60, 69, 325, 405, 405 / 325, 1.0])
    assert alpha["Sales $"].number_format == MONEY and alpha["Cases"].number_format == CASES
    assert alpha["Share of sales $"].number_format == PERCENT


def test_customer_performance_rep_scope_and_item_filter(company, tmp_path):
    workbook, _ = build("customer_performance", company["rep_b"], tmp_path,
                        rep=str(company["rep_a"].pk), **RANGE)
    assert table(workbook, "By customer")[0] == []
    workbook, _ = build("customer_performance", company["rep_b"], tmp_path, **RANGE)
    rows, total = table(workbook, "By customer")
    assert [row["Customer code"].value for row in rows] == ["CHARLIE-1"]
    assert values(total, "Sales $", "Budget $", "Share of sales $") == pytest.approx(
        [35, 25, 1.0])
    # an item filter: budget is per customer, so no budget columns
    workbook, _ = build("customer_performance", company["rep_a"], tmp_path,
                        item=str(company["item1"].pk), **RANGE)
    rows, total = table(workbook, "By customer")
    assert [row["Customer code"].value for row in rows] == ["ALPHA-1"]
    assert "Budget $" not in rows[0]
    assert values(total, "Cases", "Sales $") == pytest.approx([107, 615])


def test_product_performance(company, tmp_path):
    admin = company["manager"]
    workbook, _ = build("product_performance", admin, tmp_path, **RANGE)
    assert workbook.sheetnames == ["By item", "By group", "By category", "About"]
    items, total = table(workbook, "By item")
    # item 1: ALPHA 107/$615 + CHARLIE 14/$35 = 121 cases, $650; a year before 15/$60
    # item 2: 8/$80; item 4: nothing now, 4/$40 a year before; item 3 never sold: absent
    assert [row["Item code"].value for row in items] == ["110001", "110002", "110004"]
    item1, _, item4 = items
    assert values(item1, "Rank", "Customers", *PERFORMANCE, "Share of sales $") == pytest.approx(
        [1, 2, 121, 15, 106, 106 / 15, 650, 60, 590, 590 / 60, 135, 10, 135 / 650, 650 / 730])
    assert values(item4, "Rank", "Customers", "Cases", "Cases change", "Cases change %",
                  "Sales $ change", "Share of sales $") == pytest.approx(
        [3, 0, 0, -4, -1.0, -40, 0])
    assert "Budget $" not in item1
    assert values(total, "Cases", "Sales $", "Cases year before", "Customers") == pytest.approx(
        [129, 730, 19, 3])
    groups, _ = table(workbook, "By group")
    groups = by(groups, "Group")
    # Group 1-1 = items 1 and 4: 121 cases $650, a year before 19 / $100; bought: item 1 only
    assert values(groups["Group 1-1"], "Items", "Customers", "Cases", "Cases year before",
                  "Sales $", "Sales $ year before") == pytest.approx([1, 2, 121, 19, 650, 100])
    categories, _ = table(workbook, "By category")
    assert values(by(categories, "Category")["G03 - Ready to Use"], "Cases", "Sales $") == \
        pytest.approx([8, 80])


def test_territory_performance(company, tmp_path):
    admin = company["admin"]
    workbook, _ = build("territory_performance", admin, tmp_path, **RANGE)
    territories, total = table(workbook, "By territory")
    territories = by(territories, "Territory")
    # North = ALPHA + CHARLIE: 121 cases $650, year before 19 / $100, budget 60 / $325
    assert values(territories["North"], "Rank", "Customers", "Cases", "Cases year before",
                  "Sales $", "Sales $ year before", "Budget cases", "Budget $",
                  "Share of sales $") == pytest.approx(
        [1, 2, 121, 19, 650, 100, 60, 325, 650 / 730])
    assert values(territories["South"], "Rank", "Cases", "Sales $", "Budget $") == \
        pytest.approx([2, 8, 80, 0])
    assert values(total, "Sales $", "Budget $") == pytest.approx([730, 325])
    pairs, _ = table(workbook, "By territory and rep")
    found = {(row["Territory"].value, row["Rep"].value): row for row in pairs}
    assert set(found) == {("North", "Rep A"), ("North", "Rep B"), ("South", "Rep A")}
    assert values(found[("North", "Rep B")], "Cases", "Sales $", "Budget $") == \
        pytest.approx([14, 35, 25])


def test_territory_performance_is_scoped_to_the_rep(company, tmp_path):
    workbook, _ = build("territory_performance", company["rep_b"], tmp_path, **RANGE)
    territories, total = table(workbook, "By territory")
    assert [row["Territory"].value for row in territories] == ["North"]
    assert values(total, "Cases", "Sales $", "Share of sales $") == pytest.approx([14, 35, 1.0])


def test_sales_vs_forecast_end_to_end_through_the_report_worker(company, run_jobs):
    """Requested like the reports page does, built by the reports worker, read back from its
    stored file: the rep's own figures only."""
    from io import BytesIO

    from sop.reports.services import open_report_file, request_report

    rep_a = company["rep_a"]
    report = request_report(rep_a, "sales_vs_forecast",
                            ReportFilters(cycle=str(company["cycle"].pk), **RANGE))
    run_jobs("reports")
    report.reload()
    assert report.status == "done", report.error
    stored = open_report_file(rep_a, report)
    workbook = load_workbook(BytesIO(stored.read()))
    customers, total = table(workbook, "By customer")
    assert sorted(row["Customer code"].value for row in customers) == ["ALPHA-1", "BRAVO-1"]
    # Rep A: ALPHA 107 + BRAVO 8 = 115 cases, $695; forecast 116 + 5 = 121 cases, $740
    assert values(total, "Actual cases", "Forecast cases", "Actual $", "Forecast $") == \
        pytest.approx([115, 121, 695, 740])


def test_equal_sales_share_a_rank_and_customers_without_sales_are_left_out(company,
                                                                        make_customer,
                                                                        tmp_path):
    delta = make_customer(company["rep_b"], code="DELTA-1", sop_name="DELTA", territory="East")
    SalesHistory(customer=delta, product=company["item2"], months=[
        SalesMonth(month="2025-11", quantity=2, sales=80)]).save()
    echo = make_customer(company["rep_b"], code="ECHO-1", sop_name="ECHO", territory="East")
    SalesHistory(customer=echo, product=company["item2"], months=[  # neither period
        SalesMonth(month="2023-12", quantity=2, sales=80)]).save()
    workbook, _ = build("customer_performance", company["admin"], tmp_path, **RANGE)
    rows, _ = table(workbook, "By customer")
    # ALPHA $615; BRAVO and DELTA $80 each; CHARLIE $35
    assert [values(row, "Rank", "Customer code") for row in rows] == [
        [1, "ALPHA-1"], [2, "BRAVO-1"], [2, "DELTA-1"], [4, "CHARLIE-1"]]


def test_customer_and_group_filters(company, tmp_path):
    admin = company["admin"]
    workbook, _ = build("sales_vs_forecast", admin, tmp_path, cycle=str(company["cycle"].pk),
                        group="Group 1-2", **RANGE)
    items, total = table(workbook, "By item")
    # Group 1-2 = items 2 (BRAVO: 8 sold, 5 forecast) and 3 (ALPHA: 16 forecast, none sold)
    assert sorted(row["Item code"].value for row in items) == ["110002", "110003"]
    assert values(total, "Actual cases", "Forecast cases", "Actual $", "Forecast $") == \
        pytest.approx([8, 21, 80, 170])
    workbook, _ = build("product_performance", admin, tmp_path,
                        customer=str(company["charlie"].pk), **RANGE)
    items, total = table(workbook, "By item")
    # CHARLIE: item 1 14 cases $35 (nothing a year before); item 4 4 cases $40 a year before
    assert [values(row, "Item code", "Cases", "Cases year before") for row in items] == [
        ["110001", 14, 0], ["110004", 0, 4]]
    assert values(total, "Sales $", "Sales $ year before") == pytest.approx([35, 40])
