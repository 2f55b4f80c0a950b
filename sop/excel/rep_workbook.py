"""The rep workbook (DOMAIN.md §5.1): read a filled one, write a pre-filled one.

Pure functions: no Flask, no database. The service layer (sop.workbooks) turns database lines
into a `WorkbookPlan` and `CustomerSheet`s back into lines. Writing goes through the streaming
writer of sop.excel.xlsxstream (~0.5 s for 30 sheets x 220 rows; openpyxl took ~5 s). Reading
parses the sheet XML itself with the standard library (expat; any DTD refused first) and .xlsb
through pyxlsb's record stream, so both formats give the same typed rows to one classifier and
one parser, and formula cells are known as formulas (`FormulaCell`), never their cached values.

Layout of a customer sheet (1-based columns, for the standard 16 buckets):
B `#`, C group text, D item code, E description, F probability, G..V quantity M1..M16,
W total M1-M12, Z..AO price M1..M16, AQ.. sales (quantity x price). The header row is row 7 in
generated files; the reader looks for it in rows 1-20.

Reading rules (decided here, the service relies on them):
- sheets are classified by their header row, never by name; the sheet name is returned as
  written (the service trims and matches it to a customer);
- months come from the column position (G = M1), never from the header dates; the sheet's own
  number of month columns comes from where its TOTAL header is (W for 16);
- variants: F `Avg` with one price in Y `Price` (a): that price for every month, Z.. ignored;
  no price headers on the sheet (b): each line's price is the Summary's typed `Price` of its
  item for every month (a formula price there is not read: a warning when it is needed);
- only the quantity and price input cells are read, and always as typed (never a cached
  formula value). A quantity or price cell holding a formula is evaluated only when the formula
  is plain arithmetic on numbers (`=12*10`); a formula that refers to anything else is a row
  error ("type the number"), because its cached value cannot be trusted. In .xlsb files the
  formula text is not available: any formula in an input cell is a row error;
- a blank quantity is 0, a blank price is None; negative numbers, text and dates are row
  errors; a number stored as text (`"12"`) is accepted with a warning;
- a line is kept when a quantity or a price on the sheet is not 0; prices taken from the Summary
  sheet (variant b, no prices on the customer sheet) never keep a line on their own;
- lines from the "add new Item Codes" block carry new_item=True, and so does any line of the
  plan written there (see `write_rep_workbook`);
- the same item kept twice on one sheet is a row error on the later row;
- a row without an item code holding only formulas (a totals row) is skipped; typed numbers
  without an item code are a row error;
- probabilities: see `map_probability` (exact texts silently, variants with a warning).
"""

from __future__ import annotations

import ast
import difflib
import io
import operator
import re
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from xml.etree import ElementTree

from openpyxl.utils import get_column_letter

from sop.excel.masterdata import ProblemLog, RowProblem
from sop.excel.safety import UnsafeWorkbook
from sop.excel.xlsxstream import Book, Formula, Sheet


@dataclass
class SheetLine:
    """One item row of a customer sheet. `qty` and `price` hold one entry per bucket (M1
    first); a blank quantity reads as 0 (the workbook's rule), a blank price as None."""

    item_code: str
    description: str = ""
    probability: int | None = None
    qty: list[float | None] = field(default_factory=list)
    price: list[float | None] = field(default_factory=list)
    new_item: bool = False  # from the "add new Item Codes" block
    row: int | None = None  # where the reader found it (1-based), for problems


@dataclass
class CustomerSheet:
    """A customer sheet: its name is the customer's S&OP name as written in the file."""

    name: str
    lines: list[SheetLine] = field(default_factory=list)
    # How the reader found prices: "sheet" (Z..AO), "single" (one price in Y, variant a) or
    # "summary" (none on the sheet: the Summary sheet's Price column, variant b).
    price_source: str = "sheet"


@dataclass
class CatalogItem:
    """A row of the catalog block, printed in the same order on every customer sheet."""

    item_code: str
    description: str
    group_text: str = ""  # column C, "Group - Category"
    average_last_q: float | None = None  # Summary column F: average monthly sales $, last 3 months


@dataclass
class BudgetRow:
    """One customer of the Budget sheet: cases and $ per first-of-month date."""

    sop_name: str
    cases: dict[date, float] = field(default_factory=dict)
    sales: dict[date, float] = field(default_factory=dict)


@dataclass
class WorkbookPlan:
    """Everything a generated workbook shows."""

    rep_name: str
    cycle_name: str
    months: list[date]  # first day of M1..M16
    mandatory_months: int
    catalog: list[CatalogItem]
    customers: list[CustomerSheet]  # lines of items outside the catalog go to new-item rows
    budget: list[BudgetRow] = field(default_factory=list)


# --- shared layout ----------------------------------------------------------------------------

PROBABILITY_TEXTS: dict[int, str] = {  # DOMAIN.md §3; equal to sop.models.forecast.PROBABILITIES
    0: "With Sales Order - Low Risk",
    1: "In Customer Supply Plan - Low/Mid Risk",
    2: "Customer Forecast - Mid Risk",
    3: "Volume Estimated by Sales Rep (Budget)",
}
PROBABILITY_RISKS = {0: "Low", 1: "Low-Mid", 2: "Mid", 3: "High"}

HEADER_ROW = 7
FIRST_ROW = 8
HEADER_SEARCH_ROWS = 20
NEW_ITEM_MARKER = "If you need to add new Item Codes:"
SUMMARY_F = "Average \nLast Q (Sales)"
TOTAL_MONTHS = 12  # W sums M1-M12
NEW_ITEM_ROWS = 6
LIST_SHEET = "List"
MONTH_FORMAT = "mmm-yy"
QTY_FORMAT = "#,##0"  # totals; typed quantities show as typed (General), fractions too
PRICE_FORMAT = '"$"#,##0.00'
CODE_FORMAT = "000000"
ILLEGAL_SHEET_CHARS = re.compile(r"[\[\]:*?/\\\x00-\x1f]")
MAX_FORMULA = 8000


