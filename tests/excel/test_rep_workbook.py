"""The rep workbook (DOMAIN.md §5.1): what is generated is what is read back."""

from __future__ import annotations

import io
from datetime import date

import pytest
from openpyxl import load_workbook

from sop.excel.masterdata import ProblemLog
from sop.excel.rep_workbook import (
    PROBABILITY_TEXTS,
    BudgetRow,
    CatalogItem,
    CustomerSheet,
    SheetLine,
    WorkbookPlan,
    read_rep_workbook,
    write_rep_workbook,
)
from sop.excel.safety import UnsafeWorkbook
from sop.months import add_months

MONTHS = [add_months(date(2026, 11, 1), i) for i in range(16)]


def plan_with(customers: list[CustomerSheet], catalog: list[CatalogItem] | None = None,
              budget: list[BudgetRow] | None = None) -> WorkbookPlan:
    return WorkbookPlan(
        rep_name="Jordan Reyes", cycle_name="Nov 2026", months=MONTHS, mandatory_months=12,
        catalog=catalog if catalog is not None else [
            CatalogItem("110001", "Peeled Garlic 4x5 lb ", "Group 1-2 - G01"),
            CatalogItem("110002", "Chopped Garlic 4x1 gal", "Group 1-2 - G01"),
            CatalogItem("220001", "Shallots 10 lb", "Group 2-1 - G02"),
            CatalogItem("050010", "Resale Ginger", "Group 5-1 - G05"),
        ],
        customers=customers, budget=budget or [])


def line(code: str, qty: list[float | None], price: list[float | None] | None = None,
         probability: int | None = None, new_item: bool = False,
         description: str = "") -> SheetLine:
    return SheetLine(item_code=code, description=description, probability=probability,
                     qty=qty + [0.0] * (16 - len(qty)),
                     price=(price or []) + [None] * (16 - len(price or [])), new_item=new_item)


def read(data: bytes, problems: ProblemLog | None = None) -> dict[str, CustomerSheet]:
    log = problems if problems is not None else ProblemLog()
    sheets = read_rep_workbook(data, log)
    if problems is None:
        assert list(log) == []
    return {sheet.name: sheet for sheet in sheets}


def look(sheet, ref: str) -> str | None:
    """The fill colour a cell shows through the sheet's conditional formats."""
    for formats in sheet.conditional_formatting:
        if any(ref in cells for cells in formats.sqref.ranges):
            for rule in formats.rules:
                return rule.dxf.fill.bgColor.rgb
    return None


def comparable(sheet: CustomerSheet) -> dict[str, tuple]:
    return {ln.item_code: (ln.probability, ln.new_item, tuple(ln.qty), tuple(ln.price),
                           ln.description if ln.new_item else None) for ln in sheet.lines}


def test_read_of_write_gives_back_the_plans_lines():
    customers = [
        CustomerSheet("BAYOU FOODS", [
            line("110001", [100, 120.5, 0, 80] + [90] * 12, [41.5, 41.5, None, 42], 0),
            line("220001", [0, 0, 3], None, 3),
            line("990001", [5] * 16, [10.25] * 16, 2, new_item=True,
                 description="Black garlic 1 lb"),
        ]),
        CustomerSheet("O'Brien & Sons, Inc. ", [
            line("110002", [1.25] * 16, [30.0] + [None] * 15, 1),
            line("110001", [7], None, 2, new_item=True, description="Peeled Garlic promo"),
        ]),
        CustomerSheet("ALL ZERO CO.", []),
    ]
    plan = plan_with(customers)
    sheets = read(write_rep_workbook(plan))
    assert list(sheets) == ["BAYOU FOODS", "O'Brien & Sons, Inc. ", "ALL ZERO CO."]
    for customer in customers:
        expected = {ln.item_code: (ln.probability, ln.new_item,
                                   tuple(float(q or 0) for q in ln.qty), tuple(ln.price),
                                   ln.description if ln.new_item else None)
                    for ln in customer.lines}
        assert comparable(sheets[customer.name]) == expected
    bayou = sheets["BAYOU FOODS"].lines
    assert [ln.item_code for ln in bayou] == ["110001", "220001", "990001"]
    assert bayou[2].new_item and bayou[2].row > 8 + len(plan.catalog)


