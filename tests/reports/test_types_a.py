"""Golden figures of the report types A (consolidated plan, forecast summary, submission status,
sales summary) on a small company built here; every expected number is worked out by hand in
the comments, never by calling the code under test.

The company: reps Ann Lee (customers ACME, North, and "=BAYOU", South) and Bo Diaz (CEDAR,
North); items 110001 Garlic (group G1, list $2) and 220002 Shallots (G2, list $5); matrix
prices ACME x Garlic $3, CEDAR x Shallots $0 (so the list price applies).
Cycle Nov 2026 (open, M1 = Nov 2026, 16 months, 12 mandatory):
- Ann, ACME, Garlic: 10 cases M1-M12, 5 M13-M16, no price -> matrix $3: M1-M12 120 cases $360
- Ann, =BAYOU, Shallots: 4, blank, 6, then 0 to M12; prices 10, -, 12 -> effective 10,10,12..:
  M1-M12 10 cases, $40 + $72 = $112; M2 blank = one blank mandatory cell
- Bo, CEDAR, Shallots: 100 every month, no price -> list $5: M1-M12 1,200 cases, $6,000
Previous cycle Oct 2026 (closed through the service, so it has its snapshot; M1 = Oct 2026):
- Ann, ACME, Garlic: 7 a month at $2 -> Nov 26..Oct 27 (its M2..M13): 84 cases, $168
- Bo, CEDAR, Shallots: 50 a month, list $5 -> 600 cases, $3,000
Budget: Ann/ACME Nov 26 100 cases $300; Ann/"GHOST" (no customer) Dec 26 5 cases $50;
Bo/CEDAR Oct 27 1,000 cases $5,000; Bo/CEDAR Nov 27 (outside M1-M12) 999 cases $999.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

import sop.reports  # noqa: F401  (registers the types)
from sop.cycles.states import close_cycle
from sop.db import raw_collection
from sop.models import (
    BaselineLine,
    BudgetEntry,
    PriceEntry,
    SalesHistory,
    SalesMonth,
    name_key,
)
from sop.reports.registry import REPORT_TYPES, ReportContext, ReportFilters
from sop.submissions.services import reject_submission, submit_plan

MONEY = '"$"#,##0.00'
CASES = "#,##0"


@pytest.fixture
def company(app_context, make_user, make_customer, make_product, make_price, make_cycle,
            make_line) -> dict[str, Any]:
    admin = make_user("admin", full_name="Ada Admin")
    ann = make_user("sales_rep", full_name="Ann Lee")
    bo = make_user("sales_rep", full_name="Bo Diaz")
    acme = make_customer(ann, code="C-ACME", sop_name="ACME", territory="North")
    bayou = make_customer(ann, code="C-BAYOU", sop_name="=BAYOU", territory="South")
    cedar = make_customer(bo, code="C-CEDAR", sop_name="CEDAR", territory="North")
    garlic = make_product("110001", "Garlic", group_description="G1", list_price=2.0)
    shallots = make_product("220002", "Shallots", group_description="G2", list_price=5.0)
    make_price(acme, garlic, 3.0)
    make_price(cedar, shallots, 0.0)

    previous = make_cycle("2026-10", status="open")
    make_line(previous, ann, acme, garlic, qty=[7.0] * 16, price=[2.0] * 16)
    make_line(previous, bo, cedar, shallots, qty=[50.0] * 16)
    close_cycle(None, previous)

    cycle = make_cycle("2026-11", status="open")
    make_line(cycle, ann, acme, garlic, qty=[10.0] * 12 + [5.0] * 4)
    make_line(cycle, ann, bayou, shallots, qty=[4.0, None, 6.0] + [0.0] * 9,
              price=[10.0, None, 12.0])
    make_line(cycle, bo, cedar, shallots, qty=[100.0] * 16)

    for rep, name, customer, year, month, cases, sales in (
            (ann, "ACME", acme, 2026, 11, 100, 300), (ann, "GHOST", None, 2026, 12, 5, 50),
            (bo, "CEDAR", cedar, 2027, 10, 1000, 5000), (bo, "CEDAR", cedar, 2027, 11, 999, 999)):
        BudgetEntry(rep=rep, sop_name=name, sop_name_key=name_key(name), customer=customer,
                    year=year, month=month, cases=cases, sales=sales).save()
    return {"admin": admin, "ann": ann, "bo": bo, "acme": acme, "bayou": bayou,
            "cedar": cedar, "garlic": garlic, "shallots": shallots, "cycle": cycle,
            "previous": previous}


def build(kind: str, viewer, tmp_path: Path, **filters: str):
    ctx = ReportContext(filters=ReportFilters(**filters), viewer=viewer,
                        path=tmp_path / f"{kind}.xlsx", progress=lambda *args: None,
                        generated_at=datetime(2026, 11, 24, 9, 0))
    REPORT_TYPES[kind].build(ctx)
    return load_workbook(ctx.path)


def table(ws, header_row: int = 6) -> dict[Any, list]:
    """Data and total rows under the header, by the first cell's value."""
    return {row[0].value: row for row in ws.iter_rows(min_row=header_row + 1)
            if row[0].value is not None}