@dataclass(frozen=True)
class Layout:
    """0-based column indexes of a customer sheet for `months` buckets."""

    months: int

    @property
    def qty(self) -> int:
        return 6  # G

    @property
    def total(self) -> int:
        return self.qty + self.months  # W

    @property
    def single_price(self) -> int:
        return self.total + 2  # Y

    @property
    def price(self) -> int:
        return self.total + 3  # Z

    @property
    def sales(self) -> int:
        return self.price + self.months + 1  # AQ

    @property
    def width(self) -> int:
        return self.sales + self.months


def letter(index: int) -> str:
    """Column letter of a 0-based index."""
    return get_column_letter(index + 1)


def normalise(value: Any) -> str:
    return " ".join(str(value).split()).lower() if value is not None else ""


def sheet_title(name: str, taken: set[str]) -> str:
    """An Excel-legal, unique sheet name as close to `name` as possible."""
    title = ILLEGAL_SHEET_CHARS.sub("-", name)[:31].strip("'") or "Customer"
    if title.lower() in {"history", LIST_SHEET.lower(), "summary", "budget"}:
        title = f"{title} (customer)"[:31]
    candidate, number = title, 2
    while candidate.lower() in taken:
        suffix = f" ({number})"
        candidate = title[:31 - len(suffix)] + suffix
        number += 1
    taken.add(candidate.lower())
    return candidate


def quoted(title: str) -> str:
    return "'" + title.replace("'", "''") + "'"


# --- writing ----------------------------------------------------------------------------------

HEAD_BLUE = "1D4E89"
MANDATORY_RED = "C0504D"
INPUT_YELLOW = "FFF8DC"  # editable cells
COMPUTED_GREY = "E7E6E6"  # formulas: do not type here
MARKER_ORANGE = "FCE4D6"


def _styles(book: Book) -> dict[str, int]:
    head = {"bold": True, "color": "FFFFFF", "center": True, "wrap": True}
    return {
        "title": book.style(bold=True, size=14),
        "note": book.style(italic=True, color="595959"),
        "band": book.style(fill=HEAD_BLUE, **head),
        "mandatory_band": book.style(fill=MANDATORY_RED, **head),
        "head": book.style(fill=HEAD_BLUE, border=True, **head),
        "head_month": book.style(fill=HEAD_BLUE, border=True, number_format=MONTH_FORMAT,
                                 **head),
        "head_mandatory": book.style(fill=MANDATORY_RED, border=True,
                                     number_format=MONTH_FORMAT, **head),
        "plain": book.style(border=True),
        "code": book.style(border=True, number_format=CODE_FORMAT),
        "input_text": book.style(border=True, fill=INPUT_YELLOW),
        "input_code": book.style(border=True, fill=INPUT_YELLOW, number_format=CODE_FORMAT),
        "qty": book.style(border=True, fill=INPUT_YELLOW),
        "price": book.style(border=True, fill=INPUT_YELLOW, number_format=PRICE_FORMAT),
        "total": book.style(border=True, fill=COMPUTED_GREY, bold=True,
                            number_format=QTY_FORMAT),
        "sum_qty": book.style(border=True, fill=COMPUTED_GREY, number_format=QTY_FORMAT),
        "sales": book.style(border=True, fill=COMPUTED_GREY, number_format=PRICE_FORMAT),
        "marker": book.style(bold=True, fill=MARKER_ORANGE),
        "money": book.style(border=True, number_format=PRICE_FORMAT),
    }


def write_rep_workbook(plan: WorkbookPlan) -> bytes:
    """The pre-filled workbook of §5.1: Summary, one sheet per customer (plan order), the
    probability List and the Budget. A line goes to its catalog row, unless its item is not in
    the catalog or it is flagged new_item: then it goes to the "add new Item Codes" block, so
    reading the file back gives the same lines with the same flags."""
    layout = Layout(len(plan.months))
    book = Book()
    styles = _styles(book)
    taken: set[str] = {"summary", LIST_SHEET.lower(), "budget"}
    titles = [sheet_title(customer.name, taken) for customer in plan.customers]
    catalog_codes = {item.item_code for item in plan.catalog}
    new_codes: dict[str, str] = {}
    for customer in plan.customers:
        for line in customer.lines:
            if line.item_code not in catalog_codes:  # the Summary has one row per code
                new_codes.setdefault(line.item_code, line.description)

    _write_summary(book, styles, plan, layout, titles, new_codes)
    for customer, title in zip(plan.customers, titles, strict=True):
        _write_customer(book, styles, plan, layout, customer, title, catalog_codes)
    _write_list(book, styles)
    _write_budget(book, styles, plan)
    return book.save()


def _widths(layout: Layout) -> dict[int, float]:
    widths: dict[int, float] = {1: 2, 2: 5, 3: 22, 4: 10, 5: 36, 6: 30}
    for index in range(layout.qty, layout.width):
        widths[index + 1] = 10
    widths[layout.total + 2] = 3
    widths[layout.sales] = 3
    return widths


class _Row:
    """One row being built: values and style ids by 0-based column."""

    def __init__(self, width: int) -> None:
        self.values: list[Any] = [None] * width
        self.styles: list[int | None] = [None] * width

    def put(self, column: int, value: Any, style: int | None) -> None:
        self.values[column] = value
        self.styles[column] = style

    def write(self, sheet: Sheet) -> int:
        return sheet.append(self.values, self.styles)