def test_a_price_without_volume_is_not_a_line_and_the_sheet_says_so():
    plan = plan_with([CustomerSheet("BAYOU FOODS", [line("110002", [1], [3.0]),
                                                    line("220001", [0] * 16, [12.0])])])
    problems = ProblemLog()
    sheets = read(write_rep_workbook(plan), problems)
    assert [ln.item_code for ln in sheets["BAYOU FOODS"].lines] == ["110002"]
    (note,) = list(problems)
    assert (note.severity, note.sheet) == ("note", "BAYOU FOODS")
    assert "a price but no quantity" in note.message
    assert problems.errors == problems.warnings == 0 and problems.notes == 1


def test_generated_customer_sheet_layout():
    plan = plan_with([CustomerSheet("BAYOU FOODS", [line("110002", [10, 20], [2.5], 2)])])
    workbook = load_workbook(io.BytesIO(write_rep_workbook(plan)))
    assert workbook.sheetnames == ["Summary", "BAYOU FOODS", "List", "Budget"]
    sheet = workbook["BAYOU FOODS"]
    assert sheet["G4"].value == "VOLUME FORECAST (CASES)"
    assert sheet["Z4"].value == "PRICE FORECAST"
    assert sheet["AQ4"].value == "SALES FORECAST"
    merged = {str(r) for r in sheet.merged_cells.ranges}
    assert {"G4:V5", "Z4:AO5", "AQ4:BF5"} <= merged
    header = {c: sheet[f"{c}7"].value for c in ("B", "C", "D", "E", "F", "W")}
    assert header == {"B": "#", "C": "Group - Category", "D": "ITEM\nCODE",
                      "E": "DESCRIPTION", "F": "Probability", "W": "TOTAL"}
    assert sheet["G7"].value.date() == date(2026, 11, 1)
    assert sheet["V7"].value.date() == date(2028, 2, 1)
    assert sheet["Z7"].value.date() == date(2026, 11, 1)
    assert sheet["AQ7"].value.date() == date(2026, 11, 1)
    assert sheet["G7"].number_format == "mmm-yy"
    # mandatory months (M1-M12) look different from the others
    assert sheet["R7"].fill.fgColor.rgb != sheet["S7"].fill.fgColor.rgb
    assert sheet["G7"].fill.fgColor.rgb == sheet["R7"].fill.fgColor.rgb
    assert sheet.freeze_panes == "G8"
    row = 9  # 110002 is the catalog's second item
    assert sheet[f"B{row}"].value == 2
    assert sheet[f"D{row}"].value == 110002
    assert sheet[f"F{row}"].value == PROBABILITY_TEXTS[2]
    assert sheet[f"G{row}"].value == 10 and sheet[f"H{row}"].value == 20
    assert sheet[f"Z{row}"].value == 2.5
    assert sheet[f"W{row}"].value == f"=SUM(G{row}:R{row})"
    assert sheet[f"AQ{row}"].value == f"=G{row}*Z{row}"
    assert sheet[f"BF{row}"].value == f"=V{row}*AO{row}"
    assert {sheet[f"{c}{row}"].data_type for c in ("W", "AQ", "BF")} == {"f"}  # not text
    # editable cells look different from computed ones (conditional formats over the ranges)
    assert look(sheet, f"G{row}") != look(sheet, f"AQ{row}")
    assert look(sheet, f"Z{row}") == look(sheet, f"G{row}") is not None
    assert look(sheet, f"W{row}") is not None and look(sheet, f"C{row}") is None
    assert look(sheet, "D15") == look(sheet, f"G{row}")  # a new-item row's code is typed
    marker = 8 + len(plan.catalog) + 1
    assert sheet[f"C{marker}"].value == "If you need to add new Item Codes:"
    assert sheet[f"B{marker + 1}"].value == "#"
    assert sheet[f"F{marker + 1}"].value == "Probability"
    validations = sheet.data_validations.dataValidation
    assert len(validations) == 1
    assert validations[0].formula1 == "List!$B$2:$B$5"
    assert "F8:F11" in str(validations[0].sqref)
    listing = workbook["List"]
    assert [(r[0].value, r[1].value) for r in listing.iter_rows(min_row=2)] == \
        list(PROBABILITY_TEXTS.items())


