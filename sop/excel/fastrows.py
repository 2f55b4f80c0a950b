"""Rows of a write-only sheet rendered straight to SpreadsheetML, for the big generated
workbooks (the consolidated plan, reports): openpyxl spends ~10 µs on each styled cell (a cell
object, a value check, a style look-up, an XML element); here a row of values and pre-looked-up
style ids becomes one string, and a thousand rows at a time are written into openpyxl's own sheet
stream, in order with the rows appended the usual way.

The XML is what openpyxl writes itself: numbers as `<v>`, text inline (`t="inlineStr"`, with
xml:space="preserve" when it has edge spaces), formulas as `<f>`, dates as Excel serial numbers
(their format comes from the style). Pure functions over openpyxl; no Flask, no database.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from openpyxl import LXML
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles.cell_style import StyleArray
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import to_excel
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from openpyxl.worksheet._writer import WorksheetWriter
from openpyxl.xml.constants import SHEET_MAIN_NS
from openpyxl.xml.functions import xmlfile

from sop.excel.writer import DATE_FORMAT, DATETIME_FORMAT, FORMULA_TRIGGERS

FLUSH_ROWS = 1000
LETTERS = [get_column_letter(i) for i in range(1, 16385)]


class Formula(str):
    """A formula to write (starting with '='); a plain str is always written as text."""


class _Flush(tuple):
    """Sent down the sheet's row stream: write the pending rendered rows now."""


FLUSH = _Flush()


def _text(value: str) -> str:
    if ILLEGAL_CHARACTERS_RE.search(value):
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class RowStream:
    """The rendered-row channel of one write-only sheet. Create it before the sheet's first
    row; then `add(number, values, styles)` renders a row and `ws.append` keeps working for
    rows written the usual way (pending rendered rows go out first)."""

    def __init__(self, ws: WriteOnlyWorksheet) -> None:
        self.ws = ws
        self.pending: list[str] = []
        if not LXML:  # lxml is a requirement; openpyxl without it writes another way
            raise RuntimeError("Fast rows need openpyxl's lxml writer (pip install lxml).")
        ws._writer = _RawWriter(ws)
        ws._writer.write_top()
        ws._write_rows = self._write_rows  # type: ignore[method-assign]
        ws._rows = self._write_rows()
        next(ws._rows)
        self._epoch = ws.parent.epoch
        self._quoted: dict[str, str] = {}
        self._dated = {}  # a date written without a style still shows as a date
        for number_format in (DATE_FORMAT, DATETIME_FORMAT):
            cell = WriteOnlyCell(ws)
            cell.number_format = number_format
            self._dated[number_format] = self.style(cell._style)

    def style(self, style: Any) -> str:
        """The ` s="N"` attribute of a prototype style (sop.excel.sheets.Styles)."""
        return f' s="{self.ws.parent._cell_styles.add(style)}"'

    def quoted(self, attribute: str) -> str:
        """The same style with quotePrefix: text that looks like a formula stays text."""
        found = self._quoted.get(attribute)
        if found is None:
            cell_styles = self.ws.parent._cell_styles
            base = cell_styles[int(attribute[4:-1])] if attribute else None
            style = StyleArray(base) if base is not None else StyleArray()
            style.quotePrefix = 1
            found = self._quoted[attribute] = f' s="{cell_styles.add(style)}"'
        return found

    def add(self, number: int, values: Sequence[Any], styles: Sequence[str]) -> None:
        """Row `number`: `values[i]` in column i+1 with the style attribute `styles[i]`
        ("" = none: a date then gets yyyy-mm-dd, with its time when it has one). None is an
        empty cell; float NaN and infinity too."""
        parts = [f'<row r="{number}">']
        append = parts.append
        row = str(number)
        for index, value in enumerate(values):
            if value is None:
                continue
            kind = type(value)
            ref = LETTERS[index] + row
            style = styles[index]
            if kind is float:
                if value != value or value in (float("inf"), float("-inf")):
                    continue
                append(f'<c r="{ref}"{style}><v>{value!r}</v></c>')
            elif kind is int:
                append(f'<c r="{ref}"{style}><v>{value}</v></c>')
            elif kind is str:
                if value.startswith(FORMULA_TRIGGERS):
                    style = self.quoted(style)
                space = ' xml:space="preserve"' if value != value.strip() else ""
                append(f'<c r="{ref}"{style} t="inlineStr"><is><t{space}>{_text(value)}'
                       f'</t></is></c>')
            elif kind is Formula:
                append(f'<c r="{ref}"{style}><f>{_text(value[1:])}</f><v></v></c>')
            elif kind is bool:
                append(f'<c r="{ref}"{style} t="b"><v>{int(value)}</v></c>')
            elif isinstance(value, date):
                if isinstance(value, datetime):
                    if value.tzinfo is not None:  # Excel has no time zones: the portal is UTC
                        value = value.replace(tzinfo=None)
                    style = style or self._dated[DATETIME_FORMAT]
                else:
                    style = style or self._dated[DATE_FORMAT]
                append(f'<c r="{ref}"{style}><v>{to_excel(value, self._epoch)!r}</v></c>')
            else:
                append(f'<c r="{ref}"{style}><v>{float(value)!r}</v></c>')
        append("</row>")
        self.pending.append("".join(parts))
        if len(self.pending) >= FLUSH_ROWS:
            self.ws.append(FLUSH)

    def _write_rows(self):
        """openpyxl's WriteOnlyWorksheet._write_rows, also writing the pending rendered rows
        (before each usual row, on FLUSH, and when the sheet closes)."""
        ws = self.ws
        writer = ws._writer
        xf = writer.xf.send(True)
        row_idx = 1

        def flush() -> None:
            nonlocal row_idx
            if self.pending:
                xf.flush()  # what lxml holds goes first, then the rows, as bytes
                writer.file.write("".join(self.pending).encode())
                row_idx += len(self.pending)
                self.pending = []

        with xf.element("sheetData"):
            try:
                while True:
                    row = (yield)
                    flush()
                    if row is FLUSH:
                        continue
                    writer.write_row(xf, ws._values_to_row(row, row_idx), row_idx)
                    row_idx += 1
            except GeneratorExit:
                flush()
        writer.xf.send(None)


class _RawWriter(WorksheetWriter):
    """openpyxl's sheet writer on a file object this module holds, so that rendered rows can
    be written to it as they are (openpyxl's own opens the file inside lxml)."""

    def get_stream(self):
        self.file = open(self.out, "wb")  # noqa: SIM115 - closed in close()
        with xmlfile(self.file) as xf, xf.element("worksheet", xmlns=SHEET_MAIN_NS):
            try:
                while True:
                    element = (yield)
                    if element is True:
                        yield xf
                    elif element is not None:
                        xf.write(element)
            except GeneratorExit:
                pass

    def close(self) -> None:
        super().close()
        self.file.close()
