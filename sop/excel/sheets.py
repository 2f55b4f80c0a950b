"""Big generated workbooks (the rep workbook, the consolidated plan) over openpyxl's write-only
mode, kept fast: a styled cell costs ~10 µs in openpyxl, so only the few header cells and the
cells whose number format matters are styled, each by copying a prototype style built once per
workbook; whole ranges get their look (editable vs computed, money formats) from conditional
formats. Text from user data never turns into a formula (`sop.excel.writer.text_cell`).
Pure functions: no Flask, no database.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.formatting.rule import Rule
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.styles.differential import DifferentialStyle
from openpyxl.styles.numbers import NumberFormat
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from sop.excel.fastrows import Formula, RowStream
from sop.excel.writer import FORMULA_TRIGGERS

__all__ = ["Formula", "RowStream", "Sheet", "Styles", "plain"]

THIN = Side(style="thin", color="FFB7B7B7")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
FIRST_DXF_FORMAT = 300  # numFmtIds of conditional formats: clear of the cells' own (164..)


class Styles:
    """Prototype styles of one workbook, by name: `style(name, bold=..., fill=...)` once,
    then `cell(sheet, value, name)` for each styled cell."""

    def __init__(self, book: Workbook) -> None:
        self.book = book
        self._sheet = book.create_sheet("_styles")  # a cell needs a sheet to hold a style
        self.prototypes: dict[str, Any] = {}
        self._dxf_formats: dict[str, int] = {}

    def done(self) -> None:
        self.book.remove(self._sheet)

    def style(self, name: str, *, bold: bool = False, italic: bool = False, size: float = 11,
              color: str | None = None, fill: str | None = None, border: bool = False,
              number_format: str | None = None, wrap: bool = False, center: bool = False
              ) -> None:
        cell = WriteOnlyCell(self._sheet)
        if bold or italic or size != 11 or color:
            cell.font = Font(bold=bold, italic=italic, size=size, color=color)
        if fill:
            cell.fill = PatternFill("solid", fgColor=fill)
        if border:
            cell.border = BORDER
        if number_format:
            cell.number_format = number_format
        if wrap or center:
            cell.alignment = Alignment(horizontal="center" if center else None,
                                       vertical="center" if center else None, wrap_text=wrap)
        self.prototypes[name] = cell._style

    def cell(self, sheet: Any, value: Any, name: str) -> WriteOnlyCell:
        if type(value) is str:
            value = ILLEGAL_CHARACTERS_RE.sub("", value)
        cell = WriteOnlyCell(sheet, value)
        cell._style = self.prototypes[name]  # shared: a write-only cell is written at once
        if type(value) is str and value.startswith(FORMULA_TRIGGERS):
            cell._style = copy.copy(cell._style)  # changed below
            cell.data_type = "s"
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
    """A value for `append`: text from user data that looks like a formula stays text
    (control characters, which Excel refuses, dropped)."""
    if type(value) is not str:
        return value
    if ILLEGAL_CHARACTERS_RE.search(value):
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
    if value.startswith(FORMULA_TRIGGERS):
        cell = WriteOnlyCell(sheet, value)
        cell.data_type = "s"
        cell.quotePrefix = True
        return cell
    return value


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
        self._stream: RowStream | None = None

    @property
    def stream(self) -> RowStream:
        """The sheet's rendered-row channel (sop.excel.fastrows)."""
        return self._open()

    def _open(self) -> RowStream:
        """Opened with the first row: widths, panes and sheet properties are set before."""
        if self._stream is None:
            self._stream = RowStream(self.ws)
        return self._stream

    def add(self, values: Sequence[Any], styles: Sequence[str]) -> int:
        """The next row rendered straight to XML: numbers, dates, Formula, and str as text;
        `styles[i]` is a `stream.style(...)` attribute or "". Returns the row number."""
        self.rows += 1
        self.stream.add(self.rows, values, styles)
        return self.rows

    def append(self, values: Sequence[Any], styles: Sequence[str | None] | None = None) -> int:
        """The next row: `values[i]` to column i+1, styled `styles[i]` when given and not None
        (Formula values are formulas, str values always text). Returns the row number."""
        sheet = self.ws
        self._open()
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
        self._open()
        self.ws.append(values)
        self.rows += 1
        return self.rows

    def skip(self, count: int = 1) -> None:
        self._open()
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
