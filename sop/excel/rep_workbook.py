"""The rep workbook (DOMAIN.md §5.1): read a filled one, write a pre-filled one.

Pure functions: no Flask, no database. The service layer (sop.workbooks) turns database lines
into a `WorkbookPlan` and `CustomerSheet`s back into lines. Writing uses openpyxl's write-only
mode (sop.excel.sheets): only titles, headers and item codes carry a cell style; the data cells
get their look (yellow = type here, grey = formula) and money formats from conditional formats
over their ranges. Reading uses openpyxl's read-only mode with `data_only=False` (any DTD
refused first; defusedxml inside openpyxl) and .xlsb through pyxlsb's record stream, so both
formats give the same typed rows to one classifier and one parser, and formula cells are known
as formulas (`FormulaCell`), never their cached values.

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
from datetime import date, datetime
from typing import Any

from defusedxml import DefusedXmlException
from lxml import etree
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.utils import column_index_from_string, get_column_letter
from openpyxl.worksheet._read_only import ReadOnlyWorksheet
from openpyxl.worksheet._reader import ROW_TAG, WorkSheetParser
from openpyxl.worksheet.formula import ArrayFormula, DataTableFormula

from sop.excel.masterdata import ProblemLog, RowProblem
from sop.excel.safety import MAX_ROWS, UnsafeWorkbook
from sop.excel.sheets import Formula, Sheet, Styles, plain
from sop.excel.streaming import StreamingWorkbook, open_streaming
from sop.excel.writer import workbook_bytes


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


def _styles(book: Workbook) -> Styles:
    """Prototype styles of the few styled cells (titles, headers, item codes); the data cells
    get their look from conditional formats over their ranges (`_Looks`)."""
    styles = Styles(book)
    head = {"bold": True, "color": "FFFFFF", "center": True, "wrap": True}
    styles.style("title", bold=True, size=14)
    styles.style("note", italic=True, color="595959")
    styles.style("band", fill=HEAD_BLUE, **head)
    styles.style("mandatory_band", fill=MANDATORY_RED, **head)
    styles.style("head", fill=HEAD_BLUE, border=True, **head)
    styles.style("head_month", fill=HEAD_BLUE, border=True, number_format=MONTH_FORMAT, **head)
    styles.style("head_mandatory", fill=MANDATORY_RED, border=True, number_format=MONTH_FORMAT,
                 **head)
    styles.style("code", number_format=CODE_FORMAT)
    styles.style("marker", bold=True, fill=MARKER_ORANGE)
    styles.style("money", number_format=PRICE_FORMAT)
    styles.done()
    return styles


@dataclass
class _Looks:
    """Conditional formats: editable cells yellow, computed ones grey (Excel and LibreOffice
    show them whatever the cell holds), with the money and cases formats."""

    input: Any
    price: Any
    sales: Any
    total: Any
    sum_qty: Any

    @classmethod
    def of(cls, styles: Styles) -> _Looks:
        return cls(
            input=styles.look(fill=INPUT_YELLOW, border=True),
            price=styles.look(fill=INPUT_YELLOW, border=True, number_format=PRICE_FORMAT),
            sales=styles.look(fill=COMPUTED_GREY, border=True, number_format=PRICE_FORMAT),
            total=styles.look(fill=COMPUTED_GREY, border=True, bold=True,
                              number_format=QTY_FORMAT),
            sum_qty=styles.look(fill=COMPUTED_GREY, border=True, number_format=QTY_FORMAT))


def write_rep_workbook(plan: WorkbookPlan) -> bytes:
    """The pre-filled workbook of §5.1: Summary, one sheet per customer (plan order), the
    probability List and the Budget. A line goes to its catalog row, unless its item is not in
    the catalog or it is flagged new_item: then it goes to the "add new Item Codes" block, so
    reading the file back gives the same lines with the same flags."""
    layout = Layout(len(plan.months))
    book = StreamingWorkbook()
    styles = _styles(book)
    looks = _Looks.of(styles)
    taken: set[str] = {"summary", LIST_SHEET.lower(), "budget"}
    titles = [sheet_title(customer.name, taken) for customer in plan.customers]
    catalog_codes = {item.item_code for item in plan.catalog}
    new_codes: dict[str, str] = {}
    for customer in plan.customers:
        for line in customer.lines:
            if line.item_code not in catalog_codes:  # the Summary has one row per code
                new_codes.setdefault(line.item_code, line.description)

    _write_summary(book, styles, looks, plan, layout, titles, new_codes)
    for customer, title in zip(plan.customers, titles, strict=True):
        _write_customer(book, styles, looks, plan, layout, customer, title, catalog_codes)
    _write_list(book, styles)
    _write_budget(book, styles, plan)
    book.calculation.fullCalcOnLoad = True  # formulas carry no cached value
    return workbook_bytes(book)


def _widths(layout: Layout) -> dict[int, float]:
    widths: dict[int, float] = {1: 2, 2: 5, 3: 22, 4: 10, 5: 36, 6: 30}
    for index in range(layout.qty, layout.width):
        widths[index + 1] = 10
    widths[layout.total + 2] = 3
    widths[layout.sales] = 3
    return widths


def _header_row(plan: WorkbookPlan, layout: Layout, f_header: str,
                with_prices: bool = True) -> tuple[list[Any], list[str | None]]:
    width = layout.width if with_prices else layout.total + 1
    values: list[Any] = [None] * width
    styles: list[str | None] = [None] * width
    for column, text in ((1, "#"), (2, "Group - Category"), (3, "ITEM\nCODE"),
                         (4, "DESCRIPTION"), (5, f_header)):
        values[column], styles[column] = text, "head"
    for offset, month in enumerate(plan.months):
        style = "head_mandatory" if offset < plan.mandatory_months else "head_month"
        columns = [layout.qty + offset]
        if with_prices:
            columns += [layout.price + offset, layout.sales + offset]
        for column in columns:
            values[column], styles[column] = month, style
    values[layout.total], styles[layout.total] = "TOTAL", "head"
    return values, styles


def _top(sheet: Sheet, plan: WorkbookPlan, layout: Layout, title: str, note: str,
         with_prices: bool = True) -> None:
    """Rows 1-6: title, note, the block titles (merged) and the mandatory-months band."""
    months = layout.months
    sheet.append([None, title], [None, "title"])
    sheet.append([None, note], [None, "note"])
    sheet.skip()
    values: list[Any] = [None] * layout.width
    styles: list[str | None] = [None] * layout.width
    values[layout.qty], styles[layout.qty] = "VOLUME FORECAST (CASES)", "band"
    blocks = [(layout.qty, layout.qty + months - 1)]
    if with_prices:
        values[layout.price], styles[layout.price] = "PRICE FORECAST", "band"
        values[layout.sales], styles[layout.sales] = "SALES FORECAST", "band"
        blocks += [(layout.price, layout.price + months - 1),
                   (layout.sales, layout.sales + months - 1)]
    sheet.append(values, styles)
    sheet.skip()
    mandatory = min(plan.mandatory_months, months)
    if mandatory:
        band: list[Any] = [None] * (layout.qty + 1)
        band[layout.qty] = f"Mandatory: M1-M{mandatory} (0 counts as a value)"
        sheet.append(band, [None] * layout.qty + ["mandatory_band"])
    else:
        sheet.skip()
    for first, last in blocks:
        sheet.merge(f"{letter(first)}4:{letter(last)}5")
    if mandatory > 1:
        sheet.merge(f"{letter(layout.qty)}6:{letter(layout.qty + mandatory - 1)}6")


def _code_value(code: str) -> int | str:
    return int(code) if code.isdigit() else code


def _write_customer(book: Workbook, styles: Styles, looks: _Looks, plan: WorkbookPlan,
                    layout: Layout, customer: CustomerSheet, title: str,
                    catalog_codes: set[str]) -> None:
    months = layout.months
    by_code: dict[str, SheetLine] = {}
    new_lines: list[SheetLine] = []
    for line in customer.lines:
        if line.new_item or line.item_code not in catalog_codes:
            new_lines.append(line)
        else:
            by_code[line.item_code] = line
    new_rows = max(NEW_ITEM_ROWS, len(new_lines) + 1)
    last_row = HEADER_ROW + len(plan.catalog) + 3 + new_rows
    sheet = Sheet(book, styles, title, _widths(layout), f"{letter(layout.qty)}{FIRST_ROW}",
                  dimension=f"A1:{letter(layout.width - 1)}{last_row}")
    ws = sheet.ws
    _top(sheet, plan, layout, customer.name,
         f"{plan.rep_name} - {plan.cycle_name}. Type in the yellow cells; grey cells are "
         "formulas.")
    sheet.append(*_header_row(plan, layout, "Probability"))

    qty_letters = [letter(layout.qty + m) for m in range(months)]
    price_letters = [letter(layout.price + m) for m in range(months)]
    total_to = qty_letters[min(TOTAL_MONTHS, months) - 1]
    qty_at, price_at, sales_at, total_at = layout.qty, layout.price, layout.sales, layout.total
    width = layout.width
    code_style = styles.prototypes["code"]

    def item_row(sequence: int | None, group: str, code: str | None, description: str,
                 line: SheetLine | None, editable_item: bool) -> None:
        number = sheet.rows + 1
        row: list[Any] = [None] * width
        row[1] = sequence
        row[2] = plain(ws, group) if group else None
        if code:
            if editable_item:
                row[3] = _code_value(code)
            else:
                cell = WriteOnlyCell(ws, _code_value(code))
                cell._style = code_style  # shared: written at once, never changed
                row[3] = cell
        row[4] = plain(ws, description) if description else None
        if line is not None:
            if line.probability is not None:
                row[5] = PROBABILITY_TEXTS.get(line.probability)
            qty, price = line.qty, line.price
            for m in range(min(months, len(qty))):
                value = qty[m]
                if value == value and value not in (INF, -INF):  # NaN, infinities: blank
                    row[qty_at + m] = value
            for m in range(min(months, len(price))):
                value = price[m]
                if value == value and value not in (INF, -INF):
                    row[price_at + m] = value
        for m in range(months):
            row[sales_at + m] = f"={qty_letters[m]}{number}*{price_letters[m]}{number}"
        row[total_at] = f"=SUM({qty_letters[0]}{number}:{total_to}{number})"
        sheet.append_plain(row)

    for sequence, item in enumerate(plan.catalog, start=1):
        item_row(sequence, item.group_text, item.item_code, item.description,
                 by_code.get(item.item_code), False)
    last_catalog = sheet.rows
    sheet.skip()
    sheet.append([None, None, NEW_ITEM_MARKER], [None, None, "marker"])
    sheet.append(*_header_row(plan, layout, "Probability"))
    first_new = sheet.rows + 1
    for index in range(new_rows):
        line = new_lines[index] if index < len(new_lines) else None
        item_row(None, "", line.item_code if line else None,
                 line.description if line else "", line, True)
    last = sheet.rows
    assert last == last_row
    blocks = ([(FIRST_ROW, last_catalog)] if plan.catalog else []) + [(first_new, last)]

    def ranges(first_column: int, last_column: int) -> str:
        return " ".join(f"{letter(first_column)}{top}:{letter(last_column)}{bottom}"
                        for top, bottom in blocks)

    sheet.validate_list(ranges(5, 5), f"{LIST_SHEET}!$B$2:$B${len(PROBABILITY_TEXTS) + 1}")
    sheet.paint(ranges(5, qty_at + months - 1) + f" D{first_new}:E{last}", looks.input)
    sheet.paint(ranges(price_at, price_at + months - 1), looks.price)
    sheet.paint(ranges(sales_at, sales_at + months - 1), looks.sales)
    sheet.paint(ranges(total_at, total_at), looks.total)


INF = float("inf")


def _write_summary(book: Workbook, styles: Styles, looks: _Looks, plan: WorkbookPlan,
                   layout: Layout, titles: list[str], new_codes: dict[str, str]) -> None:
    """Per item, each month's cases summed over every customer sheet by item code."""
    months = layout.months
    count = len(plan.catalog) + len(new_codes)
    sheet = Sheet(book, styles, "Summary", _widths(layout), f"{letter(layout.qty)}{FIRST_ROW}",
                  dimension=f"A1:{letter(layout.total)}{HEADER_ROW + count}")
    _top(sheet, plan, layout, f"Summary - {plan.rep_name}",
         f"{plan.cycle_name}: cases per item over all customer sheets (formulas).",
         with_prices=False)
    sheet.append(*_header_row(plan, layout, SUMMARY_F, with_prices=False))
    qty_letters = [letter(layout.qty + m) for m in range(months)]
    total_to = qty_letters[min(TOTAL_MONTHS, months) - 1]
    refs = [quoted(title) for title in titles]
    rows = [(item.group_text, item.item_code, item.description, item.average_last_q)
            for item in plan.catalog]
    rows += [("New item", code, description, None) for code, description in new_codes.items()]
    row_styles: list[str | None] = [None, None, None, "code", None, "money"]
    for offset, (group, code, description, average) in enumerate(rows):
        number = FIRST_ROW + offset
        values: list[Any] = [None, offset + 1, group or None, _code_value(code),
                             description or None, average]
        for column in qty_letters:
            terms = [f"SUMIF({ref}!$D:$D,$D{number},{ref}!{column}:{column})" for ref in refs]
            formula = "+".join(terms) if terms else "0"
            if len(formula) > MAX_FORMULA:  # Excel's limit: a SUM of up to 255 SUMIFs
                formula = "SUM(" + ",".join(terms) + ")"
            values.append(Formula("=" + formula))
        values.append(Formula(f"=SUM({qty_letters[0]}{number}:{total_to}{number})"))
        sheet.append(values, row_styles)
    if rows:
        last = FIRST_ROW + len(rows) - 1
        sheet.paint(f"{qty_letters[0]}{FIRST_ROW}:{qty_letters[-1]}{last}", looks.sum_qty)
        sheet.paint(f"{letter(layout.total)}{FIRST_ROW}:{letter(layout.total)}{last}",
                    looks.total)


