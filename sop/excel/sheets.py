"""Big generated workbooks (the rep workbook, the consolidated plan, reports) over openpyxl's
write-only mode, kept fast: a styled cell costs openpyxl several times a plain value, so only
the header cells and the cells whose number format matters are styled; data rows reuse one
styled cell per column (`Columns`, built once per sheet: openpyxl writes an appended row at
once), other styled cells share a prototype style built once per workbook; whole ranges get
their look (editable vs computed, money formats) from conditional formats. Text from user data
never turns into a formula or an error value (`sop.excel.writer.text_cell`).
Pure functions: no Flask, no database.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ERROR_CODES, ILLEGAL_CHARACTERS_RE, TIME_TYPES
from openpyxl.formatting.rule import Rule
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.styles.differential import DifferentialStyle
from openpyxl.styles.numbers import NumberFormat, is_date_format
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from sop.excel.streaming import FixedStyleCell
from sop.excel.writer import FORMULA_TRIGGERS, text_cell

THIN = Side(style="thin", color="FFB7B7B7")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
FIRST_DXF_FORMAT = 300  # numFmtIds of conditional formats: clear of the cells' own (164..)
NOT_FINITE = (float("inf"), float("-inf"))
ERROR_TEXTS = frozenset(ERROR_CODES)  # text openpyxl would write as an error value


class Formula(str):
    """A formula to write (starting with '='); a plain str is always written as text."""


class Styles:
    """Prototype styles of one workbook, by name: `style(name, bold=..., fill=...)` once,
    then `cell(sheet, value, name)` for each styled cell, or `template(sheet, name)` for a
    cell of its own to reuse (see `Columns`)."""

    def __init__(self, book: Workbook) -> None:
        self.book = book
        self._sheet = book.create_sheet("_styles")  # a cell needs a sheet to hold a style
        self.prototypes: dict[str, Any] = {}
        self._looks: dict[str, dict[str, Any]] = {}
        self._dxf_formats: dict[str, int] = {}

    def done(self) -> None:
        self.book.remove(self._sheet)

    def style(self, name: str, *, bold: bool = False, italic: bool = False, size: float = 11,
              color: str | None = None, fill: str | None = None, border: bool = False,
              number_format: str | None = None, wrap: bool = False, center: bool = False
              ) -> None:
        look: dict[str, Any] = {}
        if bold or italic or size != 11 or color:
            look["font"] = Font(bold=bold, italic=italic, size=size, color=color)
        if fill:
            look["fill"] = PatternFill("solid", fgColor=fill)
        if border:
            look["border"] = BORDER
        if number_format:
            look["number_format"] = number_format
        if wrap or center:
            look["alignment"] = Alignment(horizontal="center" if center else None,
                                          vertical="center" if center else None,
                                          wrap_text=wrap)
        self._looks[name] = look
        self.prototypes[name] = self.template(self._sheet, name)._style

    def template(self, sheet: Any, name: str) -> WriteOnlyCell:
        """An empty cell of `sheet` styled `name`, with a style of its own."""
        cell = WriteOnlyCell(sheet)
        for attribute, value in self._looks[name].items():
            setattr(cell, attribute, value)
        return cell

    def cell(self, sheet: Any, value: Any, name: str) -> WriteOnlyCell:
        if type(value) is str:
            cell = text_cell(sheet, ILLEGAL_CHARACTERS_RE.sub("", value))
        else:
            cell = WriteOnlyCell(sheet, value)
        quoted = cell.quotePrefix
        cell._style = self.prototypes[name]  # shared: a write-only cell is written at once
        if quoted:
            cell._style = copy.copy(cell._style)  # changed below
            cell.quotePrefix = True
        return cell

    def look(self, *, fill: str | None = None, bold: bool = False,
             number_format: str | None = None, border: bool = False) -> DifferentialStyle:
        """A conditional format's look (see `Sheet.paint`)."""
        style = DifferentialStyle()
        if fill:
            style.fill = PatternFill(bgColor=fill, fgColor=fill, fill_type="solid")
        if bold:
            style.font = Font(bold=True)
        if border:
            style.border = BORDER
        if number_format:
            number = self._dxf_formats.setdefault(
                number_format, FIRST_DXF_FORMAT + len(self._dxf_formats))
            style.numFmt = NumberFormat(numFmtId=number, formatCode=number_format)
        return style


def plain(sheet: Any, value: Any) -> Any:
    """A value for `append`: text from user data that looks like a formula or an error value
    stays text (control characters, which Excel refuses, dropped)."""
    if type(value) is not str:
        return value
    if ILLEGAL_CHARACTERS_RE.search(value):
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
    if value.startswith(FORMULA_TRIGGERS) or value in ERROR_TEXTS:
        return text_cell(sheet, value)
    return value