def values(row, first: int, count: int) -> list:
    return [cell.value for cell in row[first:first + count]]


# --- consolidated plan ----------------------------------------------------------------------

def test_consolidated_lines_formats_and_pivots(company, tmp_path):
    book = build("consolidated", company["admin"], tmp_path, cycle=str(company["cycle"].pk))
    assert book.sheetnames == ["Consol", "By rep", "By group", "About"]
    consol = book["Consol"]
    assert consol["A1"].value == "Sales Rep" and consol["F1"].value == datetime(2026, 11, 1)
    assert consol["F1"].number_format == "mmm-yy"
    assert consol.auto_filter.ref == "A1:AR4"  # with the two baseline columns
    # Ann's block first; "=bayou" sorts before "acme"; Bo last
    assert [consol.cell(r, 1).value for r in (2, 3, 4)] == ["Ann Lee", "Ann Lee", "Bo Diaz"]
    bayou = [cell for cell in consol[2]]
    assert bayou[1].value == "=BAYOU" and bayou[1].data_type == "s"  # text, not a formula
    assert bayou[2].value == 220002 and bayou[3].value == "Shallots" and bayou[4].value == "G2"
    assert [c.value for c in bayou[5:9]] == [4, None, 6, None]  # blank and 0 left empty
    assert bayou[5].number_format == CASES
    assert bayou[17].value == "=SUM(F2:Q2)"
    assert [c.value for c in bayou[18:21]] == [10, 10, 12]  # effective prices
    assert bayou[18].number_format == MONEY
    assert bayou[30].value == "=S2*F2" and bayou[30].number_format == MONEY
    acme = consol[3]
    assert acme[1].value == "ACME" and acme[18].value == 3  # the matrix price
    cedar = consol[4]
    assert cedar[18].value == 5  # matrix price 0: the list price

    by_rep = book["By rep"]
    assert by_rep["A1"].value == "Consolidated plan Nov 2026"
    assert by_rep["A2"].value == "Filters: cycle Nov 2026 (2026-11)"
    rows = table(by_rep, header_row=7)
    # Ann: M1 10 + 4 = 14, M2 10, M3 16; M1-M12 130 cases; $ 360 + 112 = 472
    assert values(rows["Ann Lee"], 1, 3) == [14, 10, 16]
    assert rows["Ann Lee"][13].value == 130 and rows["Ann Lee"][26].value == 472
    assert rows["Bo Diaz"][13].value == 1200 and rows["Bo Diaz"][26].value == 6000
    assert rows["Grand Total"][13].value == 1330 and rows["Grand Total"][26].value == 6472
    assert rows["Grand Total"][26].number_format == MONEY

    by_group = table(book["By group"], header_row=7)
    # G2: Bayou 10 cases $112 + Cedar 1,200 cases $6,000
    assert by_group["G2 total"][15].value == 1210 and by_group["G2 total"][28].value == 6112
    about = [row[0].value for row in book["About"].iter_rows() if row[0].value]
    assert any("Effective price" in line for line in about)
    assert "Consol: 3 rows" in about


def test_consolidated_of_a_closed_cycle_uses_the_frozen_prices(company, tmp_path):
    close_cycle(None, company["cycle"])
    PriceEntry.objects(customer=company["acme"].pk).update(set__price=9.0)
    consol = build("consolidated", company["admin"], tmp_path,
                   cycle=str(company["cycle"].pk))["Consol"]
    assert consol["B3"].value == "ACME" and consol["S3"].value == 3  # frozen at close, not 9


