"""The streaming xlsx writer: what openpyxl (and so Excel's format) reads back."""

from __future__ import annotations

import io
from datetime import date, datetime

from openpyxl import load_workbook

from sop.excel.xlsxstream import Book, Formula


def test_cells_styles_and_sheet_features_read_back():
    book = Book()
    money = book.style(number_format='"$"#,##0.00', bold=True, fill="FFF8DC", border=True)
    first = book.add_sheet("A & 'B'", {1: 30}, freeze="B2")
    first.append(["text <&>", 1, 2.5, True, date(2026, 11, 1), Formula("=B1*C1"),
                  "=SUM(A1)", "bell\x07 ok", float("nan")], [None, None, money])
    first.merges.append("A3:B4")
    first.validations.append(("A5:A9", "List!$B$2:$B$5"))
    first.autofilter = "A1:I1"
    second = book.add_sheet("Rows only", freeze="A2")
    second.skip(2)
    second.append([None, "third row"])
    workbook = load_workbook(io.BytesIO(book.save()))
    sheet = workbook["A & 'B'"]
    values = [c.value for c in sheet[1]]
    assert values == ["text <&>", 1, 2.5, True, datetime(2026, 11, 1), "=B1*C1", "=SUM(A1)",
                      "bell ok"]
    assert sheet["I1"].value is None  # NaN: left blank
    assert sheet["G1"].data_type == "s" and sheet["G1"].quotePrefix  # text, never a formula
    assert sheet["C1"].number_format == '"$"#,##0.00' and sheet["C1"].font.b
    assert sheet["C1"].fill.fgColor.rgb == "FFFFF8DC"
    assert sheet.freeze_panes == "B2" and sheet.column_dimensions["A"].width == 30
    assert "A3:B4" in {str(r) for r in sheet.merged_cells.ranges}
    assert sheet.data_validations.dataValidation[0].formula1 == "List!$B$2:$B$5"
    assert sheet.auto_filter.ref == "A1:I1"
    rows = workbook["Rows only"]
    assert rows["B3"].value == "third row" and rows.freeze_panes == "A2"