def _write_list(book: Workbook, styles: Styles) -> None:
    sheet = Sheet(book, styles, LIST_SHEET, {1: 8, 2: 44, 3: 12})
    sheet.append(["Code", "Probability", "Risk"], ["head"] * 3)
    for code, text in PROBABILITY_TEXTS.items():
        sheet.append([code, text, PROBABILITY_RISKS[code]])


def _write_budget(book: Workbook, styles: Styles, plan: WorkbookPlan) -> None:
    """The §5.3 pivot for the plan's M1-M12 that have a budget: cases block, then $ block."""
    window = plan.months[:TOTAL_MONTHS]
    shown = [m for m in window if any(m in row.cases or m in row.sales for row in plan.budget)]
    block = 2 + len(shown) + 1
    widths = {}
    for column in range(2 * block):
        widths[column + 1] = 24 if column % block < 2 else 14
    sheet = Sheet(book, styles, "Budget", widths)
    sheet.append([f"Budget - {plan.rep_name}"], ["title"])
    sheet.skip()
    header: list[Any] = []
    for name in ("Q", "Sales"):
        header += ["Row Labels", "Customer S&OP", *(f"Sum of {name}-{m.month}" for m in shown),
                   None]
    sheet.append(header, ["head" if value is not None else None for value in header])
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
    sheet.append(total_row, ["head" if v == "Grand Total" else None for v in total_row])