def test_consolidated_baseline_columns(company, tmp_path):
    add_baselines(company)
    consol = build("consolidated", company["admin"], tmp_path,
                   cycle=str(company["cycle"].pk))["Consol"]
    assert consol["AP1"].value == datetime(2027, 10, 1)  # the sales block ends where it did
    assert (consol["AQ1"].value, consol["AR1"].value) == ("Baseline M1-M12", "Baseline method")
    # rows: =BAYOU x Shallots (no baseline: blank), ACME x Garlic 8 x 12 = 96, CEDAR x
    # Shallots 90 x 12 = 1,080 (M13-M16 left out, as TOTAL leaves them out)
    assert [consol[f"AQ{row}"].value for row in (2, 3, 4)] == [None, 96, 1080]
    assert [consol[f"AR{row}"].value for row in (2, 3, 4)] == [None, "theta", "theta"]
    assert consol["AQ3"].number_format == CASES


def test_consolidated_is_scoped_to_the_rep(company, tmp_path):
    ann, bo, cycle = company["ann"], company["bo"], str(company["cycle"].pk)
    own = build("consolidated", ann, tmp_path, cycle=cycle)["Consol"]
    assert [r[0].value for r in own.iter_rows(min_row=2)] == ["Ann Lee", "Ann Lee"]
    # a rep naming another rep gets nothing of theirs
    other = build("consolidated", ann, tmp_path, cycle=cycle, rep=str(bo.pk))["Consol"]
    assert other.max_row == 1
    north = build("consolidated", company["admin"], tmp_path, cycle=cycle,
                  territory="North")["Consol"]
    assert [r[1].value for r in north.iter_rows(min_row=2)] == ["ACME", "CEDAR"]


# --- forecast summary -----------------------------------------------------------------------

def figure(row, key_columns: int, name: str) -> Any:
    """A named figure of a summary row (16 months): Lines, cases M1..M16, cases M1-M12, $ M1..M16,
    $ M1-M12, budget cases, vs, %, budget $, vs, %, previous cases, vs, %, previous $, vs, %,
    baseline cases, vs, %, lines with a baseline."""
    names = ["lines", *[f"c{i}" for i in range(1, 17)], "cases", *[f"d{i}" for i in
                                                                   range(1, 17)],
             "dollars", "budget_cases", "cases_vs_budget", "cases_vs_budget_pct",
             "budget_dollars", "dollars_vs_budget", "dollars_vs_budget_pct", "prev_cases",
             "cases_vs_prev", "cases_vs_prev_pct", "prev_dollars", "dollars_vs_prev",
             "dollars_vs_prev_pct", "baseline_cases", "cases_vs_baseline",
             "cases_vs_baseline_pct", "baseline_lines"]
    return row[key_columns + names.index(name)].value