def test_summary_sums_by_item_code_over_every_customer_sheet():
    plan = plan_with([CustomerSheet("A & B", [line("110001", [1])]),
                      CustomerSheet("C'D", [line("990001", [2], new_item=True,
                                                 description="New")])])
    plan.catalog[0].average_last_q = 1234.5
    workbook = load_workbook(io.BytesIO(write_rep_workbook(plan)))
    summary = workbook["Summary"]
    assert summary["F7"].value == "Average \nLast Q (Sales)"
    assert summary["F8"].value == 1234.5 and summary["F9"].value is None
    assert summary["D8"].value == 110001
    assert summary["G8"].value == ("=SUMIF('A & B'!$D:$D,$D8,'A & B'!G:G)"
                                   "+SUMIF('C''D'!$D:$D,$D8,'C''D'!G:G)")
    assert summary["G8"].data_type == "f"
    codes = [summary[f"D{r}"].value for r in range(8, 8 + len(plan.catalog) + 1)]
    assert codes[-1] == 990001  # new items follow the catalog


def test_sheet_names_are_made_legal_and_unique():
    plan = plan_with([CustomerSheet("A/B: C*?\x07", [line("110001", [1])]),
                      CustomerSheet("X" * 40, [line("110001", [1])]),
                      CustomerSheet("X" * 35, [line("110001", [2])])])
    sheets = read(write_rep_workbook(plan))
    assert list(sheets) == ["A-B- C---", "X" * 31, "X" * 27 + " (2)"]


def test_budget_sheet_is_the_pivot_and_not_a_customer():
    plan = plan_with([CustomerSheet("BAYOU FOODS", [line("110001", [1])])],
                     budget=[BudgetRow("BAYOU FOODS", {MONTHS[0]: 100.0, MONTHS[1]: 50.0},
                                       {MONTHS[0]: 4000.0, MONTHS[1]: 2000.0})])
    data = write_rep_workbook(plan)
    workbook = load_workbook(io.BytesIO(data))
    budget = workbook["Budget"]
    assert [c.value for c in budget[3]][:4] == ["Row Labels", "Customer S&OP", "Sum of Q-11",
                                                 "Sum of Q-12"]
    assert [c.value for c in budget[4]][:4] == ["Jordan Reyes", "BAYOU FOODS", 100, 50]
    assert list(read(data)) == ["BAYOU FOODS"]


def test_a_generated_workbook_saved_again_reads_the_same():
    """Saved by another application: shared strings instead of inline ones, other styles."""
    plan = plan_with([CustomerSheet("BAYOU FOODS", [
        line("110001", [1, 2.5], [3.0], 1),
        line("990001", [4], None, 3, new_item=True, description="=not a formula"),
    ])])
    data = write_rep_workbook(plan)
    workbook = load_workbook(io.BytesIO(data))
    assert workbook["BAYOU FOODS"]["E15"].value == "=not a formula"
    assert workbook["BAYOU FOODS"]["E15"].data_type == "s"
    buffer = io.BytesIO()
    workbook.save(buffer)
    again = read(buffer.getvalue())
    assert comparable(again["BAYOU FOODS"]) == comparable(read(data)["BAYOU FOODS"])
    assert again["BAYOU FOODS"].lines[1].description == "=not a formula"


