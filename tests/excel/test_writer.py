"""The export writer: typed cells, frozen filtered header, and no formula from user data."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime

import pytest
from openpyxl import load_workbook

from sop.excel.writer import MONEY_FORMAT, Column, table_workbook

COLUMNS = [Column("Name", 20), Column("Amount", 12, MONEY_FORMAT), Column("Month", 10, "mmm-yy"),
           Column("When", 18)]


def read_back(data: bytes):
    return load_workbook(io.BytesIO(data)).active


@pytest.mark.parametrize("hostile", ["=HYPERLINK(\"http://evil\",\"x\")", "+1+1", "-2+3",
                                     "@SUM(A1)", "\t=1", "=cmd|' /C calc'!A0"])
def test_text_that_looks_like_a_formula_stays_text(hostile):
    sheet = read_back(table_workbook("List", COLUMNS, [[hostile, 1.0, None, None]]))
    cell = sheet["A2"]
    assert cell.value == hostile
    assert cell.data_type == "s"
    assert cell.quotePrefix


def test_numbers_dates_and_layout_are_real():
    when = datetime(2026, 3, 4, 5, 6, tzinfo=UTC)
    data = table_workbook("List", COLUMNS, [["Garlic & Co <b>", 1234.5, date(2026, 1, 1), when]],
                          about=["Customers", "Filters: none"])
    workbook = load_workbook(io.BytesIO(data))
    assert workbook.sheetnames == ["List", "About"]
    sheet = workbook["List"]
    assert [c.value for c in sheet[1]] == ["Name", "Amount", "Month", "When"]
    assert sheet["A1"].font.b
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == "A1:D2"
    assert sheet["A2"].value == "Garlic & Co <b>"
    assert sheet["B2"].value == 1234.5 and sheet["B2"].number_format == MONEY_FORMAT
    assert sheet["C2"].is_date and sheet["C2"].number_format == "mmm-yy"
    assert sheet["D2"].value == datetime(2026, 3, 4, 5, 6)
    assert int(sheet.column_dimensions["A"].width) == 20  # 20 characters and the padding
    assert workbook["About"]["A1"].value == "Customers"