def test_forecast_summary_views(company, tmp_path):
    book = build("forecast_summary", company["admin"], tmp_path,
                 cycle=str(company["cycle"].pk))
    assert book.sheetnames == ["By rep", "By customer", "By group", "By territory", "By month",
                               "About"]
    reps = table(book["By rep"])
    ann, bo, total = reps["Ann Lee"], reps["Bo Diaz"], reps["Total"]
    assert figure(ann, 1, "lines") == 2
    assert [figure(ann, 1, f"c{i}") for i in (1, 2, 3, 4, 13)] == [14, 10, 16, 10, 5]
    assert figure(ann, 1, "cases") == 130 and figure(ann, 1, "dollars") == pytest.approx(472)
    assert [figure(ann, 1, f"d{i}") for i in (1, 2, 3)] == [70, 30, 102]  # 30 + 40, 30, 30 + 72
    assert figure(ann, 1, "budget_cases") == 105 and figure(ann, 1, "budget_dollars") == 350
    assert figure(ann, 1, "cases_vs_budget") == 25
    assert figure(ann, 1, "cases_vs_budget_pct") == pytest.approx(25 / 105)
    assert figure(ann, 1, "prev_cases") == 84 and figure(ann, 1, "prev_dollars") == 168
    assert figure(ann, 1, "cases_vs_prev") == 46
    assert figure(ann, 1, "cases_vs_prev_pct") == pytest.approx(46 / 84)
    assert figure(bo, 1, "cases") == 1200 and figure(bo, 1, "dollars") == 6000
    assert figure(bo, 1, "cases_vs_budget_pct") == pytest.approx(0.2)
    assert figure(bo, 1, "dollars_vs_prev_pct") == pytest.approx(1.0)  # 6,000 vs 3,000
    assert figure(total, 1, "cases") == 1330 and figure(total, 1, "budget_cases") == 1105
    assert figure(total, 1, "prev_dollars") == 3168
    assert total[0].font.bold
    assert ann[1 + 37].number_format == "0.0%"  # cases vs budget %
    assert ann[1 + 34].number_format == MONEY  # $ M1-M12

    assert book["By customer"].freeze_panes == "E7"  # code, name, territory, rep in view
    customers = {row[1].value: row for row in book["By customer"].iter_rows(min_row=7)
                 if row[1].value}
    assert customers["ACME"][0].value == "C-ACME" and customers["ACME"][2].value == "North"
    assert customers["ACME"][3].value == "Ann Lee"
    assert figure(customers["ACME"], 4, "budget_cases") == 100
    bayou = customers["=BAYOU"]
    assert bayou[1].data_type == "s" and figure(bayou, 4, "cases") == 10
    assert figure(bayou, 4, "budget_cases") == 0
    assert figure(bayou, 4, "cases_vs_budget_pct") is None  # no budget: no %
    ghost = customers["(budget not matched to a customer)"]
    assert figure(ghost, 4, "cases") == 0 and figure(ghost, 4, "budget_dollars") == 50

    territories = table(book["By territory"])
    assert figure(territories["North"], 1, "cases") == 1320
    assert figure(territories["North"], 1, "budget_cases") == 1100
    assert figure(territories["North"], 1, "prev_cases") == 684
    assert figure(territories["South"], 1, "dollars") == pytest.approx(112)

    groups = table(book["By group"])
    assert figure(groups["G1"], 1, "cases") == 120 and figure(groups["G1"], 1, "prev_cases") == 84
    assert figure(groups["G2"], 1, "dollars") == pytest.approx(6112)
    assert figure(groups["G2"], 1, "budget_cases") is None  # budget has no item

    months = table(book["By month"])
    m1, m2, m12 = months["M1"], months["M2"], months["M12"]
    assert m1[1].value == datetime(2026, 11, 1) and m1[1].number_format == "mmm-yy"
    assert values(m1, 2, 5) == [114, 570, 100, 14, pytest.approx(0.14)]
    assert values(m2, 2, 5) == [110, 530, 5, 105, pytest.approx(21.0)]
    assert m12[1].value == datetime(2027, 10, 1) and values(m12, 4, 1) == [1000]
    assert values(m1, 10, 2) == [57, 57]  # previous: Ann 7 + Bo 50; vs previous 114 - 57
    assert months["M13"][4].value is None  # no budget compared past M12
    assert values(months["M1-M12"], 2, 3) == [1330, pytest.approx(6472), 1105]
    # M13-M16: Ann 4 x 5 cases at $3, Bo 4 x 100 cases at $5
    assert values(months["M1-M16"], 2, 2) == [1330 + 20 + 400, pytest.approx(6472 + 60 + 2000)]


def test_forecast_summary_for_a_rep_holds_only_their_rows(company, tmp_path):
    ann = company["ann"]
    book = build("forecast_summary", ann, tmp_path, cycle=str(company["cycle"].pk))
    reps = table(book["By rep"])
    assert set(reps) == {"Ann Lee", "Total"}
    assert figure(reps["Total"], 1, "cases") == 130
    assert figure(reps["Total"], 1, "budget_cases") == 105
    assert figure(reps["Total"], 1, "prev_cases") == 84
    assert book["By rep"]["A3"].value == "Scope: Ann Lee (own customers only)"
    customers = {row[1].value for row in book["By customer"].iter_rows(min_row=7)}
    assert "CEDAR" not in customers
    other = build("forecast_summary", ann, tmp_path, cycle=str(company["cycle"].pk),
                  rep=str(company["bo"].pk))
    assert set(table(other["By rep"])) == {"No data matches these filters."}


def test_forecast_summary_with_an_item_filter_leaves_budget_blank(company, tmp_path):
    book = build("forecast_summary", company["admin"], tmp_path,
                 cycle=str(company["cycle"].pk), item=str(company["garlic"].pk))
    reps = table(book["By rep"])
    assert set(reps) == {"Ann Lee", "Total"}  # Bo plans no garlic
    assert figure(reps["Ann Lee"], 1, "cases") == 120
    assert figure(reps["Ann Lee"], 1, "budget_cases") is None


