"""Every generated workbook (list exports, import templates, problems files, the rep workbook,
the consolidated plan, reports) is written here, over XlsxWriter.

`Book` is one workbook; `Styles`, its named formats (`style(name, bold=..., fill=...)` once,
then the name wherever a cell takes it); `Sheet`, one sheet written row after row. A big book
is written in XlsxWriter's constant-memory mode: each row goes to a temporary file when the
next one starts, so a 20,000-line report never sits in memory as cells (rows in order, and a
merged range on one row only); a book whose writer needs merges over several rows (the rep
workbook) keeps its cells until it is closed.

Text from user data never turns into a formula, a number, a link or an error value: strings
are always written as strings (XlsxWriter's conversions off), text starting with a formula
character carries Excel's quote prefix (it stays text when the user edits the cell), and the
control characters an xlsx cannot hold are left out (stored before they were refused at the
door, they must not make an export fail; sop.user_input.clean_text). A `Formula` is the only
way to write one.
Pure functions: no Flask, no database.
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Sequence
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

import xlsxwriter
from xlsxwriter.format import Format

from sop.user_input import clean_text

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
BORDER_GREY = "#B7B7B7"
# A date or time in a column without a date format gets the format of its type (the ones
# openpyxl gave them, which the files had before).
DATE_FORMATS = {datetime: "yyyy-mm-dd h:mm:ss", date: "yyyy-mm-dd", time: "h:mm:ss"}
QUOTED_TEXT = re.compile(r'"[^"]*"|\\.|\[[^\]]*\]')
DATE_CODES = re.compile(r"[dmyhs]", re.IGNORECASE)
OPTIONS = {"strings_to_formulas": False, "strings_to_numbers": False, "strings_to_urls": False}


class Formula(str):
    """A formula to write (starting with '='); a plain str is always written as text."""


def is_date_format(number_format: str | None) -> bool:
    """Whether a number format shows a date or time (its codes outside quoted text)."""
    return bool(number_format) and bool(DATE_CODES.search(QUOTED_TEXT.sub("", number_format)))


class Book:
    """One workbook being written, to `target` (a path) or to bytes (`close()` returns them).
    `streaming`: XlsxWriter's constant-memory mode (see the module's docstring)."""

    def __init__(self, target: str | Path | None = None, streaming: bool = True) -> None:
        self.buffer = io.BytesIO() if target is None else None
        self.xlsx = xlsxwriter.Workbook(str(target) if target is not None else self.buffer,
                                        {**OPTIONS, "constant_memory": streaming})

    def sheet(self, styles: Styles, title: str, widths: dict[int, float] | None = None,
              freeze: str | None = None) -> Sheet:
        return Sheet(self, styles, title, widths, freeze)

    def close(self) -> bytes:
        """Write the file; its bytes when it was written to memory (b"" for a path)."""
        self.xlsx.close()
        return self.buffer.getvalue() if self.buffer is not None else b""


class Styles:
    """Named cell formats of one book, and the conditional-format looks (`look`)."""

    def __init__(self, book: Book, date_formats: dict[type, str] | None = None) -> None:
        self.xlsx = book.xlsx
        self.formats: dict[str | None, Format | None] = {None: None}
        self.properties: dict[str | None, dict[str, Any]] = {None: {}}
        self.quoted: dict[str | None, Format] = {}
        self.dates = {kind: self.xlsx.add_format({"num_format": code})
                      for kind, code in (date_formats or DATE_FORMATS).items()}

    def style(self, name: str, *, bold: bool = False, italic: bool = False, size: float = 11,
              color: str | None = None, fill: str | None = None, border: bool = False,
              number_format: str | None = None, wrap: bool = False, center: bool = False,
              middle: bool = False, locked: bool | None = None) -> None:
        """Register the format `name` (`middle`: vertically centred without `center`)."""
        properties: dict[str, Any] = {}
        if bold:
            properties["bold"] = True
        if italic:
            properties["italic"] = True
        if size != 11:
            properties["font_size"] = size
        if color:
            properties["font_color"] = "#" + color
        if fill:
            properties.update(pattern=1, bg_color="#" + fill)
        if border:
            properties.update(border=1, border_color=BORDER_GREY)
        if number_format:
            properties["num_format"] = number_format
        if center:
            properties.update(align="center", valign="vcenter")
        elif middle:
            properties["valign"] = "vcenter"
        if wrap:
            properties["text_wrap"] = True
        if locked is not None:
            properties["locked"] = locked
        self.properties[name] = properties
        self.formats[name] = self.xlsx.add_format(properties)

    def number_format(self, name: str | None) -> str | None:
        return self.properties[name].get("num_format")

    def quoted_format(self, name: str | None) -> Format:
        """The format `name` with Excel's quote prefix (text that starts like a formula)."""
        found = self.quoted.get(name)
        if found is None:
            found = self.quoted[name] = self.xlsx.add_format(
                {**self.properties[name], "quote_prefix": True})
        return found

    def look(self, *, fill: str | None = None, bold: bool = False,
             number_format: str | None = None, border: bool = False) -> Format:
        """A conditional format's look (see `Sheet.paint`)."""
        properties: dict[str, Any] = {}
        if fill:
            properties.update(pattern=1, bg_color="#" + fill)
        if bold:
            properties["bold"] = True
        if border:
            properties.update(border=1, border_color=BORDER_GREY)
        if number_format:
            properties["num_format"] = number_format
        return self.xlsx.add_format(properties)


