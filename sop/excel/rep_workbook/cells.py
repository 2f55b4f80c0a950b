"""The cells of an uploaded rep workbook, as the rep saw them in Excel.

Values come from the one row source of uploads (sop.excel.rows, python-calamine), for .xlsx,
.xlsb, .xls and .ods alike: the saved value of every cell, formulas included (the number Excel
showed), dates as dates (1900 and 1904 epochs).

Formulas: calamine's Python binding does not say which cells hold one, and openpyxl's reader,
which does, takes 4-6 s on a real 27-sheet workbook (measured on the two files of
shared/workbooks). The reader only needs formulas to *say* which numbers came from one, and to
refuse a formula that has no saved value, so for .xlsx one scan of each sheet's XML finds the
formula and error cells (`<c r=..><f>..</f><v>..</v>`, the one shape SpreadsheetML gives them)
of the columns read: 0.1-0.3 s for those files. Values are never taken from that scan. An
.xlsb, .xls or .ods file does not get this index: its formulas are read as their saved values
without a note. (The file passed sop.excel.safety first: no DTD in any XML part.)
"""

from __future__ import annotations

import html
import io
import re
import zipfile
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import cache, cached_property, partial
from typing import Any, NamedTuple

from defusedxml import DefusedXmlException, ElementTree
from openpyxl.formula.translate import Translator, TranslatorError
from openpyxl.utils import column_index_from_string, get_column_letter

from sop.excel.rows import UploadedBook
from sop.excel.safety import DAMAGED, MAX_ROWS, NO_DTD, XLSX_MAGIC, UnsafeWorkbook

Value = float | str | bool | date | datetime | time | timedelta | None
MAIN_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
REL_NS = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
PACKAGE_REL_NS = "{http://schemas.openxmlformats.org/package/2006/relationships}"
FORMULA = (rb"<c r=\"(%s)(\d+)\"[^>]*>"  # Excel, LibreOffice, openpyxl, XlsxWriter: r first
           rb"<f\b([^>]*?)(?:/>|>([^<]*)</f>)(?:<v>([^<]*)</v>)?")
ERROR_TYPE = re.compile(rb't="e"')  # a literal: found by a fast scan (a leading \b scans slowly)
VALUE = re.compile(rb"<v>([^<]*)</v>")
REFERENCE = re.compile(rb'\sr="([A-Z]{1,3})(\d+)"')
PARSED_AHEAD = 4  # sheets parsed before they are read: the parsing thread never waits
CELL_REACH = 120  # bytes from a cell's start to its formula or type: its attributes
ATTRIBUTE = re.compile(rb'\b(t|si|ref)="([^"]*)"')


class CellFormula(NamedTuple):
    """A formula cell: whether the file carries its saved value, and its text (without '=';
    None when unknown). A shared formula is stored by Excel once, at its first cell: the
    others get their text translated from it when asked (`text`), which is rarely."""

    own_text: str | None
    saved: bool
    shared_from: tuple[str, str] | None = None  # (first cell's text, its reference)
    at: str = ""  # this cell's reference, for the translation

    @property
    def text(self) -> str | None:
        if self.own_text is not None or self.shared_from is None:
            return self.own_text
        master, origin = self.shared_from
        try:
            return Translator("=" + master, origin=origin).translate_formula(self.at)[1:]
        except (TranslatorError, ValueError):
            return None


@dataclass
class SheetCells:
    """One sheet: `rows[i]` is row i + 1 (blank cells None), each at most `columns` wide;
    `formulas` and `errors` (cells showing #REF! and the like) by (row, 0-based column),
    indexed from the sheet's XML (`xml`, read then) the first time they are asked for: a sheet
    that turns out not to be a customer's (the Summary's thousands of long SUMIFs) is never
    inflated a second time nor scanned."""

    name: str
    rows: list[tuple[Value, ...]]
    columns: int = 0
    xml: Callable[[], bytes] | None = None

    @cached_property
    def formulas(self) -> dict[tuple[int, int], CellFormula]:
        return self._index[0]

    @cached_property
    def errors(self) -> dict[tuple[int, int], str]:
        return self._index[1]

    @cached_property
    def _index(self) -> tuple[dict[tuple[int, int], CellFormula], dict[tuple[int, int], str]]:
        if self.xml is None:
            return {}, {}
        return _index_formulas(self.xml(), self.columns)

    def formula(self, row: int, column: int) -> CellFormula | None:
        return self.formulas.get((row, column))


def read_sheets(data: bytes, columns: int, max_rows: int = MAX_ROWS,
                progress: Callable[[int, int], None] | None = None) -> Iterator[SheetCells]:
    """Every worksheet of a workbook (.xlsx, .xlsb, .xls, .ods), in file order, through the
    one row source (sop.excel.rows; UnsafeWorkbook when it cannot be read, or a sheet is
    longer than `max_rows`); `progress(read, total)` after each sheet. One thread parses the
    next few sheets while this one reads those already parsed: calamine parses without the
    interpreter lock, and the parsing is a third of a 30-sheet preview. (One workbook cannot
    be parsed by two threads at once; inflating the sheets' XML there too was slower: each
    hand-back of the lock waits for this thread's switch interval.)"""
    archive, names = _archive(data)
    parts = _sheet_parts(archive) if "xl/workbook.xml" in names else {}
    with UploadedBook(data) as book, _parser() as parser:
        worksheets = book.worksheets
        ahead = deque(parser.submit(book.sheet, name) for name in worksheets[:PARSED_AHEAD])
        for done, name in enumerate(worksheets, start=1):
            found = ahead.popleft().result()
            if done + PARSED_AHEAD <= len(worksheets):
                ahead.append(parser.submit(book.sheet, worksheets[done + PARSED_AHEAD - 1]))
            if found.height > max_rows:
                raise UnsafeWorkbook(
                    f"Sheet '{name}' has {found.height:,} rows; a sheet of a rep workbook has "
                    f"at most {max_rows:,} (one per item; the setting rep_workbook_max_rows). "
                    "Delete the rows below the data, or upload the rep workbook itself.")
            rows = [tuple([None if value == "" else value for value in row[:columns]])
                    for row in found.rows()]
            part = parts.get(name)
            xml = (partial(archive.read, part) if archive is not None and part in names
                   else None)
            yield SheetCells(name, rows, columns, xml)
            if progress is not None:
                progress(done, len(worksheets))


