"""Every irregularity of the company's real workbooks, in .xlsx and .xlsb: read with 0 errors,
the right lines and nothing else, formulas read as their saved values (noted in .xlsx), and
what was not read said once per sheet."""

from __future__ import annotations

from datetime import date

import pytest

from sop.excel.masterdata import ProblemLog
from sop.excel.rep_workbook import read_rep_workbook
from tests.excel.messy_workbooks import (
    CHENEY,
    MESSY_LINES,
    REGAL,
    START,
    F,
    W,
    Z,
    messy_xlsb,
    messy_xlsx,
    xlsx_of,
)
from tests.excel.rep_workbook_variants import Row, Sheet, real_workbook

BUILDERS = {"xlsx": messy_xlsx, "xlsb": messy_xlsb}


def read(kind: str) -> tuple[dict, ProblemLog, list[str]]:
    problems = ProblemLog()
    sheets = read_rep_workbook(BUILDERS[kind](), problems)
    lines = {(sheet.name, line.item_code): (line.probability, line.new_item, line.qty,
                                            line.price, line.row)
             for sheet in sheets for line in sheet.lines}
    return lines, problems, [sheet.name for sheet in sheets]


@pytest.mark.parametrize("kind", ["xlsx", "xlsb"])
def test_a_messy_real_style_workbook_reads_its_lines_and_nothing_else(kind):
    lines, problems, names = read(kind)
    assert names == [REGAL, CHENEY]  # Budget, Sheet1 and Summary are not customers
    assert lines == MESSY_LINES
    assert problems.errors == 0
    warnings = [(p.sheet, p.row, p.column) for p in problems if p.severity == "warning"]
    assert warnings == [(REGAL, 10, "F")]  # 'Customer Fprecast - Mid Risk', read as category 2


@pytest.mark.parametrize("kind", ["xlsx", "xlsb"])
def test_what_was_not_read_is_said_once_per_sheet(kind):
    _, problems, _ = read(kind)
    skipped = {p.sheet: p.message for p in problems
               if p.severity == "note" and p.message.startswith("Not read")}
    assert set(skipped) == {REGAL, CHENEY}
    regal = skipped[REGAL]
    assert "row 9: no volume" in regal  # a price and no quantity
    assert "row 23: a separate table 'Monthly Quantity Split 2022'" in regal
    assert "rows 24-25: part of the separate table" in regal  # item codes there: not lines
    # the stray =G7: a formula in .xlsx, in .xlsb only a number equal to the header's date
    assert ("row 16: formulas without an item code" if kind == "xlsx" else
            "row 16: the header's month dates copied") in regal
    assert "row 12: a separate table 'Monthly Quantity Split 2022'" in skipped[CHENEY]


def test_formulas_in_xlsx_data_cells_are_read_as_saved_values_and_noted():
    _, problems, _ = read("xlsx")
    formulas = {(p.row, p.column): (p.value, p.message) for p in problems
                if p.severity == "note" and not p.message.startswith("Not read")}
    assert formulas == {
        (10, "D"): ("=D9+1", "The item code is a formula: read as its saved value 110003."),
        (11, "G"): ("=SUM(H11:I11)", "A formula: read as its saved value 30."),
        (11, "Z"): ("=30+R11", "A formula: read as its saved value 30."),
    }


def test_a_formula_without_a_saved_value_is_an_error_that_says_how_to_fix_it():
    # openpyxl writes formulas without saved values, as tools that do not calculate do
    data = real_workbook([Sheet("NOCALC", [Row(110001, ["=H8*2", 5, "=2*6"])])])
    problems = ProblemLog()
    sheets = read_rep_workbook(data, problems)
    assert sheets[0].lines == []
    (error,) = [p for p in problems if p.severity == "error"]
    assert (error.row, error.column, error.value) == (8, "G", "=H8*2")
    assert "no saved result" in error.message and "save it" in error.message