def test_a_sheet_declaring_a_wrong_size_is_read_whole():
    """Some tools write a <dimension> smaller than the sheet: no row may be cut off."""
    import re
    import zipfile

    plan = plan_with([CustomerSheet("BAYOU FOODS", [line("220001", [1]),
                                                    line("990001", [4], new_item=True)])])
    data = write_rep_workbook(plan)
    source = zipfile.ZipFile(io.BytesIO(data))
    buffer = io.BytesIO()
    changed = 0
    with zipfile.ZipFile(buffer, "w") as target:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename.startswith("xl/worksheets/"):
                # openpyxl's write-only mode declares no size: a wrong one after <sheetPr>
                content, count = re.subn(rb"(</sheetPr>)", rb'\1<dimension ref="A1"/>', content)
                changed += count
            target.writestr(item, content)
    assert changed == 4  # Summary, the customer, List, Budget
    assert comparable(read(buffer.getvalue())["BAYOU FOODS"]) == \
        comparable(read(data)["BAYOU FOODS"])
    assert [ln.item_code for ln in read(data)["BAYOU FOODS"].lines] == ["220001", "990001"]


def test_a_file_that_is_not_a_workbook_is_refused_clearly():
    with pytest.raises(UnsafeWorkbook, match="damaged"):
        read_rep_workbook(b"PK\x03\x04 broken", ProblemLog())
    with pytest.raises(UnsafeWorkbook, match="damaged"):
        read_rep_workbook(b"Customer,Name\nC1,Foods\n", ProblemLog())


def test_months_come_from_the_files_own_columns_whatever_the_horizon():
    twelve = WorkbookPlan(rep_name="R", cycle_name="C", months=MONTHS[:12], mandatory_months=12,
                          catalog=[CatalogItem("110001", "Garlic")],
                          customers=[CustomerSheet("A", [SheetLine(
                              "110001", qty=[float(m) for m in range(1, 13)],
                              price=[2.0] + [None] * 10 + [3.0])])])
    data = write_rep_workbook(twelve)
    same = read_rep_workbook(data, ProblemLog(), months=12)[0].lines[0]
    assert same.qty == [float(m) for m in range(1, 13)]
    assert same.price == [2.0] + [None] * 10 + [3.0]
    longer = read_rep_workbook(data, ProblemLog(), months=16)[0].lines[0]
    assert longer.qty == same.qty + [0.0] * 4 and longer.price == same.price + [None] * 4
    sixteen = write_rep_workbook(plan_with([CustomerSheet("A", [
        line("110001", [float(m) for m in range(1, 17)], [float(m) for m in range(1, 17)])])]))
    shorter = read_rep_workbook(sixteen, ProblemLog(), months=12)[0].lines[0]
    assert shorter.qty == [float(m) for m in range(1, 13)]
    assert shorter.price == [float(m) for m in range(1, 13)]


def test_round_trip_of_a_random_plan():
    """Many customers, random fractions, gaps, prices and probabilities: all come back."""
    import random

    chance = random.Random(4)
    catalog = [CatalogItem(f"{110001 + i:06d}", f"Item {i}", f"Group {i % 3}")
               for i in range(40)]
    customers = []
    for number in range(12):
        lines = []
        for item in chance.sample(catalog, 15):
            qty = [chance.choice([None, 0.0, 1.0, 2.5, 1000.0, 0.125]) for _ in range(16)]
            price = [chance.choice([None, None, 0.0, 41.75, 3.0]) for _ in range(16)]
            qty[0] = 1.0  # at least one volume: the line is kept
            lines.append(SheetLine(item.item_code, item.description,
                                   chance.choice([None, 0, 1, 2, 3]), qty, price,
                                   new_item=chance.random() < 0.1))
        lines.append(SheetLine(f"{990000 + number:06d}", f"New {number}", None, [0.0] * 15 + [2],
                               [5.0] + [None] * 15, new_item=True))
        customers.append(CustomerSheet(f"Customer {number}, Inc.", lines))
    plan = plan_with(customers, catalog=catalog)
    sheets = read(write_rep_workbook(plan))
    assert list(sheets) == [c.name for c in customers]
    for customer in customers:
        expected = {ln.item_code: (ln.probability, ln.new_item,
                                   tuple(float(q or 0) for q in ln.qty), tuple(ln.price),
                                   ln.description if ln.new_item else None)
                    for ln in customer.lines}
        assert comparable(sheets[customer.name]) == expected
