"""Streaming reads over openpyxl (to be replaced by the calamine row source).

Reading: openpyxl's read-only mode sizes every sheet when it opens the workbook. Excel writes
the size (`<dimension>`) at the head of each sheet, but openpyxl's own write-only mode and some
other exporters write none, and then openpyxl parses the whole sheet once just to size it: for a
480,000-row file that is a full extra pass, as long as the read itself. The readers here never
need the size (rows are read as they come, each as wide as the reader asks), so a sheet is
sized from the head of its XML when it declares a dimension there and left unsized otherwise.
"""

from __future__ import annotations

import re
from typing import Any, BinaryIO

from openpyxl.reader.excel import ExcelReader
from openpyxl.utils.cell import range_boundaries
from openpyxl.workbook import Workbook
from openpyxl.worksheet._read_only import ReadOnlyWorksheet

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