def customer(rows: dict[int, dict[int, object]]) -> dict[int, dict[int, object]]:
    return {7: {1: "#", 2: "Group - Category", 3: "ITEM CODE", 4: "DESCRIPTION",
                5: "Probability", 6: START, W: "TOTAL", **{Z + m: START for m in range(16)}},
            **rows}


def test_a_damaged_price_header_still_has_its_prices_read():
    """The month header of one sheet is damaged (#REF! where the price dates were)."""
    sheet = customer({8: {3: 110001, 6: 10, 7: 12, Z: 4.5, Z + 1: 4.75}})
    sheet[7].update({Z + m: F(f"=#REF!+{m}", "#REF!") for m in range(16)})
    problems = ProblemLog()
    (read_sheet,) = read_rep_workbook(xlsx_of([("DAMAGED", sheet)]), problems)
    assert read_sheet.price_source == "sheet"
    assert read_sheet.lines[0].price[:3] == [4.5, 4.75, None]
    assert problems.errors == 0


def test_single_price_layout_finds_its_price_column_by_its_header():
    header = {1: "#", 2: "Group - Category", 3: "ITEM CODE", 4: "DESCRIPTION", 5: "Avg",
              W: "TOTAL", W + 1: "Price", **{Z + m: START for m in range(16)}}
    rows = {7: header, 8: {3: 110001, 5: 42.75, 6: 10, 7: 20, W + 1: 3.25,
                           Z: F("=G8*X8", 32.5)}}
    (read_sheet,) = read_rep_workbook(xlsx_of([("DSD", rows)]), ProblemLog())
    assert read_sheet.price_source == "single"
    line = read_sheet.lines[0]
    assert (line.probability, line.qty[:2], line.price) == (None, [10.0, 20.0], [3.25] * 16)


def test_a_quantity_formatted_as_a_date_is_read_as_its_number_with_a_warning():
    rows = customer({8: {3: 110001, 6: date(1900, 1, 5), 7: 7}, 9: {3: 110002, 6: START}})
    problems = ProblemLog()
    (read_sheet,) = read_rep_workbook(xlsx_of([("DATES", rows)]), problems)
    assert [line.qty[:2] for line in read_sheet.lines] == [[5.0, 7.0]]
    found = {(p.row, p.column, p.severity) for p in problems if p.severity != "note"}
    assert found == {(8, "G", "warning"), (9, "G", "error")}  # 2025-11-23 is no quantity


def test_absurd_and_foreign_numbers_are_row_errors_never_stored():
    rows = customer({8: {3: 110001, 6: 1e308, 7: 5}, 9: {3: 110002, 6: "٣"},
                     10: {3: "١١٠٠٠٣", 6: 4}, 11: {3: 110004, 6: True}})
    problems = ProblemLog()
    (read_sheet,) = read_rep_workbook(xlsx_of([("ABSURD", rows)]), problems)
    assert read_sheet.lines == []
    errors = {(p.row, p.column): p.message for p in problems if p.severity == "error"}
    assert set(errors) == {(8, "G"), (9, "G"), (10, "D"), (11, "G")}
    assert "at most 1,000,000,000,000" in errors[(8, "G")]
    assert "6 digits" in errors[(10, "D")] and "TRUE/FALSE" in errors[(11, "G")]


def test_a_summary_laid_out_like_a_customer_sheet_is_not_a_customer():
    """Whatever its name: its quantities are formulas over the other sheets."""
    own = customer({8: {3: 110001, 6: 10, 7: 12}})
    total = customer({8: {3: 110001, 6: F("=SUM('ACME:ACME'!G8)", 10),
                          7: F("=SUM('ACME:ACME'!H8)", 12)}})
    problems = ProblemLog()
    sheets = read_rep_workbook(xlsx_of([("Totals DSD", total), ("ACME", own)]), problems)
    assert [sheet.name for sheet in sheets] == ["ACME"]
    (note,) = [p for p in problems if p.sheet == "Totals DSD"]
    assert note.severity == "note" and "a summary of other sheets" in note.message
