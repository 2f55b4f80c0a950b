"""The master-data import formats (DOMAIN.md §5.4): one declarative column table per kind,
one streaming reader for all of them, and the template writer built from the same tables.

The reader reads the first sheet whose row 1 holds the kind's required headers (matched
case-insensitively, ignoring `*` and spaces); other sheets — such as the template's "Example"
sheet — are never read. Values are checked and converted cell by cell; every problem names the
sheet, row, column and value and says what to do. Pure functions: no Flask, no database.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, BinaryIO

from openpyxl import Workbook, load_workbook
from openpyxl.comments import Comment
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from sop.excel.streaming import StreamingWorkbook, open_streaming
from sop.excel.writer import (
    FORMULA_TRIGGERS,
    HEADER_FILL,
    HEADER_FONT,
    formulas_as_text,
    text_cell,
    workbook_bytes,
)
from sop.user_input import EmailRefused, NumberRefused, clean_text, email_address, parse_number

EXCEL_EPOCH = datetime(1899, 12, 30)
ITEM_CODE = re.compile(r"^\d{6}$", re.ASCII)
YEAR_MONTH = re.compile(r"^(\d{4})-(\d{1,2})(?:-(\d{1,2}))?$", re.ASCII)
TRUE_WORDS = {"yes", "y", "true", "1", "active", "x"}
FALSE_WORDS = {"no", "n", "false", "0", "inactive"}
HEADER_COLUMNS = 1024  # headers are looked for this far right, whatever size a sheet declares


class CellError(ValueError):
    """A cell value that cannot be used; the message says what to write instead."""


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


# --- cell converters: each takes a non-empty cell value and returns the typed value -----------

def to_text(value: Any, max_length: int = 200) -> str:
    """Cell text, without control characters (sop.user_input.clean_text)."""
    text = (value.strip() if isinstance(value, str) else
            str(int(value)) if isinstance(value, float) and value.is_integer() else str(value))
    text = clean_text(text).strip()
    if len(text) > max_length:
        raise CellError(f"Use at most {max_length} characters.")
    return text


def to_item_code(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    if not ITEM_CODE.match(text):
        raise CellError("An item code has exactly 6 digits, e.g. 110001.")
    return text


def to_number(value: Any) -> float:
    """Any finite number within ±sop.user_input.MAX_AMOUNT (the one parser of typed numbers)."""
    if not isinstance(value, str | int | float):  # a date, a time...
        raise CellError("Enter a number, like 1234.5.")
    try:
        number = parse_number(value, "A number", "1234.5", negative_ok=True)
    except NumberRefused as exc:
        raise CellError(str(exc)) from None
    if number is None:
        raise CellError("Enter a number, like 1234.5.")
    return number


def to_amount(value: Any) -> float:
    """A quantity or price: a number that is not negative."""
    number = to_number(value)
    if number < 0:
        raise CellError("Negative values are not allowed here; enter 0 or more.")
    return number


def to_boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if isinstance(value, float | int):
        text = str(int(value))
    if text in TRUE_WORDS:
        return True
    if text in FALSE_WORDS:
        return False
    raise CellError("Write Yes or No.")


def to_whole(value: Any, low: int, high: int) -> int:
    number = to_number(value)
    if not number.is_integer() or not low <= number <= high:
        raise CellError(f"Enter a whole number from {low} to {high}.")
    return int(number)


def to_month(value: Any) -> date:
    """A month from a real date, an Excel serial number, 'YYYY-MM' or 'YYYY-MM-DD' text."""
    if isinstance(value, datetime):
        return date(value.year, value.month, 1)
    if isinstance(value, date):
        return date(value.year, value.month, 1)
    if isinstance(value, int | float) and not isinstance(value, bool):
        if 1 <= value < 2958466:
            day = EXCEL_EPOCH + timedelta(days=float(value))
            return date(day.year, day.month, 1)
        raise CellError("This number is not a date: write the month as YYYY-MM.")
    match = YEAR_MONTH.match(str(value).strip())
    if match:
        year, month = int(match.group(1)), int(match.group(2))
        if 1 <= month <= 12 and 1900 <= year <= 2200:
            return date(year, month, 1)
    raise CellError("Write the month as YYYY-MM (e.g. 2026-03) or use a real Excel date; "
                    "texts like 03/04/2025 are ambiguous.")


def to_email(value: Any) -> str:
    try:
        return email_address(value)
    except EmailRefused:
        raise CellError("Enter an e-mail address like name@example.com.") from None


# --- formats -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Field:
    name: str
    header: str
    convert: Callable[[Any], Any]
    required: bool = False
    choices: tuple[str, ...] = ()  # offered as a drop-down in the template
    example: Any = None
    width: int = 16

    @property
    def template_header(self) -> str:
        return f"{self.header}*" if self.required else self.header


@dataclass(frozen=True)
class ImportFormat:
    kind: str
    title: str
    fields: tuple[Field, ...]
    key: tuple[str, ...]  # natural key: a second row with the same key is an error
    alternatives: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # alternatives: a required field may be replaced by others (sales: Month date vs Year+Month)

    def field_by_header(self) -> dict[str, Field]:
        return {normalise_header(f.header): f for f in self.fields}


def normalise_header(text: Any) -> str:
    return " ".join(str(text or "").replace("*", " ").split()).lower()


def _text(limit: int) -> Callable[[Any], str]:
    return lambda value: to_text(value, limit)


YES_NO = ("Yes", "No")
CATEGORIES = ("G01 - Garlic Production", "G02 - Shallot Production", "G03 - Ready to Use",
              "G04 - Other Production", "G05 - Resale")

CUSTOMERS = ImportFormat("customers", "Customers", (
    Field("code", "Customer Code", _text(40), True, example="PATITO-000123"),
    Field("name", "Customer Name", _text(200), True, example="Bayou Foods LLC", width=30),
    Field("sop_name", "S&OP Name", _text(31), example="BAYOU FOODS", width=24),
    Field("rep_email", "Sales Rep Email", to_email, example="jordan.reyes@example.com",
          width=26),
    Field("territory", "Territory", _text(80), example="South"),
    Field("corporate_group", "Corporate Group", _text(120), example="Independent"),
    Field("address", "Address", _text(200), example="1 Harbor Rd", width=24),
    Field("city", "City", _text(80), example="Houston"),
    Field("state", "State", _text(80), example="TX"),
    Field("postal_code", "Postal Code", _text(20), example="77001"),
    Field("country", "Country", _text(80), example="US"),
    Field("contact_name", "Contact Name", _text(120), example="Pat Buyer"),
    Field("contact_email", "Contact Email", _text(254), example="buyer@bayou.example"),
    Field("contact_phone", "Contact Phone", _text(40), example="+1 555 0100"),
    Field("payment_terms", "Payment Terms", _text(60), example="Net 30"),
    Field("credit_limit", "Credit Limit", to_amount, example=50000),
    Field("active", "Active", to_boolean, choices=YES_NO, example="Yes"),
), key=("code",))

PRODUCTS = ImportFormat("products", "Items", (
    Field("item_code", "Item Code", to_item_code, True, example="110001"),
    Field("description", "Description", _text(200), True, example="Peeled Garlic 4x5 lb",
          width=30),
    Field("group_code", "Group Code", _text(20), example="1-2"),
    Field("subgroup", "Subgroup", _text(60), example="Peeled Garlic"),
    Field("group_description", "Group Description", _text(120), example="Group 1-2"),
    Field("category", "Category", _text(60), choices=CATEGORIES,
          example="G01 - Garlic Production", width=24),
    Field("manufacturing_location", "Manufacturing Location", _text(80),
          example="Plant A - Gilroy"),
    Field("manufacturing_line", "Manufacturing Line", _text(80), example="Line 1"),
    Field("pack_size", "Pack Size", _text(40), example="4x5 lb"),
    Field("weight", "Weight", to_amount, example=20),
    Field("uom", "UoM", _text(10), True, example="CS"),
    Field("list_price", "List Price", to_amount, example=42.5),
    Field("cost_price", "Cost Price", to_amount, example=30.1),
    Field("currency", "Currency", _text(3), example="USD"),
    Field("active", "Active", to_boolean, choices=YES_NO, example="Yes"),
), key=("item_code",))

PRICES = ImportFormat("prices", "Price matrix", (
    Field("customer_code", "Customer Code", _text(40), True, example="PATITO-000123"),
    Field("item_code", "Item Code", to_item_code, True, example="110001"),
    Field("price", "Customer Price", to_amount, example=41.75),
    Field("effective_from", "Effective From", to_month, example="2026-01"),
    Field("active", "Active", to_boolean, choices=YES_NO, example="Yes"),
), key=("customer_code", "item_code"))

SALES = ImportFormat("sales", "Sales history", (
    Field("customer_code", "Customer Code", _text(40), True, example="PATITO-000123"),
    Field("item_code", "Item Code", to_item_code, True, example="110001"),
    Field("year", "Year", lambda v: to_whole(v, 1900, 2200), True, example=2026),
    Field("month", "Month", lambda v: v, True, example=3),  # number, or a whole month: below
    Field("quantity", "Quantity", to_amount, True, example=120),
    Field("unit_price", "Unit Price", to_amount, example=41.75),
    Field("sales", "Sales", to_number, True, example=5010),
    Field("cogs", "COGS", to_number, example=3507),
    Field("gross_profit", "Gross Profit", to_number, example=1503),
), key=("customer_code", "item_code", "year", "month"), alternatives={"year": ("month",)})

BUDGET = ImportFormat("budget", "Budget", (
    Field("rep_email", "Sales Rep Email", to_email, True, example="jordan.reyes@example.com",
          width=26),
    Field("sop_name", "Customer S&OP", _text(120), True, example="BAYOU FOODS", width=24),
    Field("year", "Year", lambda v: to_whole(v, 1900, 2200), True, example=2026),
    Field("month", "Month", lambda v: to_whole(v, 1, 12), True, example=3),
    Field("cases", "Cases", to_amount, True, example=400),
    Field("sales", "Sales", to_amount, example=16700),
), key=("rep_email", "sop_name", "year", "month"))

FORMATS: dict[str, ImportFormat] = {f.kind: f for f in (CUSTOMERS, PRODUCTS, PRICES, SALES,
                                                         BUDGET)}


# --- reading -----------------------------------------------------------------------------------

@dataclass
class ParsedRow:
    row: int
    values: dict[str, Any]


@dataclass
class SheetPlan:
    """Where each field is on the sheet that was chosen."""
    sheet: str
    columns: list[tuple[int, Field]]


def _choose_sheet(workbook: Any, fmt: ImportFormat) -> tuple[Any, SheetPlan]:
    by_header = fmt.field_by_header()
    seen: list[str] = []
    for sheet in workbook.worksheets:
        first = next(sheet.iter_rows(min_row=1, max_row=1, max_col=HEADER_COLUMNS,
                                     values_only=True), ())
        headers = [normalise_header(h) for h in first]
        columns = [(i, by_header[h]) for i, h in enumerate(headers) if h in by_header]
        found = {f.name for _, f in columns}
        missing = [f for f in fmt.fields if f.required and f.name not in found
                   and not any(alt in found for alt in fmt.alternatives.get(f.name, ()))]
        if columns and not missing:
            return sheet, SheetPlan(sheet.title, columns)
        seen.append(f"'{sheet.title}': " + (", ".join(str(h) for h in first if h) or "empty"))
    required = ", ".join(f.header for f in fmt.fields if f.required)
    raise HeaderError(f"No sheet has the {fmt.title.lower()} columns in row 1. Required: "
                      f"{required}. Found — {'; '.join(seen)}. Download the template to see "
                      "the expected layout.")


def read_rows(data: bytes | BinaryIO, fmt: ImportFormat, problems: ProblemLog,
              progress: Callable[[int], None] | None = None,
              max_rows: int = 1_000_000) -> Iterator[ParsedRow]:
    """Stream the rows of `data` that have no error; problems go to `problems`.
    Duplicate natural keys are reported on the later row, naming the first one."""
    source = io.BytesIO(data) if isinstance(data, bytes) else data  # a seekable file is fine
    workbook = open_streaming(source)
    try:
        sheet, plan = _choose_sheet(workbook, fmt)
        # Keys are remembered by their 64-bit hash: a 480,000-row file then costs ~40 MB
        # here instead of ~150 MB (a false duplicate needs a hash collision: ~1e-8).
        seen_keys: dict[int, int] = {}
        finish = ROW_FINISHERS.get(fmt.kind)
        row_number = 1
        # Bounds given, so a sheet's declared size (wrong in some files) never cuts rows off.
        width = max(index for index, _ in plan.columns) + 1
        for row_number, cells in enumerate(sheet.iter_rows(
                min_row=2, max_row=max_rows + 2, max_col=width, values_only=True), start=2):
            if progress is not None and row_number % 5000 == 0:
                progress(row_number - 1)
            if row_number > max_rows + 1:
                raise HeaderError(f"The sheet '{plan.sheet}' has more than {max_rows:,} rows; "
                                  "split the file and import the parts one after the other.")
            values, ok = _convert(cells, plan, row_number, problems)
            if values is None:
                continue  # blank row
            if ok and finish is not None:
                ok = finish(values, plan.sheet, row_number, problems)
            if not ok:
                continue
            key = tuple(values.get(name) for name in fmt.key)
            first = seen_keys.setdefault(hash(key), row_number)
            if first != row_number:
                problems.append(RowProblem(plan.sheet, row_number, fmt.key[0], " / ".join(
                    str(k) for k in key), f"Same {' + '.join(fmt.key)} as row {first}: keep "
                    "one of the two rows."))
                continue
            yield ParsedRow(row_number, values)
        if progress is not None:
            progress(max(0, row_number - 1))
    finally:
        workbook.close()


def _convert(cells: tuple[Any, ...], plan: SheetPlan, row_number: int,
             problems: ProblemLog) -> tuple[dict[str, Any] | None, bool]:
    """(values, ok) for one row; (None, True) for a blank row."""
    values: dict[str, Any] = {}
    ok, filled = True, False
    missing: list[Field] = []
    width = len(cells)
    for index, spec in plan.columns:
        value = cells[index] if index < width else None
        if value is None or (type(value) is str and not value.strip()):
            if spec.required:
                missing.append(spec)
            continue
        filled = True
        if type(value) is str and value.startswith("="):
            problems.append(RowProblem(plan.sheet, row_number, spec.header, value,
                                       "This cell holds a formula: type the value instead."))
            ok = False
            continue
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


ROW_FINISHERS: dict[str, Callable[[dict[str, Any], str, int, ProblemLog], bool]] = {
    "sales": _sales_months,
}


# --- templates and annotated copies ---------------------------------------------------------

def template_workbook(fmt: ImportFormat) -> bytes:
    """An empty import template: styled header (required columns marked *), drop-downs for
    the fixed choices, frozen header, and an example row on a separate 'Example' sheet that
    the reader never imports."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = fmt.title[:31]
    example = workbook.create_sheet("Example")
    for column, spec in enumerate(fmt.fields, start=1):
        letter = get_column_letter(column)
        for target in (sheet, example):
            cell = target.cell(row=1, column=column, value=spec.template_header)
            cell.font, cell.fill = HEADER_FONT, HEADER_FILL
            target.column_dimensions[letter].width = max(spec.width, len(spec.header) + 3)
        example.cell(row=2, column=column, value=spec.example)
        if spec.choices:
            validation = DataValidation(type="list", formula1='"' + ",".join(spec.choices) + '"',
                                        allow_blank=not spec.required)
            validation.error = f"Choose one of: {', '.join(spec.choices)}"
            validation.add(f"{letter}2:{letter}100000")
            sheet.add_data_validation(validation)
    sheet.freeze_panes = example.freeze_panes = "A2"
    notes = workbook.create_sheet("Read me")
    for line in (f"{fmt.title} import template.",
                 "Fill the first sheet from row 2. Columns marked * are required.",
                 "Dates: real Excel dates, or text as YYYY-MM / YYYY-MM-DD.",
                 "The 'Example' sheet shows one filled row and is never imported."):
        notes.append([line])
    return workbook_bytes(workbook)


