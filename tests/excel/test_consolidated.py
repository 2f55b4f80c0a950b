"""The consolidated plan (DOMAIN.md §5.2): layout, formulas, formats and pivot numbers."""

from __future__ import annotations

import io
from datetime import date, datetime

from openpyxl import load_workbook

from sop.excel.consolidated import ConsolRow, ConsolTotals, write_consolidated
from sop.months import add_months

MONTHS = [add_months(date(2026, 11, 1), i) for i in range(12)]


def rows() -> list[ConsolRow]:
    return [
        ConsolRow("Ann Lee", "BAYOU FOODS", "110001", "Peeled Garlic", "Group 1-2",
                  [10] + [1] * 11, [2.5] * 12),
        ConsolRow("Ann Lee", "BAYOU FOODS", "220001", "Shallots", "Group 2-1",
                  [4, 0.5] + [None] * 10, [10.0, 10.0] + [None] * 10),
        ConsolRow("Ann Lee", "=HACK()", "990001", "@new item", "Group 1-2", [3] + [0] * 11,
                  [1.0] * 12, new_item=True),
        ConsolRow("Bo Diaz", "ACME", "110001", "Peeled Garlic", "Group 1-2", [100] * 12,
                  [2.0] * 12),
        ConsolRow("Bo Diaz", "ACME", "050010", "Ginger", "Group 5-1", [1] * 12, [None] * 12),
    ]


def load(data: bytes):
    return load_workbook(io.BytesIO(data))


def test_consol_sheet_layout_formulas_and_formats():
    totals = ConsolTotals()
    workbook = load(write_consolidated(iter(rows()), MONTHS, about=["Consolidated plan"],
                                       totals=totals))
    assert workbook.sheetnames == ["Consol", "By rep", "By group", "About"]
    sheet = workbook["Consol"]
    assert [c.value for c in sheet[1]][:5] == ["Sales Rep", "Customer S&OP", "ITEM CODE",
                                               "DESCRIPTION", "Group"]
    assert sheet["F1"].value == datetime(2026, 11, 1) and sheet["F1"].number_format == "mmm-yy"
    assert sheet["Q1"].value == datetime(2027, 10, 1)
    assert sheet["R1"].value == "TOTAL"
    assert sheet["S1"].value == datetime(2026, 11, 1)
    assert sheet["AE1"].value == datetime(2026, 11, 1)
    assert sheet["AP1"].value == datetime(2027, 10, 1)
    assert sheet.auto_filter.ref == "A1:AP6"
    assert sheet.freeze_panes == "F2"
    assert [sheet.cell(r, 1).value for r in range(2, 7)] == ["Ann Lee"] * 3 + ["Bo Diaz"] * 2
    assert sheet["C2"].value == 110001 and sheet["C6"].number_format == "000000"
    assert sheet["C6"].value == 50010
    assert sheet["F2"].value == 10 and sheet["F2"].number_format == "#,##0"
    assert sheet["G3"].value == 0.5
    assert sheet["H3"].value is None
    assert sheet["R2"].value == "=SUM(F2:Q2)" and sheet["R2"].data_type == "f"
    assert sheet["S2"].value == 2.5 and sheet["S2"].number_format == '"$"#,##0.00'
    assert sheet["AE2"].value == "=S2*F2" and sheet["AE2"].data_type == "f"
    assert sheet["AP2"].value == "=AD2*Q2"
    assert sheet["AE2"].number_format == '"$"#,##0.00'
    # text from user data is never a formula
    assert sheet["B4"].value == "=HACK()" and sheet["B4"].data_type == "s"
    assert sheet["B4"].quotePrefix and sheet["D4"].value == "@new item"
    assert totals.lines == 5
    assert totals.cases == 10 + 11 + 4.5 + 3 + 1200 + 12
    assert totals.sales == (10 + 11) * 2.5 + 45 + 3 + 2400


def test_pivot_by_rep_by_month_cases_and_dollars():
    sheet = load(write_consolidated(rows(), MONTHS))["By rep"]
    assert sheet["B1"].value == "Cases" and sheet["O1"].value.startswith("Sales $")
    header = [c.value for c in sheet[2]]
    assert header[0] == "Sales Rep" and header[1] == datetime(2026, 11, 1)
    assert header[13] == "Total cases" and header[26] == "Total $"
    table = {r[0].value: [c.value for c in r[1:]] for r in sheet.iter_rows(min_row=3)}
    ann = table["Ann Lee"]
    assert ann[0] == 10 + 4 + 3 and ann[1] == 1 + 0.5 and ann[2] == 1
    assert ann[12] == 17 + 1.5 + 10
    assert ann[13] == 10 * 2.5 + 40 + 3 and ann[14] == 2.5 + 5
    assert ann[25] == 21 * 2.5 + 45 + 3
    bo = table["Bo Diaz"]
    assert bo[0] == 101 and bo[12] == 1212 and bo[13] == 200 and bo[25] == 2400
    grand = table["Grand Total"]
    assert grand[12] == ann[12] + bo[12] and grand[25] == ann[25] + bo[25]


def test_pivot_by_group_item_month_with_group_subtotals():
    sheet = load(write_consolidated(rows(), MONTHS))["By group"]
    assert [c.value for c in sheet[2]][:4] == ["Group", "ITEM CODE", "DESCRIPTION",
                                               datetime(2026, 11, 1)]
    table = [[c.value for c in r] for r in sheet.iter_rows(min_row=3)]
    labels = [(r[0], r[1]) for r in table]
    assert labels == [("Group 1-2", 110001), ("Group 1-2", 990001), ("Group 1-2 total", None),
                      ("Group 2-1", 220001), ("Group 2-1 total", None),
                      ("Group 5-1", 50010), ("Group 5-1 total", None), ("Grand Total", None)]
    garlic = table[0]
    assert garlic[3] == 110 and garlic[15] == 10 + 11 + 1200  # both reps, M1 and total
    assert garlic[16] == 10 * 2.5 + 200 and garlic[28] == 21 * 2.5 + 2400
    assert table[2][15] == 1221 + 3 and table[2][28] == 52.5 + 2400 + 3
    assert table[5][28] == 0  # no price: no revenue
    assert table[-1][15] == 1221 + 3 + 4.5 + 12


def test_empty_plan_still_has_headers_and_totals():
    workbook = load(write_consolidated([], MONTHS))
    assert workbook["Consol"].max_row == 1
    assert workbook["By rep"]["A3"].value == "Grand Total"