def _header_row(styles: dict[str, int], plan: WorkbookPlan, layout: Layout, f_header: str,
                with_prices: bool = True) -> _Row:
    row = _Row(layout.width if with_prices else layout.total + 1)
    for column, text in ((1, "#"), (2, "Group - Category"), (3, "ITEM\nCODE"),
                         (4, "DESCRIPTION"), (5, f_header)):
        row.put(column, text, styles["head"])
    for offset, month in enumerate(plan.months):
        style = styles["head_mandatory" if offset < plan.mandatory_months else "head_month"]
        row.put(layout.qty + offset, month, style)
        if with_prices:
            row.put(layout.price + offset, month, style)
            row.put(layout.sales + offset, month, style)
    row.put(layout.total, "TOTAL", styles["head"])
    return row


def _top(sheet: Sheet, styles: dict[str, int], plan: WorkbookPlan, layout: Layout,
         title: str, note: str, with_prices: bool = True) -> None:
    """Rows 1-6: title, note, the block titles (merged) and the mandatory-months band."""
    months = layout.months
    sheet.append([None, title], [None, styles["title"]])
    sheet.append([None, note], [None, styles["note"]])
    sheet.skip()
    row4 = _Row(layout.width)
    row4.put(layout.qty, "VOLUME FORECAST (CASES)", styles["band"])
    blocks = [(layout.qty, layout.qty + months - 1)]
    if with_prices:
        row4.put(layout.price, "PRICE FORECAST", styles["band"])
        row4.put(layout.sales, "SALES FORECAST", styles["band"])
        blocks += [(layout.price, layout.price + months - 1),
                   (layout.sales, layout.sales + months - 1)]
    row4.write(sheet)
    sheet.skip()
    mandatory = min(plan.mandatory_months, months)
    if mandatory:
        row6 = _Row(layout.width)
        row6.put(layout.qty, f"Mandatory: M1-M{mandatory} (0 counts as a value)",
                 styles["mandatory_band"])
        row6.write(sheet)
    else:
        sheet.skip()
    for first, last in blocks:
        sheet.merges.append(f"{letter(first)}4:{letter(last)}5")
    if mandatory > 1:
        sheet.merges.append(f"{letter(layout.qty)}6:{letter(layout.qty + mandatory - 1)}6")


def _code_value(code: str) -> int | str:
    return int(code) if code.isdigit() else code


def _write_customer(book: Book, styles: dict[str, int], plan: WorkbookPlan, layout: Layout,
                    customer: CustomerSheet, title: str, catalog_codes: set[str]) -> None:
    months = layout.months
    sheet = book.add_sheet(title, _widths(layout), f"{letter(layout.qty)}{FIRST_ROW}")
    _top(sheet, styles, plan, layout, customer.name,
         f"{plan.rep_name} - {plan.cycle_name}. Type in the yellow cells; grey cells are "
         "formulas.")
    _header_row(styles, plan, layout, "Probability").write(sheet)

    by_code: dict[str, SheetLine] = {}
    new_lines: list[SheetLine] = []
    for line in customer.lines:
        if line.new_item or line.item_code not in catalog_codes:
            new_lines.append(line)
        else:
            by_code[line.item_code] = line

    qty_letters = [letter(layout.qty + m) for m in range(months)]
    price_letters = [letter(layout.price + m) for m in range(months)]
    total_to = qty_letters[min(TOTAL_MONTHS, months) - 1]
    qty_style, price_style, sales_style = styles["qty"], styles["price"], styles["sales"]
    input_text = styles["input_text"]

    def item_row(sequence: int | None, group: str, code: str | None, description: str,
                 line: SheetLine | None, editable_item: bool) -> None:
        number = sheet.rows + 1
        row = _Row(layout.width)
        if sequence is not None:
            row.put(1, sequence, styles["plain"])
        row.put(2, group or None, styles["plain"])
        if editable_item:
            row.put(3, _code_value(code) if code else None, styles["input_code"])
            row.put(4, description or None, input_text)
        else:
            row.put(3, _code_value(code) if code else None, styles["code"])
            row.put(4, description or None, styles["plain"])
        probability = line.probability if line is not None else None
        row.put(5, PROBABILITY_TEXTS.get(probability) if probability is not None else None,
                input_text)
        qty = line.qty if line is not None else []
        price = line.price if line is not None else []
        for m in range(months):
            row.put(layout.qty + m, qty[m] if m < len(qty) else None, qty_style)
            row.put(layout.price + m, price[m] if m < len(price) else None, price_style)
            row.put(layout.sales + m, Formula(f"{qty_letters[m]}{number}*"
                                              f"{price_letters[m]}{number}"), sales_style)
        row.put(layout.total, Formula(f"SUM({qty_letters[0]}{number}:{total_to}{number})"),
                styles["total"])
        row.write(sheet)

    for sequence, item in enumerate(plan.catalog, start=1):
        item_row(sequence, item.group_text, item.item_code, item.description,
                 by_code.get(item.item_code), False)
    ranges = [f"F{FIRST_ROW}:F{sheet.rows}"] if plan.catalog else []
    sheet.skip()
    sheet.append([None, None, NEW_ITEM_MARKER], [None, None, styles["marker"]])
    _header_row(styles, plan, layout, "Probability").write(sheet)
    first_new = sheet.rows + 1
    for index in range(max(NEW_ITEM_ROWS, len(new_lines) + 1)):
        line = new_lines[index] if index < len(new_lines) else None
        item_row(None, "", line.item_code if line else None,
                 line.description if line else "", line, True)
    ranges.append(f"F{first_new}:F{sheet.rows}")
    sheet.validations.append((" ".join(ranges),
                              f"{LIST_SHEET}!$B$2:$B${len(PROBABILITY_TEXTS) + 1}"))