PROBLEM_FILL = PatternFill("solid", fgColor="FDE2E1")
WARNING_FILL = PatternFill("solid", fgColor="FFF1D6")


def problems_workbook(problems: ProblemLog) -> bytes:
    """Every problem as a row: sheet, row, column, value, what to do (streamed)."""
    workbook = StreamingWorkbook()
    sheet = workbook.create_sheet("Problems")
    for letter, width in zip("ABCDEF", (16, 8, 20, 28, 80, 10), strict=True):
        sheet.column_dimensions[letter].width = width
    sheet.freeze_panes = "A2"
    header = []
    for title in ("Sheet", "Row", "Column", "Value", "What to do", "Severity"):
        cell = text_cell(sheet, title)
        cell.font = Font(bold=True)
        header.append(cell)
    sheet.append(header)
    for problem in problems:
        value = problem.value
        sheet.append([text_cell(sheet, problem.sheet), problem.row,
                      text_cell(sheet, problem.column),
                      text_cell(sheet, str(value)) if isinstance(value, str) else value,
                      text_cell(sheet, problem.message), text_cell(sheet, problem.severity)])
    return workbook_bytes(workbook)


def annotated_copy(data: bytes, fmt: ImportFormat, problems: ProblemLog) -> bytes:
    """The uploaded workbook with each problem cell highlighted and commented, plus a
    'Problems' sheet listing them all. For small files: it loads the whole workbook."""
    workbook = load_workbook(io.BytesIO(data))
    formulas_as_text(workbook)  # user text goes back as text, never as a live formula
    by_header = fmt.field_by_header()
    for problem in problems:
        if problem.sheet not in workbook.sheetnames:
            continue
        sheet = workbook[problem.sheet]
        headers = [normalise_header(c.value) for c in sheet[1]]
        wanted = normalise_header(problem.column)
        spec = by_header.get(wanted)
        target = normalise_header(spec.header) if spec else wanted
        column = headers.index(target) + 1 if target in headers else 1
        cell = sheet.cell(row=problem.row, column=column)
        cell.fill = PROBLEM_FILL if problem.severity == "error" else WARNING_FILL
        cell.comment = Comment(problem.message, "S&OP Portal")
    listing = workbook.create_sheet("Problems", 0)
    listing.append(["Sheet", "Row", "Column", "Value", "What to do", "Severity"])
    for cell in listing[1]:
        cell.font = Font(bold=True)
    for problem in problems:
        listing.append([problem.sheet, problem.row, problem.column, None, problem.message,
                        problem.severity])
        value_cell = listing.cell(row=listing.max_row, column=4)
        value_cell.value = str(problem.value) if problem.value is not None else None
        value_cell.data_type = "s"
        value_cell.quotePrefix = str(value_cell.value or "").startswith(FORMULA_TRIGGERS)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()



