"""Every irregularity of the company's real workbooks, in .xlsx and .xlsb: read with 0 errors,
the right lines and nothing else, formulas read as their saved values (noted in .xlsx), and
what was not read said once per sheet."""

from __future__ import annotations

import pytest

from sop.excel.masterdata import ProblemLog
from sop.excel.rep_workbook import read_rep_workbook
from tests.excel.messy_workbooks import CHENEY, MESSY_LINES, REGAL, messy_xlsb, messy_xlsx
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