def _write_summary(book: Book, styles: dict[str, int], plan: WorkbookPlan, layout: Layout,
                   titles: list[str], new_codes: dict[str, str]) -> None:
    """Per item, each month's cases summed over every customer sheet by item code."""
    months = layout.months
    sheet = book.add_sheet("Summary", _widths(layout), f"{letter(layout.qty)}{FIRST_ROW}")
    _top(sheet, styles, plan, layout, f"Summary - {plan.rep_name}",
         f"{plan.cycle_name}: cases per item over all customer sheets (formulas).",
         with_prices=False)
    _header_row(styles, plan, layout, SUMMARY_F, with_prices=False).write(sheet)
    qty_letters = [letter(layout.qty + m) for m in range(months)]
    total_to = qty_letters[min(TOTAL_MONTHS, months) - 1]
    refs = [quoted(title) for title in titles]
    rows = [(item.group_text, item.item_code, item.description, item.average_last_q)
            for item in plan.catalog]
    rows += [("New item", code, description, None) for code, description in new_codes.items()]
    for offset, (group, code, description, average) in enumerate(rows):
        number = FIRST_ROW + offset
        row = _Row(layout.total + 1)
        row.put(1, offset + 1, styles["plain"])
        row.put(2, group or None, styles["plain"])
        row.put(3, _code_value(code), styles["code"])
        row.put(4, description or None, styles["plain"])
        row.put(5, average, styles["money"])
        for m, column in enumerate(qty_letters):
            terms = [f"SUMIF({ref}!$D:$D,$D{number},{ref}!{column}:{column})" for ref in refs]
            formula = "+".join(terms) if terms else "0"
            if len(formula) > MAX_FORMULA:  # Excel's limit: a SUM of up to 255 SUMIFs
                formula = "SUM(" + ",".join(terms) + ")"
            row.put(layout.qty + m, Formula(formula), styles["sum_qty"])
        row.put(layout.total, Formula(f"SUM({qty_letters[0]}{number}:{total_to}{number})"),
                styles["total"])
        row.write(sheet)


def _write_list(book: Book, styles: dict[str, int]) -> None:
    sheet = book.add_sheet(LIST_SHEET, {1: 8, 2: 44, 3: 12})
    head = styles["head"]
    sheet.append(["Code", "Probability", "Risk"], [head, head, head])
    for code, text in PROBABILITY_TEXTS.items():
        sheet.append([code, text, PROBABILITY_RISKS[code]])


def _write_budget(book: Book, styles: dict[str, int], plan: WorkbookPlan) -> None:
    """The §5.3 pivot for the plan's M1-M12 that have a budget: cases block, then $ block."""
    window = plan.months[:TOTAL_MONTHS]
    shown = [m for m in window if any(m in row.cases or m in row.sales for row in plan.budget)]
    block = 2 + len(shown) + 1
    widths = {}
    for column in range(2 * block):
        widths[column + 1] = 24 if column % block < 2 else 14
    sheet = book.add_sheet("Budget", widths)
    sheet.append([f"Budget - {plan.rep_name}"], [styles["title"]])
    sheet.skip()
    head = styles["head"]
    header: list[Any] = []
    for name in ("Q", "Sales"):
        header += ["Row Labels", "Customer S&OP", *(f"Sum of {name}-{m.month}" for m in shown),
                   None]
    sheet.append(header, [head] * len(header))
    totals_q = [0.0] * len(shown)
    totals_s = [0.0] * len(shown)
    for index, budget in enumerate(plan.budget):
        label = plan.rep_name if index == 0 else None
        cases = [budget.cases.get(m, 0.0) for m in shown]
        sales = [budget.sales.get(m, 0.0) for m in shown]
        totals_q = [a + b for a, b in zip(totals_q, cases, strict=True)]
        totals_s = [a + b for a, b in zip(totals_s, sales, strict=True)]
        sheet.append([label, budget.sop_name, *cases, None, label, budget.sop_name, *sales])
    total_row = ["Grand Total", None, *totals_q, None, "Grand Total", None, *totals_s]
    sheet.append(total_row, [head if v == "Grand Total" else None for v in total_row])


# --- reading: rows from .xlsx or .xlsb ---------------------------------------------------------

@dataclass(frozen=True)
class FormulaCell:
    """A cell holding a formula; `text` without the '=' (None when the format hides it)."""

    text: str | None


def _xlsx_sheets(data: bytes) -> Iterator[tuple[str, Iterator[tuple[int, tuple[Any, ...]]]]]:
    """(sheet name, rows) where rows yield (row number, values) as typed: formulas are
    `FormulaCell`, never their cached value. Streams each sheet's XML (expat through
    ElementTree.iterparse): ~5x faster than openpyxl's read-only mode, for the same values."""
    archive = zipfile.ZipFile(io.BytesIO(data))
    names = set(archive.namelist())
    workbook = _parse(archive.read("xl/workbook.xml"))
    rels_path = "xl/_rels/workbook.xml.rels"
    targets = {}
    if rels_path in names:
        for rel in _parse(archive.read(rels_path)):
            targets[rel.get("Id")] = rel.get("Target", "")
    strings = _shared_strings(archive, names)
    dates = _date_styles(archive, names)
    for sheet in workbook.iter(f"{MAIN_NS}sheet"):
        target = targets.get(sheet.get(f"{REL_NS}id") or "", "")
        path = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
        if path in names and "worksheets/" in path:
            yield sheet.get("name") or "", _xlsx_rows(archive, path, strings, dates)


MAIN_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
REL_NS = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
DATE_FORMAT_IDS = {14, 15, 16, 17, 18, 19, 20, 21, 22, 27, 30, 36, 45, 46, 47, 50, 57}
EXCEL_EPOCH = datetime(1899, 12, 30)


NO_DTD = UnsafeWorkbook("The workbook holds XML declarations Excel never writes (a DTD): save it "
                        "again from Excel and upload the new copy.")


