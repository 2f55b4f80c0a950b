"""Streaming xlsx tables for every export: typed cells, a styled frozen header, autofilter,
sensible widths, and text from user data that can never turn into a formula.
Pure functions over openpyxl's write-only mode: no Flask, no database."""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from sop.excel.streaming import StreamingWorkbook
from sop.user_input import clean_text

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
CASES_FORMAT = "#,##0"
MONEY_FORMAT = '"$"#,##0.00'
PERCENT_FORMAT = "0.0%"
DATE_FORMAT = "yyyy-mm-dd"
MONTH_FORMAT = "mmm-yy"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
NUMBER_FORMAT = "#,##0.00"
INT_FORMAT = "#,##0"
KIND_FORMATS = {  # a report column's kind -> its number format (sop.reports.book)
    "cases": CASES_FORMAT, "money": MONEY_FORMAT, "percent": PERCENT_FORMAT,
    "date": DATE_FORMAT, "datetime": DATETIME_FORMAT, "month": MONTH_FORMAT,
    "number": NUMBER_FORMAT, "int": INT_FORMAT}
HEADER_FONT = Font(bold=True, color="FFFFFF")
HEADER_FILL = PatternFill("solid", fgColor="1D4E89")
TITLE_FONT = Font(bold=True, size=13)


@dataclass(frozen=True)
class Column:
    header: str
    width: int = 16
    number_format: str | None = None  # for numbers and dates


def text_cell(sheet: WriteOnlyWorksheet, value: str) -> WriteOnlyCell:
    """A cell that shows `value` exactly and is never evaluated, whatever it starts with.
    Control characters that an xlsx cannot hold are left out (stored before they were refused
    at the door, they must not make an export fail)."""
    value = clean_text(value)
    cell = WriteOnlyCell(sheet, value=value)
    cell.data_type = "s"
    if value.startswith(FORMULA_TRIGGERS):
        cell.quotePrefix = True  # Excel keeps it text even when the user edits the cell
    return cell


def formulas_as_text(workbook: Workbook) -> None:
    """Turn every formula of a loaded (uploaded) workbook into the text it was written as, so
    a copy handed back can never run `=HYPERLINK(...)` or the like from someone's upload."""
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if cell.data_type != "f":
                    continue
                formula = cell.value
                text = formula if isinstance(formula, str) else getattr(formula, "text", None)
                cell.value = str(text if text is not None else formula)
                cell.data_type = "s"
                cell.quotePrefix = True


def value_cell(sheet: WriteOnlyWorksheet, value: Any, column: Column) -> WriteOnlyCell | Any:
    if value is None:
        return None
    if isinstance(value, str):
        return text_cell(sheet, value)
    if isinstance(value, datetime) and value.tzinfo is not None:
        value = value.replace(tzinfo=None)  # Excel has no time zones: the portal writes UTC
    cell = WriteOnlyCell(sheet, value=value)
    if column.number_format and isinstance(value, int | float | date):
        cell.number_format = column.number_format
    elif isinstance(value, datetime):
        cell.number_format = DATETIME_FORMAT
    elif isinstance(value, date):
        cell.number_format = DATE_FORMAT
    return cell


def header_cell(sheet: WriteOnlyWorksheet, text: str) -> WriteOnlyCell:
    cell = text_cell(sheet, text)
    cell.font = HEADER_FONT
    cell.fill = HEADER_FILL
    cell.alignment = Alignment(vertical="center", wrap_text=True)
    return cell


def add_table_sheet(workbook: Workbook, title: str, columns: Sequence[Column],
                    rows: Iterable[Sequence[Any]]) -> int:
    """Append one sheet holding a table with its header on row 1 (so an exported list can be
    imported again), frozen and filtered. Returns the number of data rows written."""
    sheet = workbook.create_sheet(title=title[:31])
    for index, column in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = column.width
    sheet.freeze_panes = "A2"
    sheet.append([header_cell(sheet, column.header) for column in columns])
    count = 0
    for row in rows:
        sheet.append([value_cell(sheet, value, column) for value, column in zip(row, columns,
                                                                                strict=False)])
        count += 1
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{count + 1}"
    return count


def add_about_sheet(workbook: Workbook, lines: Sequence[str]) -> None:
    """A last sheet saying what the file holds: title, filters, when and by whom."""
    sheet = workbook.create_sheet(title="About")
    sheet.column_dimensions["A"].width = 100
    for number, line in enumerate(lines):
        cell = text_cell(sheet, line)
        if number == 0:
            cell.font = TITLE_FONT
        sheet.append([cell])


def table_workbook(title: str, columns: Sequence[Column], rows: Iterable[Sequence[Any]],
                   about: Sequence[str] = ()) -> bytes:
    """A workbook with the table, then an About sheet when `about` is given, as bytes."""
    workbook = StreamingWorkbook()
    add_table_sheet(workbook, title, columns, rows)
    if about:
        add_about_sheet(workbook, about)
    return workbook_bytes(workbook)


def workbook_bytes(workbook: Workbook) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