def read_records(records: list[dict[str, Any]], fmt: ImportFormat, problems: ProblemLog,
                 sheet: str = "request") -> Iterator[ParsedRow]:
    """`read_rows` for rows that arrive as records keyed by field name (the JSON API's bulk
    upserts): the same conversions, checks and duplicate-key rule; row 1 is the first."""
    plan = SheetPlan(sheet, list(enumerate(fmt.fields)))
    finish = ROW_FINISHERS.get(fmt.kind)
    seen_keys: dict[tuple[Any, ...], int] = {}
    for row_number, record in enumerate(records, start=1):
        values, ok = _convert(tuple(record.get(f.name) for f in fmt.fields), plan, row_number,
                              problems)
        if values is None:
            problems.append(RowProblem(sheet, row_number, fmt.fields[0].header, None,
                                       "The row is empty."))
            continue
        if ok and finish is not None:
            ok = finish(values, sheet, row_number, problems)
        if not ok:
            continue
        key = tuple(values.get(name) for name in fmt.key)
        first = seen_keys.setdefault(key, row_number)
        if first != row_number:
            problems.append(RowProblem(sheet, row_number, fmt.key[0], " / ".join(
                str(k) for k in key), f"Same {' + '.join(fmt.key)} as row {first}: keep one "
                "of the two rows."))
            continue
        yield ParsedRow(row_number, values)
