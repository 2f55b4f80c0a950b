"""Streaming xlsx tables for every export: typed cells, a styled frozen header, autofilter,
sensible widths, and text from user data that can never turn into a formula.
Pure functions over sop.excel.sheets (XlsxWriter): no Flask, no database."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from xlsxwriter.utility import xl_col_to_name

from sop.excel.sheets import FORMULA_TRIGGERS, Book, Sheet, Styles

__all__ = ["FORMULA_TRIGGERS", "Column", "table_workbook"]

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
HEADER_BLUE = "1D4E89"
EXPORT_DATES = {datetime: DATETIME_FORMAT, date: DATE_FORMAT, time: "h:mm:ss"}


@dataclass(frozen=True)
class Column:
    header: str
    width: int = 16
    number_format: str | None = None  # for numbers and dates


def column_letter(index: int) -> str:
    """The letter of a 1-based column number."""
    return xl_col_to_name(index - 1)


def export_styles(book: Book, columns: Sequence[Column]) -> Styles:
    """The header format and one format per distinct number format of `columns`; a date in
    a column without a format shows yyyy-mm-dd (hh:mm for a time of day)."""
    styles = Styles(book, EXPORT_DATES)
    styles.style("header", bold=True, color="FFFFFF", fill=HEADER_BLUE, wrap=True, middle=True)
    styles.style("title", bold=True, size=13)
    for column in columns:
        if column.number_format and column.number_format not in styles.formats:
            styles.style(column.number_format, number_format=column.number_format)
    return styles


def add_table_sheet(book: Book, styles: Styles, title: str, columns: Sequence[Column],
                    rows: Iterable[Sequence[Any]]) -> int:
    """Append one sheet holding a table with its header on row 1 (so an exported list can be
    imported again), frozen and filtered. Returns the number of data rows written."""
    sheet = Sheet(book, styles, title[:31], {index: column.width for index, column in
                                              enumerate(columns, start=1)}, freeze="A2")
    sheet.append([column.header for column in columns], ["header"] * len(columns))
    cells = sheet.columns([column.number_format for column in columns])
    for row in rows:
        sheet.add(row, cells)
    sheet.autofilter(f"A1:{column_letter(len(columns))}{sheet.rows}")
    return sheet.rows - 1


def add_about_sheet(book: Book, styles: Styles, lines: Sequence[str]) -> None:
    """A last sheet saying what the file holds: title, filters, when and by whom."""
    sheet = Sheet(book, styles, "About", {1: 100})
    for number, line in enumerate(lines):
        sheet.append([line], ["title" if number == 0 else None])


def table_workbook(title: str, columns: Sequence[Column], rows: Iterable[Sequence[Any]],
                   about: Sequence[str] = ()) -> bytes:
    """A workbook with the table, then an About sheet when `about` is given, as bytes."""
    book = Book()
    styles = export_styles(book, columns)
    add_table_sheet(book, styles, title, columns, rows)
    if about:
        add_about_sheet(book, styles, about)
    return book.close()
