"""Streaming workbooks both ways over openpyxl, with the two places where its stock behaviour
is too slow for our sizes adjusted (this module is where openpyxl internals are touched; the
version is pinned, and tests/excel/test_streaming.py and test_masterdata_reader.py compare
both with stock openpyxl).

Writing: `StreamingWorkbook` is openpyxl's write-only workbook whose sheets take a styled
cell in an appended row directly. Stock openpyxl first tries to bind each value as a plain value
and, for a cell, raises and catches a ValueError whose message holds the cell's repr, then makes
a fresh cell for the next column: for a report where most cells carry a number format that is
half the writing time. And a `FixedStyleCell` (a data cell reused row after row, see
sop.excel.sheets.Columns) looks its style up in the workbook once, not once per row as a stock
cell does (hashing its style twice). The XML is still written by openpyxl's own cell writer.

Reading: openpyxl's read-only mode sizes every sheet when it opens the workbook. Excel writes
the size (`<dimension>`) at the head of each sheet, but openpyxl's own write-only mode and some
other exporters write none, and then openpyxl parses the whole sheet once just to size it: for a
480,000-row file that is a full extra pass, as long as the read itself. The readers here never
need the size (rows are read as they come, each as wide as the reader asks), so a sheet is
sized from the head of its XML when it declares a dimension there and left unsized otherwise.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any, BinaryIO

from openpyxl.cell import Cell, WriteOnlyCell
from openpyxl.reader.excel import ExcelReader
from openpyxl.styles.cell_style import StyleArray
from openpyxl.utils.cell import range_boundaries
from openpyxl.workbook import Workbook
from openpyxl.worksheet._read_only import ReadOnlyWorksheet
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

HEAD_BYTES = 4096
DIMENSION = re.compile(rb'<dimension ref="([A-Z]{1,3}\d+(?::[A-Z]{1,3}\d+)?)"')


class HeadSizedWorksheet(ReadOnlyWorksheet):
    """A read-only sheet sized from its head, or unsized (max_row and max_column None)."""

    def _get_size(self) -> None:
        with self._get_source() as source:
            head = source.read(HEAD_BYTES)
        match = DIMENSION.search(head)
        if match is not None:
            (self._min_column, self._min_row, self._max_column,
             self._max_row) = range_boundaries(match.group(1).decode())


class _StreamingReader(ExcelReader):
    def read_worksheets(self) -> None:
        """The read-only branch of openpyxl's, with head-sized sheets."""
        for sheet, rel in self.parser.find_sheets():
            if rel.target not in self.valid_files:
                continue
            if "chartsheet" in rel.Type:
                self.read_chartsheet(sheet, rel)  # kept: defined names count sheets by index
                continue
            worksheet = HeadSizedWorksheet(self.wb, sheet.name, rel.target, self.shared_strings)
            worksheet.sheet_state = sheet.state
            self.wb._sheets.append(worksheet)


def open_streaming(source: BinaryIO | Any) -> Workbook:
    """The workbook in openpyxl's read-only mode, formulas kept as formulas (never their cached
    values), sheets never sized by a scan. Close it after use."""
    reader = _StreamingReader(source, read_only=True, data_only=False)
    reader.read()
    return reader.wb


class CellRowsWorksheet(WriteOnlyWorksheet):
    """openpyxl's write-only sheet; a cell in an appended row is written as it is."""

    def _values_to_row(self, values: Iterable[Any], row_idx: int) -> Iterator[Cell]:
        """openpyxl's, with a cell recognised by its type instead of by a failed bind."""
        plain = WriteOnlyCell(self)
        for col_idx, value in enumerate(values, 1):
            if value is None:
                continue
            cell = value if isinstance(value, Cell) else plain
            if cell is plain:
                plain.value = value
            cell.column = col_idx
            cell.row = row_idx
            if cell.hyperlink is not None:
                cell.hyperlink.ref = cell.coordinate
            yield cell
            if cell is plain and plain.has_style:  # a date got a date format
                plain = WriteOnlyCell(self)


class StreamingWorkbook(Workbook):
    """A write-only workbook whose sheets are `CellRowsWorksheet`s."""

    def __init__(self) -> None:
        super().__init__(write_only=True)

    def create_sheet(self, title: str | None = None, index: int | None = None
                     ) -> CellRowsWorksheet:
        sheet = CellRowsWorksheet(parent=self, title=title)
        self._add_sheet(sheet=sheet, index=index)
        return sheet


class FixedStyle(StyleArray):
    """A cell style that can no longer change (changing it raises TypeError)."""

    __slots__ = ()

    def __setitem__(self, index: Any, value: Any) -> None:
        raise TypeError("This cell's style is fixed: style a new cell instead.")


class FixedStyleCell(Cell):
    """A write-only cell with the style of `model`, fixed, its style id looked up once."""

    __slots__ = ("_style_id",)

    def __init__(self, model: Cell) -> None:
        super().__init__(model.parent, row=1, column=1)  # as openpyxl's WriteOnlyCell
        self._style = FixedStyle(model._style or StyleArray())
        self._style_id = super().style_id

    @property
    def style_id(self) -> int:
        return self._style_id
