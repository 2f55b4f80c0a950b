"""The one row source of every uploaded workbook (master data, sales history, the budget
pivot, rep workbooks): python-calamine, for .xlsx, .xlsb, .xls and .ods alike.

What a row holds is what Excel showed: the saved value of a formula (calamine reads no
formula text; an .xlsx rep workbook's formulas are indexed apart, sop.excel.rep_workbook.cells),
dates as `date` (a whole day) or `datetime`, in the 1900 or the 1904 date system the file
declares, a duration format as `timedelta`, numbers as float (int from .xls and .ods), booleans
as bool. A blank cell, an error value (#REF!) and a formula that was never calculated are all
"" — calamine's blank. Rows are numbered from 1 and start at column A, whatever the sheet's
used range. The file must have passed sop.excel.safety.inspect_upload first.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from python_calamine import CalamineError, CalamineSheet, CalamineWorkbook, PasswordError

from sop.excel.safety import UnsafeWorkbook

Value = float | int | str | bool | date | datetime | time | timedelta
BLANK = ""

DAMAGED = UnsafeWorkbook("The file is damaged (not a readable workbook). Open it in Excel, "
                         "save it again and upload the new copy.")
PASSWORD = UnsafeWorkbook("This workbook is password-protected: remove the password in Excel "
                          "(File > Info > Protect Workbook), save it and upload it again.")


class UploadedBook:
    """An uploaded workbook open for reading; use it as a context manager (or `close()`).
    `source`: the file's bytes, or the path of a file named by its format (an import's
    upload, spooled out of GridFS: sop.uploads.spooled_upload), which calamine reads in
    place; a file-like object it would copy whole into memory and keep while parsing (22 MB
    for the 480,000-row sales history), and it picks its reader by the extension."""

    def __init__(self, source: bytes | Path) -> None:
        try:
            self.book = (CalamineWorkbook.from_filelike(io.BytesIO(source))
                         if isinstance(source, bytes | bytearray)
                         else CalamineWorkbook.from_path(str(source)))
        except PasswordError:
            raise PASSWORD from None
        except (CalamineError, ValueError, OSError):
            raise DAMAGED from None

    def __enter__(self) -> UploadedBook:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.book.close()

    @property
    def worksheets(self) -> list[str]:
        """The names of the worksheets (not chart sheets), in the workbook's order."""
        return [sheet.name for sheet in self.book.sheets_metadata
                if str(sheet.typ).rsplit(".", 1)[-1] == "WorkSheet"]

    def sheet(self, name: str) -> SheetRows:
        try:
            return SheetRows(name, self.book.get_sheet_by_name(name))
        except PasswordError:
            raise PASSWORD from None
        except (CalamineError, ValueError):
            raise DAMAGED from None


class SheetRows:
    """One sheet's rows: `rows()` lazily, `height` (the last row with a value) without reading
    them. Each row is a list from column A (blanks ""), as long as the sheet's used range."""

    def __init__(self, name: str, sheet: CalamineSheet) -> None:
        self.name = name
        self.calamine = sheet
        start = sheet.start
        self.first_column = start[1] if start is not None else 0
        self.height = sheet.end[0] + 1 if sheet.end is not None else 0

    def rows(self) -> Iterator[list[Any]]:
        """Row 1, row 2, ... to the last row with a value."""
        rows = self.calamine.iter_rows()
        if not self.first_column:
            return rows
        pad = [BLANK] * self.first_column
        return (pad + row for row in rows)

    def first_row(self) -> list[Any]:
        return next(iter(self.rows()), [])


def blank(value: Any) -> bool:
    """A cell with nothing in it, or only spaces."""
    return value is None or (type(value) is str and not value.strip())