def _check_prolog(head: bytes) -> None:
    """Entities (billion laughs, external files) need a DTD before the root element: refuse
    any part that has one, so expat never expands anything."""
    root = re.search(rb"<[A-Za-z]", head)
    if root is None or re.search(rb"<!DOCTYPE|<!ENTITY", head[:root.start()], re.IGNORECASE):
        raise NO_DTD


def _parse(data: bytes) -> ElementTree.Element:
    _check_prolog(data[:65536])
    return ElementTree.fromstring(data)  # noqa: S314 - prolog checked: no DTD, no entities


def _events(stream: Any) -> Iterator[tuple[str, ElementTree.Element]]:
    """iterparse's ("end", element) events of a zip member, fed in chunks, DTD refused."""
    head = stream.read(65536)
    _check_prolog(head)
    parser = ElementTree.XMLPullParser(("end",))
    chunk = head
    while chunk:
        parser.feed(chunk)
        yield from parser.read_events()
        chunk = stream.read(65536)
    parser.close()
    yield from parser.read_events()


def _shared_strings(archive: zipfile.ZipFile, names: set[str]) -> list[str]:
    if "xl/sharedStrings.xml" not in names:
        return []
    strings: list[str] = []
    text_tag, item_tag, phonetic = f"{MAIN_NS}t", f"{MAIN_NS}si", f"{MAIN_NS}rPh"
    with archive.open("xl/sharedStrings.xml") as stream:
        for _, element in _events(stream):
            if element.tag == item_tag:
                for skip in element.findall(phonetic):
                    element.remove(skip)
                strings.append("".join(t.text or "" for t in element.iter(text_tag)))
                element.clear()
    return strings


def _date_styles(archive: zipfile.ZipFile, names: set[str]) -> set[str]:
    """Indexes of the cell formats that show a date (their numbers are dates)."""
    if "xl/styles.xml" not in names:
        return set()
    root = _parse(archive.read("xl/styles.xml"))
    custom = set()
    for fmt in root.iter(f"{MAIN_NS}numFmt"):
        code = re.sub(r'"[^"]*"|\[[^\]]*\]', "", (fmt.get("formatCode") or "").lower())
        if re.search(r"[dy]|m{3,}", code):
            custom.add(int(fmt.get("numFmtId") or 0))
    found = set()
    xfs = root.find(f"{MAIN_NS}cellXfs")
    for index, xf in enumerate(xfs if xfs is not None else []):
        number = int(xf.get("numFmtId") or 0)
        if number in DATE_FORMAT_IDS or number in custom:
            found.add(str(index))
    return found


COLUMN_INDEX = {get_column_letter(i + 1): i for i in range(16384)}


WHOLE_SHEET_BYTES = 4 * 1024 * 1024  # parsed at once below this (C speed), streamed above
DIGITS = "0123456789"


def _xlsx_rows(archive: zipfile.ZipFile, path: str, strings: list[str], dates: set[str]
               ) -> Iterator[tuple[int, tuple[Any, ...]]]:
    row_tag = f"{MAIN_NS}row"
    if archive.getinfo(path).file_size <= WHOLE_SHEET_BYTES:
        root = _parse(archive.read(path))
        data = root.find(f"{MAIN_NS}sheetData")
        last_row = 0
        for row in data if data is not None else ():
            if row.tag == row_tag:
                last_row, values = _row_values(row, last_row, strings, dates)
                if values:
                    yield last_row, values
        return
    with archive.open(path) as stream:
        last_row = 0
        for _, element in _events(stream):
            if element.tag == row_tag:
                last_row, values = _row_values(element, last_row, strings, dates)
                element.clear()
                if values:
                    yield last_row, values


def _row_values(row: ElementTree.Element, last_row: int, strings: list[str], dates: set[str]
                ) -> tuple[int, tuple[Any, ...]]:
    """(row number, values by column) of one <row> element. A cell's first child tells its
    content: <f> a formula, <v> a value, <is> an inline string."""
    number = row.get("r")
    number_value = int(number) if number and number.isdigit() else last_row + 1
    cells: dict[int, Any] = {}
    column = -1
    formula_tag, value_tag = f"{MAIN_NS}f", f"{MAIN_NS}v"
    for cell in row:
        ref = cell.get("r")
        column = COLUMN_INDEX.get(ref.rstrip(DIGITS), column + 1) if ref else column + 1
        if not len(cell):
            continue  # an empty (styled) cell
        first = cell[0]
        tag = first.tag
        if tag == formula_tag:
            cells[column] = FormulaCell(first.text or "")
            continue
        kind = cell.get("t")
        if tag == value_tag:
            raw = first.text
            if raw is None:
                continue
            if kind is None or kind == "n":
                style = cell.get("s")
                try:
                    value = float(raw)
                except ValueError:
                    cells[column] = raw
                    continue
                if style is not None and style in dates:
                    cells[column] = _serial_date(value)
                else:
                    cells[column] = int(value) if value.is_integer() and abs(value) < 2**53 \
                        else value
            else:
                cells[column] = _typed(raw, kind, strings)
        elif kind == "inlineStr":
            cells[column] = "".join(t.text or "" for t in cell.iter(f"{MAIN_NS}t"))
    if not cells:
        return number_value, ()
    out: list[Any] = [None] * (max(cells) + 1)
    for index, value in cells.items():
        out[index] = value
    return number_value, tuple(out)


def _serial_date(value: float) -> Any:
    try:
        return EXCEL_EPOCH + timedelta(days=value)
    except OverflowError:
        return value


