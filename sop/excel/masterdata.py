"""Reading a master-data import (DOMAIN.md §5.4): one streaming reader for every kind of
sop.excel.import_formats, and the problems it finds (the files handed back about them:
sop.excel.import_files).

The reader reads the first sheet whose row 1 holds the kind's required headers (matched
case-insensitively, ignoring `*` and spaces); other sheets — such as the template's "Example"
sheet — are never read. Values are the ones Excel showed (a formula's saved value, real dates:
sop.excel.rows), checked and converted cell by cell; every problem names the sheet, row, column
and value and says what to do. Pure functions: no Flask, no database.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import count, islice, repeat
from math import isnan
from pathlib import Path
from typing import Any

from sop.excel.import_formats import (
    FORMATS,
    ITEM_CODE,
    CellError,
    Field,
    ImportFormat,
    as_given,
    normalise_header,
    to_amount,
    to_item_code,
    to_month,
    to_number,
    to_text,
    to_whole,
)
from sop.excel.rows import SheetRows, UploadedBook, blank
from sop.user_input import MAX_AMOUNT

__all__ = ["FORMATS", "CellError", "HeaderError", "ImportFormat", "ParsedRow", "ProblemLog",
           "RowProblem", "read_records", "read_rows"]

HEADER_COLUMNS = 1024  # headers are looked for this far right, whatever size a sheet declares
BLOCK_ROWS = 5000  # rows checked together (and progress reported once per block)


@dataclass
class RowProblem:
    sheet: str
    row: int
    column: str
    value: Any
    message: str
    severity: str = "error"


class HeaderError(ValueError):
    """The file's columns do not fit the kind, or it is too long: nothing can be read."""


class ProblemLog:
    """Problems of one file: all are counted, the first `keep` are kept (a hostile file with
    a million bad rows must not exhaust memory)."""

    def __init__(self, keep: int = 10_000) -> None:
        self.keep = keep
        self.kept: list[RowProblem] = []
        self.errors = 0
        self.warnings = 0
        self.notes = 0  # what the reader did that the user may want to know (not a problem)

    def append(self, problem: RowProblem) -> None:
        if problem.severity == "error":
            self.errors += 1
        elif problem.severity == "note":
            self.notes += 1
        else:
            self.warnings += 1
        if len(self.kept) < self.keep:
            self.kept.append(problem)

    def __len__(self) -> int:
        return self.errors + self.warnings + self.notes

    def __iter__(self) -> Iterator[RowProblem]:
        return iter(self.kept)


# --- reading -----------------------------------------------------------------------------------

@dataclass(slots=True)  # slots: made 480,000 times for a sales file, three times quicker
class ParsedRow:
    row: int
    values: dict[str, Any]


@dataclass
class SheetPlan:
    """Where each field is on the sheet that was chosen."""
    sheet: str
    columns: list[tuple[int, Field]]


def _choose_sheet(workbook: UploadedBook, fmt: ImportFormat) -> tuple[SheetRows, SheetPlan]:
    by_header = fmt.field_by_header()
    seen: list[str] = []
    for name in workbook.worksheets:
        sheet = workbook.sheet(name)
        first = sheet.first_row()[:HEADER_COLUMNS]
        headers = [normalise_header(h) for h in first]
        columns = [(i, by_header[h]) for i, h in enumerate(headers) if h in by_header]
        found = {f.name for _, f in columns}
        missing = [f for f in fmt.fields if f.required and f.name not in found
                   and not any(alt in found for alt in fmt.alternatives.get(f.name, ()))]
        if columns and not missing:
            return sheet, SheetPlan(name, columns)
        seen.append(f"'{name}': " + (", ".join(str(h) for h in first if h) or "empty"))
    required = ", ".join(f.header for f in fmt.fields if f.required)
    raise HeaderError(f"No sheet has the {fmt.title.lower()} columns in row 1. Required: "
                      f"{required}. Found — {'; '.join(seen)}. Download the template to see "
                      "the expected layout.")


def read_rows(data: bytes | Path, fmt: ImportFormat, problems: ProblemLog,
              progress: Callable[[int], None] | None = None,
              max_rows: int = 1_000_000) -> Iterator[ParsedRow]:
    """Stream the rows of `data` (any workbook sop.excel.rows reads) that have no error;
    problems go to `problems`. Duplicate natural keys are reported on the later row, naming
    the first one. UnsafeWorkbook when the file cannot be read."""
    with UploadedBook(data) as workbook:
        sheet, plan = _choose_sheet(workbook, fmt)
        if sheet.height > max_rows + 1:
            raise HeaderError(f"The sheet '{plan.sheet}' has more than {max_rows:,} rows; "
                              "split the file and import the parts one after the other.")
        seen_keys: dict[int, int] = {}
        rows = sheet.rows()
        next(rows, None)  # the header
        read = 1  # the last row read
        while block := list(islice(rows, BLOCK_ROWS)):
            yield from _checked_block(read + 1, block, plan, fmt, problems, seen_keys)
            read += len(block)
            if progress is not None:
                progress(read - 1)
        if progress is not None and read == 1:
            progress(0)