def add_baselines(company) -> None:
    """ACME x Garlic 8 cases a month, CEDAR x Shallots 90 a month; =BAYOU x Shallots has none.
    CEDAR x Garlic (planned by nobody) and the previous cycle's ACME x Garlic are not read."""
    cycle = company["cycle"]
    for customer, product, qty in ((company["acme"], company["garlic"], [8.0] * 16),
                                   (company["cedar"], company["shallots"], [90.0] * 16),
                                   (company["cedar"], company["garlic"], [999.0] * 16)):
        BaselineLine(cycle=cycle, customer=customer, product=product, qty=qty,
                     method="theta").save()
    BaselineLine(cycle=company["previous"], customer=company["acme"],
                 product=company["garlic"], qty=[777.0] * 16, method="naive").save()


def test_forecast_summary_baseline_columns(company, tmp_path):
    add_baselines(company)
    book = build("forecast_summary", company["admin"], tmp_path,
                 cycle=str(company["cycle"].pk))
    reps = table(book["By rep"])
    ann, bo, total = reps["Ann Lee"], reps["Bo Diaz"], reps["Total"]
    # Ann: ACME x Garlic has a baseline (8 x 12 = 96 against her 120), =BAYOU none
    assert [figure(ann, 1, name) for name in ("baseline_cases", "cases_vs_baseline",
                                              "baseline_lines")] == [96, 24, 1]
    assert figure(ann, 1, "cases_vs_baseline_pct") == pytest.approx(0.25)
    assert figure(bo, 1, "baseline_cases") == 1080 and figure(bo, 1, "cases_vs_baseline") == 120
    assert figure(total, 1, "baseline_cases") == 1176 and figure(total, 1, "baseline_lines") == 2
    assert ann[1 + 47].number_format == CASES  # baseline cases

    customers = {row[1].value: row for row in book["By customer"].iter_rows(min_row=7)
                 if row[1].value}
    bayou = customers["=BAYOU"]
    assert figure(bayou, 4, "baseline_cases") is None  # no baseline: blank, not 0
    assert figure(bayou, 4, "cases_vs_baseline") is None
    assert figure(bayou, 4, "baseline_lines") == 0
    assert figure(customers["ACME"], 4, "baseline_cases") == 96
    groups = table(book["By group"])
    # G2: CEDAR's 1,200 cases against 1,080; =BAYOU's 10 cases have no baseline to compare
    assert figure(groups["G2"], 1, "baseline_cases") == 1080
    assert figure(groups["G2"], 1, "cases_vs_baseline") == 120

    months = table(book["By month"])
    # baseline 8 + 90; the plan of those two lines 10 + 100
    assert values(months["M1"], 16, 3) == [98, 12, pytest.approx(12 / 98)]
    assert values(months["M13"], 16, 2) == [98, 5 + 100 - 98]  # the baseline covers M13-M16
    assert values(months["M1-M12"], 16, 2) == [1176, 144]
    about = " ".join(str(row[0].value) for row in book["About"].iter_rows())
    assert "Baseline: the statistical baseline" in about


def test_forecast_summary_baseline_for_a_rep_and_without_any(company, tmp_path):
    add_baselines(company)
    own = build("forecast_summary", company["ann"], tmp_path, cycle=str(company["cycle"].pk))
    total = table(own["By rep"])["Total"]
    assert figure(total, 1, "baseline_cases") == 96  # CEDAR's baseline is not Ann's
    assert values(table(own["By month"])["M1"], 16, 2) == [8, 2]

    BaselineLine.objects.delete()
    none = build("forecast_summary", company["admin"], tmp_path,
                 cycle=str(company["cycle"].pk))
    reps = table(none["By rep"])
    assert figure(reps["Ann Lee"], 1, "baseline_cases") is None
    assert figure(reps["Total"], 1, "baseline_cases") is None
    assert values(table(none["By month"])["M1"], 16, 3) == [None, None, None]


# --- submission status ----------------------------------------------------------------------

