"""The report workbook: every report type writes its sheets through `ReportBook`, so all
reports look alike — a title block (report title, filters in words, scope, generation time),
a styled header row that stays frozen, an autofilter over the data, number formats by column
kind (cases `#,##0`, money with currency, % with one decimal, real dates and months), bold
totals rows, column widths and a closing "About" sheet saying how the figures are computed.

Written through sop.excel.sheets (XlsxWriter, constant memory): rows go to disk as they are
written, so a 20,000-line report never sits in memory as cells. Each column's format is looked
up once per sheet (sop.excel.sheets.Columns); text always stays text (a customer name starting
with "=" is never a formula). No Flask, no request: runs in the report worker.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sop.excel.sheets import Book, Sheet, Styles
from sop.excel.writer import KIND_FORMATS, column_letter
from sop.months import month_label, parse_year_month

if TYPE_CHECKING:
    from sop.reports.registry import ReportContext, ReportFilters

KINDS = frozenset(KIND_FORMATS) | {"text"}
DEFAULT_WIDTHS = {"text": 24, "cases": 12, "money": 14, "percent": 10, "date": 12,
                  "datetime": 17, "month": 10, "number": 12, "int": 9}
HEAD_BLUE = "1D4E89"
TOTAL_GREY = "E7E6E6"
TITLE_ROWS = 5  # title, filters, scope, generated, blank: the header is on row 6
MAX_FROZEN_COLUMNS = 4
SHEET_NAME_JUNK = re.compile(r"[\[\]:*?/\\]")

EFFECTIVE_PRICE_NOTE = (
    "Effective price ($/case) of a forecast month: the price the rep entered for that month "
    "if above 0, else the line's last positive price of an earlier month, else the "
    "customer's price-matrix price if above 0, else the item's list price, else 0. A closed "
    "cycle is read from its snapshot, with the effective prices frozen when it closed.")
FORECAST_DOLLARS_NOTE = "Forecast $ of a month = cases x effective price of that month."
MONTHS_NOTE = ("M1 is the cycle's first planning month; M1-M12 totals cover its first twelve "
               "months (the mandatory horizon), M13-M16 are shown but not totalled.")
VARIANCE_NOTE = ("Variance = actual - forecast (positive: sold more than planned); variance "
                 "% = variance / forecast (blank when the forecast is 0).")


@dataclass(frozen=True)
class ReportColumn:
    """One column of a report sheet. `kind` picks the number format and default width:
    text | cases (#,##0) | money ("$"#,##0.00) | percent (0.0%) | date | datetime |
    month (a real first-of-month date shown mmm-yy) | number (#,##0.00) | int (#,##0)."""

    header: str
    kind: str = "text"
    width: int | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"Unknown column kind {self.kind!r}; use one of {sorted(KINDS)}.")


class ReportSheet:
    """One sheet of a report: title block, header, then rows and totals rows."""

    def __init__(self, book: ReportBook, title: str, columns: Sequence[ReportColumn]) -> None:
        self.book = book
        self.columns = list(columns)
        styles = book.styles
        widths = {index: column.width or max(DEFAULT_WIDTHS[column.kind],
                                             min(len(column.header) + 3, 40))
                  for index, column in enumerate(self.columns, start=1)}
        self.header_row = TITLE_ROWS + 1
        keys = next((index for index, column in enumerate(self.columns)
                     if column.kind != "text"), 1)  # the leading label columns stay in view
        keys = min(max(keys, 1), MAX_FROZEN_COLUMNS, len(self.columns) - 1 or 1)
        self._sheet = Sheet(book.workbook, styles, title, widths,
                            freeze=f"{column_letter(keys + 1)}{self.header_row + 1}")
        ws = self._sheet.ws
        ws.set_landscape()  # printed: as wide as a page, header repeated
        ws.fit_to_pages(1, 0)
        ws.repeat_rows(self.header_row - 1)
        self.title = title
        for text, style in book.title_block():
            self._sheet.append([text], [style])
        self._sheet.skip(TITLE_ROWS - len(book.title_block()))
        self._sheet.append([column.header for column in self.columns],
                           ["head"] * len(self.columns))
        sheet = self._sheet
        self._columns = sheet.columns([column.kind if column.kind != "text" else None
                                       for column in self.columns])
        width = len(self.columns)
        self._date_columns = {date: sheet.columns(["date"] * width),
                              datetime: sheet.columns(["datetime"] * width)}
        self._dated = {index for index, column in enumerate(self.columns)
                       if column.kind in ("date", "datetime", "month")}
        self.data_rows = 0
        self.last_data_row = self.header_row

    def row(self, values: Sequence[Any]) -> None:
        """A data row: `values[i]` in column i (None or NaN = empty). Text stays text whatever
        it starts with; numbers and dates get their column's format (a date in a column of
        another kind gets a date format; a time of day is kept)."""
        columns = self._columns
        for index, value in enumerate(values):
            if isinstance(value, date) and (
                    index not in self._dated or (type(value) is datetime
                    and self.columns[index].kind == "date")):
                columns = columns.replaced(index, self._date_columns[
                    datetime if type(value) is datetime else date])
        self.last_data_row = self._sheet.add(values, columns)
        self.data_rows += 1

    def total_row(self, label: str, values: Sequence[Any],
                  kinds: Sequence[str] | None = None) -> None:
        """A bold, shaded totals row: `label` in the first column, `values` in the next ones
        (outside the autofilter range when it closes the sheet, so sorting keeps it last).
        `kinds[i]`, when given, formats `values[i]` instead of its column's kind (a row of
        changes in % under columns of cases and $)."""
        row = [label, *values]
        self._sheet.append(row, [None if value is None else self._style_name(
            index, value, kinds[index - 1] if kinds and 0 < index <= len(kinds) else None)
            for index, value in enumerate(row)])

    def _style_name(self, index: int, value: Any, kind: str | None) -> str:
        if isinstance(value, str):
            return "total_text"
        if kind is None:
            kind = self.columns[index].kind if index < len(self.columns) else "number"
        return "total_" + ("number" if kind == "text" else kind)

    def close(self) -> None:
        """Autofilter over the header and data rows; a note when no row matched."""
        if not self.data_rows:
            self._sheet.append(["No data matches these filters."], ["note"])
        last = column_letter(max(len(self.columns), 1))
        self._sheet.autofilter(f"A{self.header_row}:{last}{self.last_data_row}")
        self.book.note_sheet(self.title, self.data_rows)


class ReportBook:
    """A report workbook being written to `ctx.path`."""

    def __init__(self, ctx: ReportContext, title: str, about: list[str]) -> None:
        self.ctx = ctx
        self.title = title
        self.about = list(about)
        self.workbook = Book(ctx.path)
        self.styles = _styles(self.workbook)
        self.sheets: list[ReportSheet] = []
        self.contents: list[tuple[str, int]] = []  # (sheet, data rows) for the About sheet
        self._names: set[str] = set()
        self._title_block: list[tuple[str, str | None]] | None = None

    def sheet(self, title: str, columns: Sequence[ReportColumn]) -> ReportSheet:
        sheet = ReportSheet(self, self.sheet_name(title), columns)
        self.sheets.append(sheet)
        return sheet

    def sheet_name(self, title: str) -> str:
        """A valid, unique sheet name (≤ 31 characters, none of []:*?/\\)."""
        base = SHEET_NAME_JUNK.sub(" ", title).strip()[:31] or "Sheet"
        name, number = base, 2
        while name.casefold() in self._names or name.casefold() == "about":
            suffix = f" ({number})"
            name, number = base[:31 - len(suffix)] + suffix, number + 1
        self._names.add(name.casefold())
        return name

    def note_sheet(self, title: str, rows: int) -> None:
        """List a sheet written without `sheet()` (the Consol sheet) on the About sheet."""
        self.contents.append((title, rows))

    def title_block(self) -> list[tuple[str, str | None]]:
        """The lines on top of every sheet (and of About): title, filters, scope, when."""
        if self._title_block is None:
            ctx = self.ctx
            self._title_block = [
                (self.title, "title"),
                ("Filters: " + filters_in_words(ctx.filters, ctx.viewer), "info"),
                ("Scope: " + ctx.scope_label()
                 + ("" if ctx.sees_all else " (own customers only)"), "info"),
                # no requester: the same file is served to everyone with the same scope
                (f"Generated {ctx.generated_at:%Y-%m-%d %H:%M} UTC", "info")]
        return self._title_block

    def save(self) -> None:
        """Close every sheet, add the About sheet, write the file to `ctx.path`."""
        for sheet in self.sheets:
            sheet.close()
        about = Sheet(self.workbook, self.styles, "About", {1: 110})
        for text, style in self.title_block():
            about.append([text], [style])
        about.skip()
        about.append(["How the figures are computed"], ["subtitle"])
        for line in self.about:
            about.append([line], ["wrap"])
        about.skip()
        about.append(["Sheets"], ["subtitle"])
        for title, rows in self.contents:
            about.append([f"{title}: {rows:,} rows"], [None])
        self.workbook.close()


def _styles(workbook: Book) -> Styles:
    styles = Styles(workbook)
    styles.style("title", bold=True, size=14, color=HEAD_BLUE)
    styles.style("subtitle", bold=True, size=12)
    styles.style("info", color="595959")
    styles.style("note", italic=True, color="595959")
    styles.style("wrap", wrap=True)
    styles.style("head", bold=True, color="FFFFFF", fill=HEAD_BLUE, wrap=True, center=True)
    styles.style("total_text", bold=True, fill=TOTAL_GREY)
    for kind, number_format in KIND_FORMATS.items():
        styles.style(kind, number_format=number_format)
        styles.style("total_" + kind, bold=True, fill=TOTAL_GREY, number_format=number_format)
    return styles


def filters_in_words(filters: ReportFilters, viewer: Any) -> str:
    """"Cycle Nov 2026; months Nov 2025 to Feb 2026; rep Jane Roe; …", or "none". Ids are
    resolved only within what `viewer` may see (sop.security.scoped): a name outside it reads
    "not yours", whatever was stored."""
    from sop.models import Customer, Cycle, Product, User
    from sop.security import scoped

    def named(model: Any, key: str | None, show: Any) -> str | None:
        if not key:
            return None
        try:
            found = scoped(model, viewer).filter(pk=key).first()
        except Exception:  # a malformed id: say what was asked
            found = None
        return show(found) if found is not None else f"{key} (not found or not yours)"

    parts = []
    cycle = named(Cycle, filters.cycle, lambda c: f"{c.name} ({c.label})")
    if cycle:
        parts.append(f"cycle {cycle}")
    if filters.month_from or filters.month_to:
        parts.append("months " + " to ".join(
            _month_words(text) for text in (filters.month_from, filters.month_to) if text))
    rep = named(User, filters.rep, lambda u: u.full_name or u.email)
    if rep:
        parts.append(f"rep {rep}")
    if filters.territory:
        parts.append(f"territory {filters.territory}")
    customer = named(Customer, filters.customer, lambda c: f"{c.code} {c.sop_name or c.name}")
    if customer:
        parts.append(f"customer {customer}")
    item = named(Product, filters.item, lambda p: f"{p.item_code} {p.description}")
    if item:
        parts.append(f"item {item}")
    if filters.group:
        parts.append(f"group {filters.group}")
    return "; ".join(parts) if parts else "none"


def _month_words(text: str) -> str:
    try:
        return month_label(parse_year_month(text))
    except ValueError:
        return text