def read_records(records: list[dict[str, Any]], fmt: ImportFormat, problems: ProblemLog,
                 sheet: str = "request") -> Iterator[ParsedRow]:
    """`read_rows` for rows that arrive as records keyed by field name (the JSON API's bulk
    upserts): the same conversions, checks and duplicate-key rule, in the same blocks; row 1
    is the first."""
    plan = SheetPlan(sheet, list(enumerate(fmt.fields)))
    names = [f.name for f in fmt.fields]
    seen_keys: dict[int, int] = {}
    for start in range(0, len(records), BLOCK_ROWS):
        block = [list(map(record.get, names)) for record in records[start:start + BLOCK_ROWS]]
        yield from _checked_block(start + 1, block, plan, fmt, problems, seen_keys,
                                  empty_is_a_problem=True)


def _checked(row_number: int, cells: list[Any], plan: SheetPlan, fmt: ImportFormat,
             problems: ProblemLog, seen_keys: dict[int, int]) -> ParsedRow | None:
    """The row as a ParsedRow when it has no error (None for a blank row). Keys are
    remembered by their 64-bit hash: a 480,000-row file then costs ~40 MB instead of ~150 MB
    (a false duplicate needs a hash collision: ~1e-8)."""
    values, ok = _convert(cells, plan, row_number, problems)
    if values is None:
        return None
    finish = ROW_FINISHERS.get(fmt.kind)
    if ok and finish is not None:
        ok = finish(values, plan.sheet, row_number, problems)
    if not ok:
        return None
    key = tuple([values.get(name) for name in fmt.key])
    first = seen_keys.setdefault(hash(key), row_number)
    if first != row_number:
        _duplicate(problems, plan.sheet, row_number, fmt, key, first)
        return None
    return ParsedRow(row_number, values)


def _convert(cells: list[Any], plan: SheetPlan, row_number: int,
             problems: ProblemLog) -> tuple[dict[str, Any] | None, bool]:
    """(values, ok) for one row; (None, True) for a blank row."""
    values: dict[str, Any] = {}
    ok, filled = True, False
    missing: list[Field] = []
    width = len(cells)
    for index, spec in plan.columns:
        value = cells[index] if index < width else None
        if type(value) is str:  # (sop.excel.rows.blank, inline: this runs for every cell)
            if not value.strip():
                value = None
            elif value.startswith("="):  # text: a formula shows its value
                filled, ok = True, False
                problems.append(RowProblem(plan.sheet, row_number, spec.header, value,
                                           "This cell holds a formula as text: type the value "
                                           "instead."))
                continue
        if value is None:
            if spec.required:
                missing.append(spec)
            continue
        filled = True
        try:
            values[spec.name] = spec.convert(value)
        except CellError as exc:
            problems.append(RowProblem(plan.sheet, row_number, spec.header, value, str(exc)))
            ok = False
    if not filled:
        return None, True
    for spec in missing:
        problems.append(RowProblem(plan.sheet, row_number, spec.header, None,
                                   f"{spec.header} is required: fill it in."))
    return values, ok and not missing


def _checked_block(first_row: int, block: list[list[Any]], plan: SheetPlan, fmt: ImportFormat,
                   problems: ProblemLog, seen_keys: dict[int, int],
                   empty_is_a_problem: bool = False) -> Iterator[ParsedRow]:
    """The rows of `block` (numbered from `first_row`) as `_checked` reads them one by one.
    When every cell of the block takes its converter's common case (a number in range, plain
    text), the block is converted column by column instead: the same values in about half
    the time; any other block is read row by row, so its problems are exactly `_checked`'s.
    `empty_is_a_problem`: a blank row is reported (a record), not skipped (a sheet's row)."""
    values = _converted_columns(block, plan, fmt)
    if values is None:
        for row_number, cells in enumerate(block, start=first_row):
            parsed = _checked(row_number, cells, plan, fmt, problems, seen_keys)
            if parsed is not None:
                yield parsed
            elif empty_is_a_problem and all(blank(c) for c in cells):
                problems.append(RowProblem(plan.sheet, row_number, fmt.fields[0].header, None,
                                           "The row is empty."))
        return
    names = list(values)
    keys = zip(*[values[name] for name in fmt.key], strict=True)
    rows = zip(keys, zip(*values.values(), strict=True), strict=True)
    for row_number, (key, row_values) in zip(count(first_row), rows, strict=False):
        first = seen_keys.setdefault(hash(key), row_number)
        if first != row_number:
            _duplicate(problems, plan.sheet, row_number, fmt, key, first)
            continue
        yield ParsedRow(row_number, dict(zip(names, row_values, strict=True)))