def test_submission_status(company, tmp_path):
    cycle, bo, admin = company["cycle"], company["bo"], company["admin"]
    reject_submission(submit_plan(cycle, bo, bo), admin, "=fix the price")
    book = build("submission_status", admin, tmp_path, cycle=str(cycle.pk))
    rows = table(book["Submissions"])
    ann, bo_row = rows["Ann Lee"], rows["Bo Diaz"]
    assert ann[3].value == "Not submitted" and ann[4].value is None
    # lines, cases and $ M1-M12, incomplete lines, blank mandatory cells
    assert values(ann, 10, 5) == [2, 130, pytest.approx(472), 1, 1]
    assert ann[2].value == 2  # active customers
    assert bo_row[3].value == "Rejected"
    assert isinstance(bo_row[4].value, datetime) and bo_row[4].number_format == "yyyy-mm-dd hh:mm"
    assert values(bo_row, 5, 3) == ["Bo Diaz", "Portal", "Ada Admin"]
    assert bo_row[9].value == "=fix the price" and bo_row[9].data_type == "s"
    assert values(bo_row, 10, 5) == [1, 1200, 6000, 0, 0]
    assert bo_row[12].number_format == MONEY
    total = next(row for key, row in rows.items() if str(key).startswith("2 reps"))
    assert values(total, 10, 3) == [3, 1330, pytest.approx(6472)]
    timeline = [[c.value for c in row[:2]] + [row[4].value]
                for row in book["Timeline"].iter_rows(min_row=7)]
    assert timeline == [["Bo Diaz", "Submitted", "Submitted via portal"],
                        ["Bo Diaz", "Rejected", "=fix the price"]]
    statuses = table(book["By status"])
    assert statuses["Not submitted"][1].value == 1 and statuses["Rejected"][1].value == 1

    own = table(build("submission_status", company["ann"], tmp_path,
                      cycle=str(cycle.pk))["Submissions"])
    assert "Bo Diaz" not in own and "Ann Lee" in own


# --- sales summary --------------------------------------------------------------------------

@pytest.fixture
def sales(company) -> dict[str, Any]:
    """ACME x Garlic: Oct 25 (outside) 1; Nov 25 10 cases $30 GP $10; Feb 26 20, $60, GP $15;
    Dec 24 (year before) 5, $15, GP $5; Mar 26 (outside) 99.
    CEDAR x Shallots: Dec 25 100, $500, GP blank; Jan 26 50, $250, GP $50; Jan 25 (year
    before) 40, $200, GP $20."""
    def months(*rows: tuple) -> list[SalesMonth]:
        return [SalesMonth(month=m, quantity=q, sales=s, gross_profit=g) for m, q, s, g in rows]

    SalesHistory(customer=company["acme"], product=company["garlic"], months=months(
        ("2025-10", 1, 3, 1), ("2025-11", 10, 30, 10), ("2026-02", 20, 60, 15),
        ("2024-12", 5, 15, 5), ("2026-03", 99, 297, 9))).save()
    SalesHistory(customer=company["cedar"], product=company["shallots"], months=months(
        ("2025-12", 100, 500, None), ("2026-01", 50, 250, 50), ("2025-01", 40, 200, 20))).save()
    return company


def test_sales_summary_across_a_year_end(sales, tmp_path):
    book = build("sales_summary", sales["admin"], tmp_path, month_from="2025-11",
                 month_to="2026-02")
    assert book.sheetnames == ["Summary", "Monthly trend", "Top customers", "Top items", "About"]
    summary = table(book["Summary"])
    this = summary["Nov 2025 to Feb 2026"]
    # 10 + 20 + 100 + 50 cases; $30 + 60 + 500 + 250; GP 10 + 15 + 0 + 50
    assert values(this, 1, 5) == [180, 840, 75, pytest.approx(75 / 840),
                                  pytest.approx(840 / 180)]
    assert values(this, 6, 2) == [2, 2]
    assert this[2].number_format == MONEY and this[4].number_format == "0.0%"
    before = summary["Year before: Nov 2024 to Feb 2025"]
    assert values(before, 1, 3) == [45, 215, 25]
    assert values(summary["Change"], 1, 3) == [135, 625, 50]
    change_pct = summary["Change %"]
    assert change_pct[1].value == pytest.approx(135 / 45)
    assert change_pct[1].number_format == "0.0%"

    trend = table(book["Monthly trend"])
    assert list(trend) == [datetime(2025, 11, 1), datetime(2025, 12, 1), datetime(2026, 1, 1),
                           datetime(2026, 2, 1), "Total"]
    assert values(trend[datetime(2025, 12, 1)], 1, 3) == [100, 500, 0]
    assert values(trend[datetime(2025, 12, 1)], 6, 2) == [5, 15]  # Dec 2024
    assert trend[datetime(2026, 1, 1)][8].value == pytest.approx((250 - 200) / 200)
    assert trend[datetime(2025, 11, 1)][8].value is None  # nothing a year before
    assert trend[datetime(2025, 11, 1)][0].number_format == "mmm-yy"
    assert values(trend["Total"], 1, 2) == [180, 840]

    customers = table(book["Top customers"])
    assert values(customers[1], 1, 6) == ["C-CEDAR", "CEDAR", "Bo Diaz", "North", 150, 750]
    assert customers[1][10].value == pytest.approx(750 / 840)
    assert values(customers[2], 1, 2) == ["C-ACME", "ACME"]
    assert customers[2][11].value == pytest.approx(1.0)  # cumulative share
    items = table(book["Top items"])
    assert values(items[1], 1, 3) == ["220002", "Shallots", "G2"]
    assert values(items["All 2"], 4, 2) == [180, 840]