def _typed(raw: str, kind: str, strings: list[str]) -> Any:
    """A <v> of a non-numeric cell type."""
    if kind == "s":
        index = int(raw) if raw.isdigit() else -1
        return strings[index] if 0 <= index < len(strings) else ""
    if kind == "b":
        return raw == "1"
    if kind == "d":
        try:
            return datetime.fromisoformat(raw)
        except ValueError:
            return raw
    return raw  # "str", "e" (an error such as #N/A) and anything unknown: as text


def _xlsb_sheets(data: bytes) -> Iterator[tuple[str, Iterator[tuple[int, tuple[Any, ...]]]]]:
    """The same over pyxlsb's record stream, so formula cells are known as formulas (pyxlsb
    itself would hand out their cached values)."""
    from pyxlsb import biff12, open_workbook

    workbook = open_workbook(io.BytesIO(data))
    try:
        for name in workbook.sheets:
            sheet = workbook.get_sheet(name)
            try:
                yield name, _xlsb_rows(sheet, biff12)
            finally:
                sheet.close()
    finally:
        workbook.close()


def _xlsb_rows(sheet: Any, biff12: Any) -> Iterator[tuple[int, tuple[Any, ...]]]:
    reader = sheet._reader
    reader.seek(sheet._data_offset, io.SEEK_SET)
    strings = sheet._stringtable
    current: int | None = None
    cells: dict[int, Any] = {}

    def flush() -> tuple[int, tuple[Any, ...]]:
        width = max(cells) + 1 if cells else 0
        return current + 1, tuple(cells.get(i) for i in range(width))  # type: ignore

    for kind, record in reader:
        if kind == biff12.ROW:
            if current is not None and record.r != current and cells:
                yield flush()
            if record.r != current:
                cells = {}
            current = record.r
        elif biff12.BLANK <= kind <= biff12.FORMULA_BOOLERR:
            if kind == biff12.STRING and strings is not None:
                value: Any = strings[record.v]
            elif kind >= biff12.FORMULA_STRING:
                value = FormulaCell(None)
            elif kind in (biff12.BOOLERR,):
                value = "#ERROR"
            else:
                value = record.v
            if value is not None:
                cells[record.c] = value
        elif kind == biff12.SHEETDATA_END:
            break
    if current is not None and cells:
        yield flush()


def workbook_sheets(data: bytes) -> Iterator[tuple[str, Iterator[tuple[int, tuple[Any, ...]]]]]:
    """Sheets of an .xlsx or .xlsb workbook as rows of typed values (see `FormulaCell`)."""
    try:
        names = set(zipfile.ZipFile(io.BytesIO(data)).namelist())
    except (zipfile.BadZipFile, OSError, ValueError):
        names = set()
    if "xl/workbook.bin" in names:
        return _xlsb_sheets(data)
    if "xl/workbook.xml" in names:
        return _xlsx_sheets(data)
    raise UnsafeWorkbook("This is not a readable Excel workbook: upload the .xlsx or .xlsb "
                         "file as saved by Excel.")


# --- reading: classification and parsing -------------------------------------------------------

def _cell(values: tuple[Any, ...], index: int) -> Any:
    return values[index] if index < len(values) else None


def _blank(value: Any) -> bool:
    return value is None or (type(value) is str and not value.strip())


def classify_header(values: tuple[Any, ...]) -> str | None:
    """'customer', 'single' (variant a: F holds Avg, price in Y), 'summary' or None."""
    f_text = normalise(_cell(values, 5))
    if f_text.startswith("average") and "last q" in f_text:
        return "summary"
    if normalise(_cell(values, 1)) != "#" or not normalise(_cell(values, 3)).startswith("item"):
        return None
    if f_text.startswith("probab"):
        return "customer"
    if f_text.startswith("avg") or f_text == "average":
        return "single"
    return None


ARITHMETIC = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
              ast.Div: operator.truediv}


def _arithmetic(text: str) -> float | None:
    """The value of a formula made only of numbers, + - * / and brackets; None otherwise."""
    if len(text) > 200:
        return None
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError:
        return None

    def value(node: ast.AST) -> float:
        if isinstance(node, ast.Constant) and type(node.value) in (int, float):
            return float(node.value)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
            inner = value(node.operand)
            return -inner if isinstance(node.op, ast.USub) else inner
        if isinstance(node, ast.BinOp) and type(node.op) in ARITHMETIC:
            return ARITHMETIC[type(node.op)](value(node.left), value(node.right))
        raise ValueError

    try:
        return value(tree.body)
    except (ValueError, ZeroDivisionError, OverflowError):
        return None


class _Bad(ValueError):
    pass


def _amount(value: Any, what: str, warn: Callable[[str], None]) -> float:
    """A typed quantity or price; raises _Bad with what to do."""
    if type(value) is float or type(value) is int:
        number = float(value)
    elif isinstance(value, FormulaCell):
        if value.text is None:
            raise _Bad(f"This {what} cell holds a formula; formulas are not read (their "
                       "saved results can be wrong): type the number instead.")
        number = _arithmetic(value.text)  # type: ignore[assignment]
        if number is None:
            raise _Bad(f"This {what} cell holds a formula (={value.text}); formulas that "
                       "refer to other cells are not read, their saved results can be wrong: "
                       "type the number (Paste Special → Values).")
    elif isinstance(value, bool):
        raise _Bad(f"Enter the {what} as a number, not TRUE/FALSE.")
    elif isinstance(value, datetime | date):
        raise _Bad(f"This {what} cell holds a date: enter a number.")
    elif isinstance(value, str):
        text = value.strip().replace(",", "").replace("$", "")
        try:
            number = float(text)
        except ValueError:
            raise _Bad(f"Enter the {what} as a number (blank means 0 for quantities)."
                       ) from None
        warn(f"This {what} is stored as text; it was read as {number:g}.")
    else:
        raise _Bad(f"Enter the {what} as a number.")
    if number != number or number in (float("inf"), float("-inf")):
        raise _Bad(f"Enter the {what} as a number.")
    if number < 0:
        raise _Bad(f"A {what} cannot be negative: enter 0 or more.")
    return number