def _converted_columns(block: list[list[Any]], plan: SheetPlan, fmt: ImportFormat
                       ) -> dict[str, list[Any]] | None:
    """{field: converted column} of a block without a blank, odd or out-of-range cell;
    None when a row of it needs the row-by-row check."""
    if min(map(len, block)) <= max(index for index, _ in plan.columns):
        return None
    columns = list(zip(*block, strict=False))  # rows as long as the sheet is wide
    values: dict[str, list[Any]] = {}
    for index, spec in plan.columns:
        column = columns[index]
        if not spec.required and column.count(None) == len(column):
            continue  # an optional field no row gives (a record without it): absent, as per row
        converted = _common_case_column(spec.convert, column)
        if converted is None:
            return None
        values[spec.name] = converted
    if fmt.kind in ROW_FINISHERS:
        finish = BLOCK_FINISHERS.get(fmt.kind)
        if finish is None or not finish(values):
            return None
    return values


def _common_case_column(convert: Callable[[Any], Any], column: tuple[Any, ...]
                        ) -> list[Any] | None:
    """`[convert(cell) for cell in column]` when every cell takes the converter's common case
    (the tests below are the converters' first tests, column-wide); None otherwise."""
    types = set(map(type, column))
    function = getattr(convert, "func", convert)
    options = getattr(convert, "keywords", {})
    if types == {float} or types == {int} or types == {int, float}:  # JSON gives int too
        if function in (to_amount, to_number):
            numbers = list(column) if types == {float} else list(map(float, column))
            low = 0 if function is to_amount else -MAX_AMOUNT
            if low <= min(numbers) and max(numbers) <= MAX_AMOUNT and not any(map(isnan, numbers)):
                return numbers
            return None
        if function is as_given:
            return list(column)
        if function is to_whole or function is to_item_code:
            if float in types and not all(type(v) is int or v.is_integer() for v in column):
                return None
            low, high = ((options["low"], options["high"]) if function is to_whole
                         else (100_000, 999_999))  # six digits
            if low <= min(column) and max(column) <= high:
                whole = list(map(int, column))
                return whole if function is to_whole else list(map(str, whole))
        return None
    if types == {str} and function in (to_text, to_item_code) and all(
            map(str.isprintable, column)) and not any(map(str.startswith, column, repeat("="))):
        stripped = list(map(str.strip, column))
        if function is to_text:
            return stripped if all(stripped) and max(map(len, stripped)) <= options[
                "max_length"] else None
        return stripped if all(map(ITEM_CODE.match, stripped)) else None
    return None


def _duplicate(problems: ProblemLog, sheet: str, row_number: int, fmt: ImportFormat,
               key: tuple[Any, ...], first: int) -> None:
    problems.append(RowProblem(sheet, row_number, fmt.key[0], " / ".join(
        str(k) for k in key), f"Same {' + '.join(fmt.key)} as row {first}: keep "
        "one of the two rows."))


def _sales_months(values: dict[str, Any], sheet: str, row_number: int,
                  problems: ProblemLog) -> bool:
    """Sales history has Year + Month (1-12), or one Month column holding a whole month."""
    month, year = values.get("month"), values.get("year")
    try:
        if year is not None:
            number = to_whole(month, 1, 12)
            values["month"] = f"{year:04d}-{number:02d}"
        else:
            whole = to_month(month)
            values["year"] = whole.year
            values["month"] = f"{whole.year:04d}-{whole.month:02d}"
    except CellError as exc:
        problems.append(RowProblem(sheet, row_number, "Month", month, str(exc)))
        return False
    return True


def _sales_months_column(values: dict[str, list[Any]]) -> bool:
    """`_sales_months` of a block: Year + Month (1-12) columns of whole numbers (False for
    anything else: the rows are then checked one by one)."""
    years, months = values.get("year"), values.get("month")
    if years is None or set(map(type, months)) - {int, float} or not all(
            float(month).is_integer() for month in months) or not 1 <= min(months) <= max(
                months) <= 12:
        return False
    values["month"] = list(map("{:04d}-{:02d}".format, years, map(int, months)))
    return True


ROW_FINISHERS: dict[str, Callable[[dict[str, Any], str, int, ProblemLog], bool]] = {
    "sales": _sales_months,
}
BLOCK_FINISHERS: dict[str, Callable[[dict[str, list[Any]]], bool]] = {
    "sales": _sales_months_column,
}