# --- reading: rows from .xlsx or .xlsb ---------------------------------------------------------

@dataclass(frozen=True)
class FormulaCell:
    """A cell holding a formula; `text` without the '=' (None when the format hides it)."""

    text: str | None


def _xlsx_sheets(data: bytes, columns: int
                 ) -> Iterator[tuple[str, Iterator[tuple[int, tuple[Any, ...]]]]]:
    """(sheet name, rows) through openpyxl's read-only mode with `data_only=False`: formula
    cells come back as their formula text (made `FormulaCell`), never their cached value.
    XML with a DTD is refused first (see `_refuse_dtd`), then by defusedxml inside openpyxl."""
    _refuse_dtd(data)
    try:
        workbook = open_streaming(io.BytesIO(data))  # sheets never scanned to size them
    except (DefusedXmlException, ValueError) as exc:  # openpyxl wraps what the parser raised
        cause: BaseException | None = exc
        while cause is not None and not isinstance(cause, DefusedXmlException):
            cause = cause.__cause__ or cause.__context__
        if cause is not None:
            raise NO_DTD from None
        raise
    try:
        for sheet in workbook.worksheets:
            if isinstance(sheet, ReadOnlyWorksheet):
                yield sheet.title, _xlsx_rows(sheet, columns)
    finally:
        workbook.close()