CODE_TEXT = re.compile(r"^\d{1,6}$")


def item_code(value: Any) -> str:
    """An item code cell (number or text) as the 6-digit code; _Bad when it is not one."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool | FormulaCell):
        raise _Bad("Type the 6-digit item code (e.g. 110001), not a formula.")
    text = str(value).strip()
    if text.endswith(".0"):
        text = text[:-2]
    if not CODE_TEXT.match(text):
        raise _Bad("An item code has 6 digits, e.g. 110001.")
    return text.zfill(6)


PROBABILITY_KEYWORDS: tuple[tuple[re.Pattern[str], int], ...] = (
    (re.compile(r"sales\s*order"), 0),
    (re.compile(r"supply\s*plan"), 1),
    (re.compile(r"cust\w*\s+f\w{0,3}cast"), 2),
    (re.compile(r"budget|estimated|by\s+sales\s+rep"), 3),
    (re.compile(r"low\s*/\s*mid"), 1),
    (re.compile(r"high"), 3),
    (re.compile(r"mid"), 2),
    (re.compile(r"low"), 0),
)
EXACT_PROBABILITIES = {normalise(text): code for code, text in PROBABILITY_TEXTS.items()}


def map_probability(value: Any) -> tuple[int | None, str | None]:
    """(code, warning) for a probability cell: exact texts map silently (case and spaces
    ignored); misspellings and risk words map with a warning; anything else is None with a
    warning. Category names win over risk words (`Customer Forecast - HIGH Risk` → 2)."""
    if _blank(value):
        return None, None
    if isinstance(value, FormulaCell):
        return None, "The probability holds a formula: choose a category from the list."
    if isinstance(value, int | float) and not isinstance(value, bool):
        if float(value) in (0.0, 1.0, 2.0, 3.0):
            code = int(value)
            return code, f"Read the number {value:g} as '{PROBABILITY_TEXTS[code]}'."
        return None, (f"{value:g} is not a probability category: choose one from the list "
                      "(left blank).")
    text = normalise(value)
    if text in EXACT_PROBABILITIES:
        return EXACT_PROBABILITIES[text], None
    close = difflib.get_close_matches(text, list(EXACT_PROBABILITIES), n=1, cutoff=0.85)
    code: int | None = EXACT_PROBABILITIES[close[0]] if close else None
    if code is None:
        for pattern, candidate in PROBABILITY_KEYWORDS:
            if pattern.search(text):
                code = candidate
                break
    if code is None:
        return None, (f"'{value}' is not a probability category: choose one from the list "
                      "(left blank).")
    return code, f"Read '{str(value).strip()}' as '{PROBABILITY_TEXTS[code]}'."


@dataclass
class _SheetState:
    kind: str  # customer / single
    sheet: CustomerSheet
    header_row: int
    layout: Layout  # the file's columns: its own number of month columns (TOTAL's position)
    has_prices: bool = False
    in_new_block: bool = False
    seen: dict[str, int] = field(default_factory=dict)


def read_rep_workbook(data: bytes, problems: ProblemLog, months: int = 16
                      ) -> list[CustomerSheet]:
    """The customer sheets of a filled rep workbook (.xlsx or .xlsb), in file order, with the
    lines to keep; every problem goes to `problems` naming sheet, row, column and value.
    Lines of rows with an error are left out (the caller refuses the file when
    `problems.errors`); warnings keep the line."""
    layout = Layout(months)
    customers: list[CustomerSheet] = []
    summary_prices: dict[str, float] = {}
    formula_prices: dict[str, RowProblem] = {}  # Summary prices that are formulas: not read
    for name, rows in workbook_sheets(data):
        state: _SheetState | None = None
        summary: tuple[int, int] | None = None  # (code column, price column)
        above: list[tuple[Any, ...]] = []
        for number, values in rows:
            if state is not None:
                _read_row(state, months, number, values, problems)
                continue
            if summary is not None:
                _summary_price(summary, name, number, values, summary_prices, formula_prices)
                continue
            if number > HEADER_SEARCH_ROWS:
                break  # not a sheet we read
            kind = classify_header(values)
            if kind == "summary":
                summary = _summary_columns(values)
                if summary is None:
                    break
            elif kind is not None:
                state = _SheetState(kind, CustomerSheet(name), number,
                                    _file_layout(values, layout))
                state.has_prices = kind == "customer" and _has_price_block(values, above,
                                                                           state.layout)
                state.sheet.price_source = ("single" if kind == "single" else
                                            "sheet" if state.has_prices else "summary")
                customers.append(state.sheet)
            else:
                above.append(values)
    for customer in customers:
        if customer.price_source == "summary":
            for line in customer.lines:
                price = summary_prices.get(line.item_code)
                line.price = [price] * months
                warning = formula_prices.pop(line.item_code, None)
                if price is None and warning is not None:
                    problems.append(warning)  # once per item
    return customers


def _file_layout(header: tuple[Any, ...], expected: Layout) -> Layout:
    """The sheet's layout from where its TOTAL column is (W for 16 month columns): a file made
    for another horizon still reads its prices from the right columns."""
    for index in range(expected.qty + 1, len(header)):
        if normalise(header[index]) == "total":
            return Layout(index - expected.qty)
    return expected


def _summary_columns(values: tuple[Any, ...]) -> tuple[int, int] | None:
    headers = [normalise(v) for v in values]
    code = next((i for i, h in enumerate(headers) if h.startswith("item")), None)
    price = next((i for i, h in enumerate(headers) if h == "price"), None)
    if code is None or price is None:
        return None
    return code, price


def _summary_price(columns: tuple[int, int], sheet: str, number: int,
                   values: tuple[Any, ...], prices: dict[str, float],
                   formulas: dict[str, RowProblem]) -> None:
    """Remember the Summary's typed price of the row's item (variant b). A formula price is
    not read (its cached value may be wrong): kept as a warning, logged only when a customer
    sheet without prices needs that item's price."""
    code_value, price = _cell(values, columns[0]), _cell(values, columns[1])
    if _blank(code_value):
        return
    try:
        code = item_code(code_value)
    except _Bad:
        return
    if isinstance(price, FormulaCell):
        formulas.setdefault(code, RowProblem(
            sheet, number, letter(columns[1]), _shown(price),
            "This Summary price is a formula and formulas are not read: type the price, or "
            "the customer's price from the price matrix applies.", "warning"))
    elif type(price) in (int, float) and price > 0:
        prices.setdefault(code, float(price))