class Columns:
    """The styled cells of a sheet's data rows: one cell per column (None: plain values),
    built once and given each row's value in turn (`Sheet.add`). openpyxl writes an appended
    row at once, so the same cell serves every row and no style is assigned or copied per
    cell. Each cell gets its own style through openpyxl's public setters (`Styles.template`);
    a date for a column without a date format is written as a plain date instead (openpyxl
    would give the column's cell a date format, for the rows after too)."""

    def __init__(self, sheet: Sheet, names: Sequence[str | None]) -> None:
        self.names = list(names)
        self.cells = [FixedStyleCell(sheet.styles.template(sheet.ws, name)) if name else None
                      for name in self.names]
        self.dated = [cell is not None and is_date_format(cell.number_format)
                      for cell in self.cells]

    def replaced(self, index: int, other: Columns) -> Columns:
        """These columns with column `index` taken from `other` (a row's odd value)."""
        mixed = copy.copy(self)
        for field in ("names", "cells", "dated"):
            values = list(getattr(self, field))
            values[index] = getattr(other, field)[index]
            setattr(mixed, field, values)
        return mixed


class Sheet:
    """A write-only sheet written row after row, counting its rows."""

    def __init__(self, book: Workbook, styles: Styles, title: str,
                 widths: dict[int, float] | None = None, freeze: str | None = None,
                 dimension: str | None = None) -> None:
        """`dimension`, the used range when known before writing ("A1:BF250"), is written
        like Excel does: readers then need not scan the whole sheet to size it."""
        self.ws = book.create_sheet(title)
        if dimension:  # openpyxl's worksheet writer asks the sheet for it
            self.ws.calculate_dimension = lambda: dimension
        self.styles = styles
        self.title = title
        self.rows = 0
        for column, width in (widths or {}).items():
            self.ws.column_dimensions[get_column_letter(column)].width = width
        if freeze:
            self.ws.freeze_panes = freeze

    def columns(self, names: Sequence[str | None]) -> Columns:
        """Data-row cells styled `names[i]` (None: plain) for `add`."""
        return Columns(self, names)

    def add(self, values: Sequence[Any], columns: Columns) -> int:
        """The next data row: `values[i]` in column i+1 through `columns` (None, NaN and
        infinities: empty; str always text; Formula a formula; a date or time keeps a date
        format, its time zone dropped: the portal writes UTC). Returns the row number."""
        ws = self.ws
        cells, dated = columns.cells, columns.dated
        width = len(cells)
        out: list[Any] = []
        append = out.append
        for index, value in enumerate(values):
            if value is None:
                append(None)
                continue
            kind = type(value)
            cell = cells[index] if index < width else None
            if kind is float:
                if value != value or value in NOT_FINITE:
                    value = None
            elif kind is int or kind is Formula:
                pass
            elif kind is str:
                value = plain(ws, value) if cell is None else self.styles.cell(
                    ws, value, columns.names[index])
                cell = None
            elif isinstance(value, TIME_TYPES):
                if getattr(value, "tzinfo", None) is not None:
                    value = value.replace(tzinfo=None)
                if cell is not None and not dated[index]:
                    cell = None  # openpyxl's own date format rather than a number's
            if cell is None or value is None:
                append(value)
            else:
                cell.value = value
                append(cell)
        ws.append(out)
        self.rows += 1
        return self.rows

    def append(self, values: Sequence[Any], styles: Sequence[str | None] | None = None) -> int:
        """The next row: `values[i]` to column i+1, styled `styles[i]` when given and not None
        (Formula values are formulas, str values always text). Returns the row number."""
        sheet = self.ws
        out: list[Any] = []
        for index, value in enumerate(values):
            style = styles[index] if styles is not None and index < len(styles) else None
            if style is not None:
                out.append(self.styles.cell(sheet, value, style))
            elif type(value) is str:
                out.append(plain(sheet, value))
            else:
                out.append(value)
        sheet.append(out)
        self.rows += 1
        return self.rows

    def append_plain(self, values: list[Any]) -> int:
        """The next row of values already safe to write (numbers, Formula, cells)."""
        self.ws.append(values)
        self.rows += 1
        return self.rows

    def skip(self, count: int = 1) -> None:
        for _ in range(count):
            self.ws.append([])
        self.rows += count

    def merge(self, ref: str) -> None:
        self.ws.merged_cells.add(ref)

    def validate_list(self, sqref: str, formula: str) -> None:
        validation = DataValidation(type="list", formula1=formula, allow_blank=True,
                                    showErrorMessage=True, errorTitle="S&OP",
                                    error="Choose a value from the list.")
        validation.sqref = sqref  # type: ignore[assignment]
        self.ws.data_validations.append(validation)

    def paint(self, sqref: str, look: DifferentialStyle) -> None:
        """Give every cell of `sqref` (space-separated ranges) a look, whatever it holds."""
        if sqref.strip():
            self.ws.conditional_formatting.add(
                sqref, Rule(type="expression", dxf=look, formula=["TRUE"]))