class Columns:
    """The formats of a sheet's data rows, one per column (None: none), looked up once."""

    def __init__(self, styles: Styles, names: Sequence[str | None]) -> None:
        self.styles = styles
        self.names = list(names)
        self.formats = [styles.formats[name] for name in self.names]
        self.dated = [is_date_format(styles.number_format(name)) for name in self.names]

    def replaced(self, index: int, other: Columns) -> Columns:
        """These columns with column `index` taken from `other` (a row's odd value)."""
        mixed = Columns(self.styles, [])
        for field in ("names", "formats", "dated"):
            values = list(getattr(self, field))
            values[index] = getattr(other, field)[index]
            setattr(mixed, field, values)
        return mixed


class Sheet:
    """A sheet written row after row, counting its rows (`rows`: the last one written)."""

    def __init__(self, book: Book, styles: Styles, title: str,
                 widths: dict[int, float] | None = None, freeze: str | None = None) -> None:
        self.ws = book.xlsx.add_worksheet(title)
        self.styles = styles
        self.title = title
        self.rows = 0
        for column, width in (widths or {}).items():
            self.ws.set_column(column - 1, column - 1, width)
        if freeze:
            self.ws.freeze_panes(freeze)

    def columns(self, names: Sequence[str | None]) -> Columns:
        """Data-row formats `names[i]` (None: plain) for `add`."""
        return Columns(self.styles, names)

    def add(self, values: Sequence[Any], columns: Columns) -> int:
        """The next row: `values[i]` in column i+1 with `columns`' format (None, NaN and
        infinities: empty; str always text; Formula a formula; a date or time keeps a date
        format, its time zone dropped: the portal writes UTC). Returns the row number."""
        ws, styles = self.ws, self.styles
        row = self.rows
        formats, dated, names = columns.formats, columns.dated, columns.names
        width = len(formats)
        number, string, formula = ws.write_number, ws.write_string, ws.write_formula
        for index, value in enumerate(values):
            if value is None:
                continue
            kind = type(value)
            cell_format = formats[index] if index < width else None
            if kind is float:
                if math.isfinite(value):
                    number(row, index, value, cell_format)
            elif kind is int:
                number(row, index, value, cell_format)
            elif kind is Formula:
                formula(row, index, value, cell_format, "")  # no saved value: Excel computes
            elif kind is str:
                value = clean_text(value)
                if value.startswith(FORMULA_TRIGGERS):
                    cell_format = styles.quoted_format(names[index] if index < width else None)
                string(row, index, value, cell_format)
            elif kind is bool:
                ws.write_boolean(row, index, value, cell_format)
            elif isinstance(value, date | time):
                if getattr(value, "tzinfo", None) is not None:
                    value = value.replace(tzinfo=None)
                if index >= width or not dated[index]:
                    cell_format = styles.dates[datetime if isinstance(value, datetime) else
                                               date if isinstance(value, date) else time]
                ws.write_datetime(row, index, value, cell_format)
            elif isinstance(value, int | float):  # numpy-free subclasses: IntEnum and the like
                number(row, index, float(value), cell_format)
            else:
                raise TypeError(f"Cannot write a {kind.__name__} to a cell.")
        self.rows += 1
        return self.rows

    def append(self, values: Sequence[Any], styles: Sequence[str | None] | None = None) -> int:
        """The next row: `values[i]` to column i+1, styled `styles[i]` when given and not None
        (Formula values are formulas, str values always text; an empty styled cell shows its
        fill, as a totals row's). Returns the row number."""
        names = list(styles or ())
        names += [None] * (len(values) - len(names))
        row = self.rows
        for index, (value, name) in enumerate(zip(values, names, strict=False)):
            if value is None and name is not None:
                self.ws.write_blank(row, index, None, self.styles.formats[name])
        return self.add(values, Columns(self.styles, names))

    def skip(self, count: int = 1) -> None:
        self.rows += count

    def merge(self, ref: str, value: Any, style: str | None = None) -> None:
        """Merge `ref` showing `value` styled `style`. In a streaming book, on the row being
        written (or a later one) and within one row."""
        if isinstance(value, str):
            value = clean_text(value)
        first, _, last = ref.partition(":")
        if last and last != first:
            self.ws.merge_range(ref, value, self.styles.formats[style])
        else:  # one cell: nothing to merge
            self.ws.write(first, value, self.styles.formats[style])

    def autofilter(self, ref: str) -> None:
        self.ws.autofilter(ref)

    def validate_list(self, sqref: str, source: str | Sequence[str], *,
                      error: str = "Choose a value from the list.", title: str | None = "S&OP",
                      show_error: bool = True, allow_blank: bool = True) -> None:
        """A drop-down over `sqref` (space-separated ranges) from a range (a formula such as
        "List!$B$2:$B$5") or from fixed choices."""
        options: dict[str, Any] = {
            "validate": "list", "source": source if isinstance(source, str) else list(source),
            "ignore_blank": allow_blank, "show_error": show_error, "error_message": error,
            "multi_range": sqref}
        if title:
            options["error_title"] = title
        self.ws.data_validation(sqref.split()[0], options)

    def paint(self, sqref: str, look: Format) -> None:
        """Give every cell of `sqref` (space-separated ranges) a look, whatever it holds."""
        if sqref.strip():
            self.ws.conditional_format(sqref.split()[0], {
                "type": "formula", "criteria": "TRUE", "format": look, "multi_range": sqref})