FORMULA_OBJECTS = (ArrayFormula, DataTableFormula)


def _xlsx_rows(sheet: ReadOnlyWorksheet, columns: int) -> Iterator[tuple[int, tuple[Any, ...]]]:
    """Rows of the first `columns` columns; blank rows left out. The values of openpyxl's
    read-only rows (its own cell parser types each cell: shared strings, dates by style,
    formulas), but the sheet's XML is walked with lxml, row elements only: the standard
    library's XML layer under openpyxl was most of an import (2 s of a 30-sheet workbook).
    Entities are never resolved; a DTD is refused (as by defusedxml)."""
    book = sheet.parent
    parser = WorkSheetParser(None, sheet._shared_strings, data_only=False, epoch=book.epoch,
                             date_formats=book._date_formats,
                             timedelta_formats=book._timedelta_formats)
    following = 1  # rows out of order are skipped, as openpyxl does
    with sheet._get_source() as source:
        rows = etree.iterparse(source, tag=ROW_TAG, resolve_entities=False, no_network=True,
                               load_dtd=False, huge_tree=False)
        for _, element in rows:
            if element.getroottree().docinfo.doctype:
                raise NO_DTD
            _drop_cells_after(element, columns)
            number, cells = parser.parse_row(element)
            element.clear(keep_tail=True)
            while element.getprevious() is not None:  # rows already read
                del element.getparent()[0]
            if number > MAX_ROWS:
                break
            if number < following:
                continue
            following = number + 1
            values: list[Any] = [None] * columns
            for cell in cells:
                index = cell["column"] - 1
                if not 0 <= index < columns:
                    continue
                value = cell["value"]
                if cell["data_type"] == "f":
                    value = FormulaCell(getattr(value, "text", None)
                                        if isinstance(value, FORMULA_OBJECTS)
                                        else str(value)[1:])
                values[index] = value
            if values.count(None) != columns:
                yield number, tuple(values)


