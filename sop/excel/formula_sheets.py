"""Workbooks made mostly of formulas — the rep workbook: about 120,000 formulas for one rep,
16 sales formulas and a total on every item row of every customer sheet, and a Summary whose
formulas add up 30 sheets — written through openpyxl's write-only mode (public API only).

XlsxWriter, which writes every other generated workbook (sop.excel.sheets), runs each formula
through some thirty regular expressions before storing it (to prefix Excel's newer function
names): 50 µs a formula, 2 ms for a Summary formula summing 30 sheets, which made the rep
workbook four to five times slower to write than openpyxl writes it (formulas are stored as
they are). The interface is sop.excel.sheets' (Book, Styles, Columns, Sheet), so a writer
picks its library by its import; tests/excel/test_writers_compared.py holds both to the files
the writers always made. Only the few titles, headers and item codes carry a cell style: a
styled cell costs openpyxl a style lookup; the data cells get their look from conditional
formats over their ranges (`Sheet.paint`).
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from datetime import date, time
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.formatting.rule import Rule
from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
from openpyxl.styles.differential import DifferentialStyle
from openpyxl.styles.numbers import NumberFormat
from openpyxl.utils import get_column_letter
from openpyxl.utils.cell import range_boundaries
from openpyxl.worksheet.datavalidation import DataValidation

from sop.excel.sheets import FORMULA_TRIGGERS, Formula
from sop.user_input import clean_text

THIN = Side(style="thin", color="FFB7B7B7")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
FIRST_DXF_FORMAT = 300  # numFmtIds of conditional formats: clear of the cells' own (164..)
ERROR_TEXTS = frozenset(("#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A"))


class Book:
    """A write-only workbook; Excel computes its formulas when it opens it."""

    def __init__(self) -> None:
        self.workbook = Workbook(write_only=True)
        self.workbook.calculation.fullCalcOnLoad = True  # formulas carry no saved value

    def close(self) -> bytes:
        buffer = io.BytesIO()
        self.workbook.save(buffer)
        return buffer.getvalue()


class Styles:
    """Named cell looks (openpyxl style objects set on each styled cell) and conditional-format
    looks, with the arguments of sop.excel.sheets.Styles."""

    def __init__(self, book: Book) -> None:
        self.looks: dict[str | None, dict[str, Any]] = {None: {}}
        self.dxf_formats: dict[str, int] = {}
        self.prototypes: dict[tuple[str, int], WriteOnlyCell] = {}  # see Sheet._styled

    def style(self, name: str, *, bold: bool = False, italic: bool = False, size: float = 11,
              color: str | None = None, fill: str | None = None, border: bool = False,
              number_format: str | None = None, wrap: bool = False, center: bool = False,
              middle: bool = False, locked: bool | None = None) -> None:
        look: dict[str, Any] = {}
        if bold or italic or size != 11 or color:
            look["font"] = Font(bold=bold, italic=italic, size=size, color=color)
        if fill:
            look["fill"] = PatternFill("solid", fgColor=fill)
        if border:
            look["border"] = BORDER
        if number_format:
            look["number_format"] = number_format
        if wrap or center or middle:
            look["alignment"] = Alignment(horizontal="center" if center else None,
                                          vertical="center" if center or middle else None,
                                          wrap_text=wrap)
        if locked is not None:
            look["protection"] = Protection(locked=locked)
        self.looks[name] = look

    def look(self, *, fill: str | None = None, bold: bool = False,
             number_format: str | None = None, border: bool = False) -> DifferentialStyle:
        style = DifferentialStyle()
        if fill:
            style.fill = PatternFill(bgColor=fill, fgColor=fill, fill_type="solid")
        if bold:
            style.font = Font(bold=True)
        if border:
            style.border = BORDER
        if number_format:
            number = self.dxf_formats.setdefault(
                number_format, FIRST_DXF_FORMAT + len(self.dxf_formats))
            style.numFmt = NumberFormat(numFmtId=number, formatCode=number_format)
        return style


class Columns:
    """The looks of a sheet's data rows, one name per column (None: none)."""

    def __init__(self, styles: Styles, names: Sequence[str | None]) -> None:
        unknown = [name for name in names if name not in styles.looks]
        if unknown:
            raise KeyError(f"No such style: {unknown[0]}")
        self.names = list(names)