@contextmanager
def _parser() -> Iterator[ThreadPoolExecutor]:
    """The parsing thread; once the reading stops (done, or a sheet refused), the sheets not
    begun are dropped and the one being parsed is waited for before the workbook closes."""
    parser = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sheet-parser")
    try:
        yield parser
    finally:
        parser.shutdown(wait=True, cancel_futures=True)


def _archive(data: bytes) -> tuple[zipfile.ZipFile | None, set[str]]:
    """The zip container of an .xlsx/.xlsb/.ods file (None for a legacy .xls)."""
    if not data.startswith(XLSX_MAGIC):
        return None, set()
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        return archive, set(archive.namelist())
    except (zipfile.BadZipFile, OSError, ValueError):
        raise DAMAGED from None


def _sheet_parts(archive: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name → its XML part, from the workbook's own list and relationships."""
    try:
        workbook = ElementTree.fromstring(archive.read("xl/workbook.xml"))
        relations = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    except (KeyError, ElementTree.ParseError):
        return {}
    except DefusedXmlException:
        raise NO_DTD from None
    targets = {rel.get("Id"): rel.get("Target", "")
               for rel in relations.iter(f"{PACKAGE_REL_NS}Relationship")}
    parts = {}
    for sheet in workbook.iter(f"{MAIN_NS}sheet"):
        target = targets.get(sheet.get(f"{REL_NS}id"), "")
        if target:
            parts[sheet.get("name", "")] = (target.lstrip("/") if target.startswith("/")
                                            else "xl/" + target)
    return parts


@cache
def _column(letters: bytes) -> int:
    return column_index_from_string(letters.decode()) - 1


@cache
def _formula_pattern(columns: int) -> re.Pattern[bytes]:
    """Formula cells of the first `columns` columns only (the sales formulas after them are
    most of a rep workbook's formulas), as character classes of their letters: `[A-Z]|A[A-P]`
    for 42 columns."""
    last = get_column_letter(max(1, min(columns, 702)))
    if len(last) == 1:
        letters = f"[A-{last}]"
    else:
        letters = "[A-Z]"
        if last[0] > "A":
            letters += f"|[A-{chr(ord(last[0]) - 1)}][A-Z]"
        letters += f"|{last[0]}[A-{last[1]}]"
    return re.compile(FORMULA % letters.encode())


def _index_formulas(xml: bytes, columns: int) -> tuple[dict[tuple[int, int], CellFormula],
                                                       dict[tuple[int, int], str]]:
    """The formula cells and the error cells of a sheet's first `columns` columns."""
    formulas: dict[tuple[int, int], CellFormula] = {}
    errors: dict[tuple[int, int], str] = {}
    masters: dict[bytes, tuple[str, str]] = {}  # shared formula id → (text, its cell)
    followers: list[tuple[int, int, bytes, str, bool]] = []
    for match in _formula_pattern(columns).finditer(xml):
        letters, digits, formula_attributes, text, saved = match.groups()
        row, column = int(digits), _column(letters)
        if b'"shared"' in formula_attributes:
            reference = (letters + digits).decode()
            shared_id = dict(ATTRIBUTE.findall(formula_attributes)).get(b"si", b"")
            if text:
                masters[shared_id] = (html.unescape(text.decode("utf-8", "replace")), reference)
            else:
                followers.append((row, column, shared_id, reference, bool(saved)))
                continue
        formulas[(row, column)] = CellFormula(
            html.unescape(text.decode("utf-8", "replace")) if text else None, bool(saved))
    for row, column, shared_id, reference, saved in followers:
        formulas[(row, column)] = CellFormula(None, saved, masters.get(shared_id), reference)
    for match in ERROR_TYPE.finditer(xml):
        if not xml[match.start() - 1:match.start()].isspace():
            continue  # the end of another attribute's name (`xt="e"`)
        where = _cell_at(xml, match.start())
        value = VALUE.search(xml, match.end(), match.end() + 4 * CELL_REACH)
        if where is not None and where[1] < columns and value is not None:
            errors[(where[0], where[1])] = value.group(1).decode("utf-8", "replace")
    return formulas, errors


def _cell_at(xml: bytes, inside: int) -> tuple[int, int, str] | None:
    """(row, 0-based column, reference) of the cell element that `inside` is in."""
    start = xml.rfind(b"<", max(0, inside - CELL_REACH), inside)
    while start > 0 and xml[start + 1:start + 2] in (b"f", b"/"):
        start = xml.rfind(b"<", max(0, start - CELL_REACH), start)
    where = REFERENCE.search(xml, start, inside) if start >= 0 else None
    if where is None:
        return None
    return int(where.group(2)), _column(where.group(1)), (where.group(1) + where.group(2)).decode()



def cell(values: tuple[Any, ...], index: int) -> Any:
    return values[index] if index < len(values) else None
