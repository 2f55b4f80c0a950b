"""StreamingWorkbook writes what stock openpyxl write-only writes for the same rows: values,
types, number formats, fonts, fills, hyperlinks and the row layout (the reading side is tested
in test_masterdata_reader.py)."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import date, datetime

import pytest
from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font, PatternFill

from sop.excel.streaming import FixedStyleCell, StreamingWorkbook


def _rows(sheet) -> Iterator[list[object]]:
    """Rows mixing plain values, a styled cell reused row after row (a FixedStyleCell, as
    sop.excel.sheets.Columns makes them), one-off styled cells, dates, formulas, gaps and a
    hyperlink."""
    styled = WriteOnlyCell(sheet)
    styled.number_format = '"$"#,##0.00'
    money = FixedStyleCell(styled)
    bold = WriteOnlyCell(sheet, "Total")
    bold.font = Font(bold=True)
    bold.fill = PatternFill("solid", fgColor="E7E6E6")
    link = WriteOnlyCell(sheet, "portal")
    link.hyperlink = "https://sop.example.com/reports"
    yield ["Customer", "Month", "Price", None, "Cases"]
    for number in range(2, 6):
        money.value = 2.5 * number  # written when appended: the next row may reuse it
        yield [f"Customer {number}", date(2026, number, 1), money, None,
               f"=SUM(A{number}:C{number})"]
    yield [bold, datetime(2026, 11, 24, 9, 30), None, 1234, link]


def _written(book: Workbook) -> list[list[tuple]]:
    sheet = book.create_sheet("Data")
    for row in _rows(sheet):
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    read = load_workbook(io.BytesIO(buffer.getvalue()))["Data"]
    return [[(cell.coordinate, cell.value, cell.data_type, cell.number_format, cell.font.b,
              cell.fill.fgColor.rgb, cell.hyperlink.target if cell.hyperlink else None)
             for cell in row] for row in read.iter_rows()]


def test_a_streaming_workbook_writes_what_stock_openpyxl_writes():
    ours = _written(StreamingWorkbook())
    stock = _written(Workbook(write_only=True))
    assert ours == stock
    cells = {cell[0]: cell for row in ours for cell in row}
    assert cells["C3"][1:4] == (7.5, "n", '"$"#,##0.00')  # the reused cell, its own value
    assert cells["B2"][1] == datetime(2026, 2, 1) and cells["B2"][3] != "General"
    assert cells["E6"][6] == "https://sop.example.com/reports"
    assert cells["A6"][4] is True and cells["A5"][4] is False
    assert cells["E2"][1:3] == ("=SUM(A2:C2)", "f")


def test_a_fixed_style_cannot_change_under_its_looked_up_id():
    sheet = StreamingWorkbook().create_sheet("Data")
    styled = WriteOnlyCell(sheet)
    styled.number_format = "0.0%"
    fixed = FixedStyleCell(styled)
    fixed.value = 0.25
    assert fixed.number_format == "0.0%" and fixed.style_id == styled.style_id
    with pytest.raises(TypeError, match="fixed"):
        fixed.number_format = "#,##0"