class Sheet:
    """A write-only sheet written row after row, counting its rows."""

    def __init__(self, book: Book, styles: Styles, title: str,
                 widths: dict[int, float] | None = None, freeze: str | None = None) -> None:
        self.ws = book.workbook.create_sheet(title)
        self.styles = styles
        self.title = title
        self.rows = 0
        self.merged_values: dict[int, dict[int, tuple[Any, str | None]]] = {}
        for column, width in (widths or {}).items():
            self.ws.column_dimensions[get_column_letter(column)].width = width
        if freeze:
            self.ws.freeze_panes = freeze

    def columns(self, names: Sequence[str | None]) -> Columns:
        return Columns(self.styles, names)

    def add(self, values: Sequence[Any], columns: Columns, blanks: bool = False) -> int:
        """The next row, as sop.excel.sheets.Sheet.add writes it; `blanks`: a styled empty
        cell is written (its fill shows)."""
        names: Sequence[str | None] = columns.names
        pending = self.merged_values.pop(self.rows + 1, None)
        if pending:  # merged cells' values and looks on this row
            size = max(len(values), len(names), max(pending) + 1)
            values = [*values, *[None] * (size - len(values))]
            names = [*names, *[None] * (size - len(names))]
            for index, (value, name) in pending.items():
                values[index], names[index] = value, name
        width = len(names)
        out: list[Any] = []
        for index, value in enumerate(values):
            name = names[index] if index < width else None
            if value is None:
                out.append(self._styled(name, index, None) if blanks and name else None)
                continue
            kind = type(value)
            if kind is Formula:
                value = str(value)
            elif kind is float:
                if not math.isfinite(value):
                    value = None
            elif kind is str:
                value = clean_text(value)
                quoted = value.startswith(FORMULA_TRIGGERS)
                if quoted or value in ERROR_TEXTS:
                    out.append(self._text_cell(value, name, quoted))
                    continue
            elif isinstance(value, date | time) and getattr(value, "tzinfo", None) is not None:
                value = value.replace(tzinfo=None)
            out.append(self._styled(name, index, value) if name and value is not None
                       else value)
        self.ws.append(out)
        self.rows += 1
        return self.rows

    def _styled(self, name: str, index: int, value: Any) -> WriteOnlyCell:
        """The book's one cell of look `name` for column `index`, holding `value`. A
        write-only cell is written out when its row is appended, so one cell serves that
        column row after row and sheet after sheet (its look is a workbook's matter), and its
        look — a lookup of each style object in the workbook's tables — is set once."""
        prototypes = self.styles.prototypes
        cell = prototypes.get((name, index))
        if cell is None:
            cell = prototypes[(name, index)] = self._new_cell(name)
        cell.value = value
        return cell

    def _text_cell(self, value: str, name: str | None, quoted: bool) -> WriteOnlyCell:
        """Text kept as text: one that starts like a formula or reads as an error value."""
        cell = self._new_cell(name)
        cell.value = value
        cell.data_type = "s"
        if quoted:
            cell.quotePrefix = True  # Excel keeps it text even when the user edits the cell
        return cell

    def _new_cell(self, name: str | None) -> WriteOnlyCell:
        cell = WriteOnlyCell(self.ws)
        for attribute, setting in self.styles.looks[name].items():
            setattr(cell, attribute, setting)
        return cell

    def append(self, values: Sequence[Any], styles: Sequence[str | None] | None = None) -> int:
        names = list(styles or ())
        return self.add(values, Columns(self.styles, names), blanks=True)

    def skip(self, count: int = 1) -> None:
        for _ in range(count):
            self.add([], Columns(self.styles, []))

    def merge(self, ref: str, value: Any, style: str | None = None) -> None:
        """Merge `ref` showing `value` styled `style`: on the row being written or a later one
        (the value is written with that row)."""
        first_column, first_row, _, _ = range_boundaries(ref)
        self.merged_values.setdefault(first_row, {})[first_column - 1] = (value, style)
        if ":" in ref and ref.split(":")[0] != ref.split(":")[1]:
            self.ws.merged_cells.add(ref)

    def validate_list(self, sqref: str, source: str | Sequence[str], *,
                      error: str = "Choose a value from the list.", title: str | None = "S&OP",
                      show_error: bool = True, allow_blank: bool = True) -> None:
        formula = source if isinstance(source, str) else '"' + ",".join(source) + '"'
        validation = DataValidation(type="list", formula1=formula, allow_blank=allow_blank,
                                    showErrorMessage=show_error, errorTitle=title, error=error)
        validation.sqref = sqref  # type: ignore[assignment]
        self.ws.data_validations.append(validation)

    def refuse_typing(self, sqref: str, error: str) -> None:
        """Excel refuses a value typed into `sqref` (a validation no value passes), saying
        `error`: cells the portal fills and never reads back."""
        validation = DataValidation(type="custom", formula1="FALSE", allow_blank=False,
                                    showErrorMessage=True, errorTitle="S&OP", error=error)
        validation.sqref = sqref  # type: ignore[assignment]
        self.ws.data_validations.append(validation)

    def paint(self, sqref: str, look: DifferentialStyle) -> None:
        """Give every cell of `sqref` (space-separated ranges) a look, whatever it holds."""
        if sqref.strip():
            self.ws.conditional_formatting.add(
                sqref, Rule(type="expression", dxf=look, formula=["TRUE"]))