def test_sales_summary_for_a_rep(sales, tmp_path):
    book = build("sales_summary", sales["ann"], tmp_path, month_from="2025-11",
                 month_to="2026-02")
    this = table(book["Summary"])["Nov 2025 to Feb 2026"]
    assert values(this, 1, 3) == [30, 90, 25]  # ACME only
    assert [key for key in table(book["Top customers"]) if isinstance(key, int)] == [1]
    nothing = build("sales_summary", sales["ann"], tmp_path, month_from="2025-11",
                    month_to="2026-02", rep=str(sales["bo"].pk))
    assert values(table(nothing["Summary"])["Nov 2025 to Feb 2026"], 1, 2) == [0, 0]


def test_sales_summary_counts_history_stored_before_fingerprints(sales, tmp_path):
    raw_collection(SalesHistory).insert_one({  # no fingerprint: written before they existed
        "customer": sales["acme"].pk, "product": sales["shallots"].pk, "months": [
            {"month": "2025-12", "quantity": 4.0, "sales": 40.0, "gross_profit": 8.0},
            {"month": "2024-12", "quantity": 2.0, "sales": 10.0}]})
    book = build("sales_summary", sales["admin"], tmp_path, month_from="2025-11",
                 month_to="2026-02")
    summary = table(book["Summary"])
    # 180 cases, $840, GP $75 as above, plus ACME x Shallots Dec 25: 4 cases, $40, GP $8
    assert values(summary["Nov 2025 to Feb 2026"], 1, 3) == [184, 880, 83]
    # the year before: 45 cases, $215, GP $25, plus Dec 24: 2 cases, $10, no GP
    assert values(summary["Year before: Nov 2024 to Feb 2025"], 1, 3) == [47, 225, 25]
    assert values(table(book["Monthly trend"])[datetime(2025, 12, 1)], 1, 2) == [104, 540]


def test_month_headers_are_real_dates(company, tmp_path):
    book = build("forecast_summary", company["admin"], tmp_path,
                 cycle=str(company["cycle"].pk))
    months = book["By month"]
    cells = [row[1] for row in months.iter_rows(min_row=7, max_row=22)]
    assert [c.value.date() for c in cells] == [date(2026 + (10 + i) // 12, (10 + i) % 12 + 1, 1)
                                               for i in range(16)]


def test_a_cycle_deleted_after_the_request_is_said_in_words(company, tmp_path):
    cycle_id = str(company["cycle"].pk)
    company["cycle"].delete()
    for kind in ("consolidated", "forecast_summary", "submission_status"):
        with pytest.raises(ValueError, match="no longer exists"):
            build(kind, company["admin"], tmp_path, cycle=cycle_id)


def test_consolidated_end_to_end_through_the_report_worker(company, run_jobs):
    """Requested like the reports page does, built by the reports worker, read back from its
    stored file; asked again with nothing changed, the same file is served."""
    from io import BytesIO

    from sop.reports.services import open_report_file, request_report

    ann = company["ann"]
    filters = ReportFilters(cycle=str(company["cycle"].pk))
    report = request_report(ann, "consolidated", filters)
    run_jobs("reports")
    report.reload()
    assert report.status == "done", report.error
    book = load_workbook(BytesIO(open_report_file(ann, report).read()))
    rows = table(book["By rep"], header_row=7)
    assert set(rows) == {"Ann Lee", "Grand Total"}
    assert rows["Grand Total"][13].value == 130 and rows["Grand Total"][26].value == 472
    again = request_report(ann, "consolidated", filters)
    assert again.cached and again.file_id == report.file_id