def _has_price_block(header: tuple[Any, ...], above: list[tuple[Any, ...]],
                     layout: Layout) -> bool:
    """Z..AO carry price headers (or Z4 says PRICE): otherwise the sheet has no prices."""
    span = range(layout.price, layout.price + layout.months)
    if any(not _blank(_cell(header, i)) for i in span):
        return True
    return any("price" in normalise(_cell(row, layout.price)) for row in above)


def _read_row(state: _SheetState, months: int, number: int, values: tuple[Any, ...],
              problems: ProblemLog) -> None:
    """One row after the header: a line of `months` buckets (the file's extra month columns
    are ignored, missing ones read as blank)."""
    layout = state.layout
    name = state.sheet.name
    marker = _cell(values, 2)
    if isinstance(marker, str) and normalise(marker).startswith("if you need to add new item"):
        state.in_new_block = True
        return
    if classify_header(values) is not None:
        return  # the header repeated above the new-item block
    found: list[RowProblem] = []  # logged when the row turns out to be a line

    def problem(column: int, value: Any, message: str, severity: str = "error") -> None:
        found.append(RowProblem(name, number, letter(column), _shown(value), message,
                                severity))

    qty: list[float | None] = []
    typed = False  # any non-zero number typed (not a formula) on the row
    formulas = False
    width, first, present = len(values), layout.qty, layout.months
    for m in range(months):
        column = first + m
        value = values[column] if column < width and m < present else None
        kind = type(value)
        if (kind is float or kind is int) and value >= 0:  # the usual case, fast
            qty.append(float(value))
            typed = typed or value != 0
            continue
        if _blank(value):
            qty.append(0.0)
            continue
        formulas = formulas or isinstance(value, FormulaCell)
        try:
            number_value = _amount(value, "quantity",
                                   lambda text, c=column, v=value: problem(c, v, text, "warning"))
        except _Bad as exc:
            problem(column, value, str(exc))
            qty.append(0.0)
            continue
        typed = typed or (number_value != 0 and not isinstance(value, FormulaCell))
        qty.append(number_value)

    price: list[float | None] = [None] * months
    if state.kind == "single":
        price_columns = [layout.single_price]
    elif state.has_prices:
        price_columns = [layout.price + m for m in range(min(months, layout.months))]
    else:
        price_columns = []
    for m, column in enumerate(price_columns):
        value = values[column] if column < width else None
        if value is None:
            continue
        kind = type(value)
        if (kind is float or kind is int) and value >= 0 and state.kind != "single":
            price[m] = float(value)
            typed = typed or value != 0
            continue
        if _blank(value):
            continue
        formulas = formulas or isinstance(value, FormulaCell)
        try:
            amount = _amount(value, "price",
                             lambda text, c=column, v=value: problem(c, v, text, "warning"))
        except _Bad as exc:
            problem(column, value, str(exc))
            continue
        typed = typed or (amount != 0 and not isinstance(value, FormulaCell))
        if state.kind == "single":
            price = [amount] * months
        else:
            price[m] = amount

    code_value = _cell(values, 3)
    if _blank(code_value):
        # A row without an item code holding only formulas is a totals row some reps add:
        # skipped. Typed numbers without a code are an error.
        if typed:
            problem(3, code_value, "Quantities or prices without an item code: type the "
                    "6-digit item code in column D, or clear the row.")
            _log(problems, found)
        elif not formulas:
            _log(problems, found)
        return
    try:
        code = item_code(code_value)
    except _Bad as exc:
        problem(3, code_value, str(exc))
        _log(problems, found)
        return

    keep = any(q for q in qty) or any(p for p in price if p)
    probability = None
    if state.kind == "customer":
        probability, warning = map_probability(_cell(values, 5))
        if warning and keep:
            problem(5, _cell(values, 5), warning, "warning")
    if keep and code in state.seen:
        problem(3, code_value, f"Item {code} is already on row {state.seen[code]} of this "
                "sheet: keep its numbers on one row.")
    _log(problems, found)
    if any(p.severity == "error" for p in found) or not keep:
        return
    state.seen[code] = number
    description = _cell(values, 4)
    state.sheet.lines.append(SheetLine(
        item_code=code,
        description=description.strip() if isinstance(description, str) else
        ("" if description is None or isinstance(description, FormulaCell) else str(description)),
        probability=probability, qty=qty, price=price, new_item=state.in_new_block,
        row=number))


def _log(problems: ProblemLog, found: list[RowProblem]) -> None:
    for item in found:
        problems.append(item)


def _shown(value: Any) -> Any:
    if isinstance(value, FormulaCell):
        return f"={value.text}" if value.text is not None else "(formula)"
    return value


def iter_lines(sheets: Iterable[CustomerSheet]) -> Iterator[tuple[str, SheetLine]]:
    """(sheet name, line) for every kept line: handy for totals and summaries."""
    for sheet in sheets:
        for line in sheet.lines:
            yield sheet.name, line