def _drop_cells_after(row: Any, columns: int) -> None:
    """Cells past the first `columns` columns are left out before openpyxl types them (the
    rep workbook's sales formulas after AP are half of its cells), when every cell of the row
    names its column (a cell without a reference takes its place from the one before)."""
    references = [cell.get("r") for cell in row]
    if not all(references):
        return
    for cell, reference in zip(list(row), references, strict=True):
        if column_index_from_string(reference.rstrip("0123456789")) > columns:
            row.remove(cell)


NO_DTD = UnsafeWorkbook("The workbook holds XML declarations Excel never writes (a DTD): save it "
                        "again from Excel and upload the new copy.")
PROLOG = re.compile(rb"<[A-Za-z]")
DTD = re.compile(rb"<!DOCTYPE|<!ENTITY", re.IGNORECASE)


def _refuse_dtd(data: bytes) -> None:
    """Entities (billion laughs, external files) need a DTD before the root element: refuse a
    workbook with any XML part that has one (reads each part's first 4 KB only)."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        for member in archive.infolist():
            if member.filename.endswith((".xml", ".rels")):
                with archive.open(member) as stream:
                    head = stream.read(4096)
                root = PROLOG.search(head)
                if DTD.search(head[:root.start()] if root else head):
                    raise NO_DTD
    except (zipfile.BadZipFile, OSError, EOFError):
        raise UnsafeWorkbook("The file is damaged (not a readable workbook). Open it in Excel, "
                             "save it again and upload the new copy.") from None


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


Rows = Iterator[tuple[int, tuple[Any, ...]]]


def workbook_sheets(data: bytes, columns: int = 16384) -> Iterator[tuple[str, Rows]]:
    """Sheets of an .xlsx or .xlsb workbook as rows of typed values (see `FormulaCell`)."""
    try:
        names = set(zipfile.ZipFile(io.BytesIO(data)).namelist())
    except (zipfile.BadZipFile, OSError, ValueError):
        names = set()
    if "xl/workbook.bin" in names:
        return _xlsb_sheets(data)
    if "xl/workbook.xml" in names:
        return _xlsx_sheets(data, columns)
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
    # A..AP: what a customer sheet and the Summary need (not the sales formulas after them)
    for name, rows in workbook_sheets(data, max(Layout(months).sales, Layout(16).sales)):
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
