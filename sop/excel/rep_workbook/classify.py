"""Which sheet of a filled rep workbook is a customer's, and which of its rows are item rows
(DOMAIN.md §5.1): sheets and rows are classified by their content, before anything is read
(sop.excel.rep_workbook.reader reads the item rows).

A customer sheet is recognised by its header row (B `#`, D `ITEM…`, F `Probability` or `Avg`,
in rows 1-20); the Summary by F `Average … last Q`. Below the header:

- **marker** (`If you need to add new Item Codes:`): the rows after it are new-item lines;
- **header row**: our labels (B `#`, D `ITEM…`), or month cells that hold dates: the new-item
  block repeats the header with its dates as formulas (`=+G7`, `=G222+30`);
- **section title**: no item code and no description, text where our months are (G onwards),
  no number: a table that is not ours starts there (` Monthly Quantity Split 2022`); its rows
  are not read until our own header or marker comes again;
- **item row**: any other row that is not blank. The reader makes it a line only with an item
  code in D and volume; the others (totals, zeros, a stray `=G7`) are empty lines.

Rows that are not lines are gathered by reason for the sheet's one note (`SkippedRows`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sop.excel.masterdata import RowProblem
from sop.excel.rep_workbook.cells import SheetCells, cell
from sop.excel.rep_workbook.layout import (
    HEADER_SEARCH_ROWS,
    CustomerSheet,
    Layout,
    SheetLine,
    normalise,
)
from sop.excel.rep_workbook.values import EXCEL_DAY_ZERO

WORD = re.compile(r"[^\W\d_]{2,}")
OUR_TITLES = ("volume forecast", "price forecast", "sales forecast", "mandatory", "total")
NEW_ITEM_MARKER = "if you need to add new item"


# --- headers -----------------------------------------------------------------------------------

def classify_header(values: tuple[Any, ...]) -> str | None:
    """'customer', 'single' (variant a: F holds Avg, price in Y), 'summary' or None."""
    f_text = normalise(cell(values, 5))
    if f_text.startswith("average") and "last q" in f_text:
        return "summary"
    if not our_labels(values):
        return None
    if f_text.startswith("probab"):
        return "customer"
    if f_text.startswith("avg") or f_text == "average":
        return "single"
    return None


def our_labels(values: tuple[Any, ...]) -> bool:
    first = cell(values, 1)
    return (isinstance(first, str) and normalise(first) == "#"
            and normalise(cell(values, 3)).startswith("item"))


def _file_layout(header: tuple[Any, ...], expected: Layout) -> Layout:
    """The sheet's layout from where its TOTAL column is (W for 16 month columns): a file made
    for another horizon still reads its prices from the right columns."""
    for index in range(expected.qty + 1, len(header)):
        if normalise(header[index]) == "total":
            return Layout(index - expected.qty)
    return expected


def _has_price_block(cells: SheetCells, number: int, above: list[tuple[Any, ...]],
                     layout: Layout) -> bool:
    """Z..AO carry price headers, even damaged ones (a formula, an error value), or Z4 says
    PRICE: otherwise the sheet has no prices."""
    header = cells.rows[number - 1]
    span = range(layout.price, layout.price + layout.months)
    if any(cell(header, i) is not None or (number, i) in cells.formulas for i in span):
        return True
    return any("price" in normalise(cell(row, layout.price)) for row in above)


def _single_price_column(header: tuple[Any, ...], layout: Layout) -> int:
    """Variant (a): the column headed `Price` after the months (Y in the standard layout)."""
    return next((i for i in range(layout.total + 1, len(header))
                 if "price" in normalise(header[i])), layout.single_price)


# --- rows --------------------------------------------------------------------------------------

QUIET_REASONS = ("header", "empty")  # rows that carry nothing: not worth a word
ROW_REASONS = {
    "title": "a separate table {title}, not read",
    "foreign": "part of the separate table {title}, not read",
    "formulas": "formulas without an item code (totals or copies), not read",
    "dates": "the header's month dates copied without an item code, not read",
    "no_volume": "no volume (item rows with a price but no quantity are not lines)",
}


@dataclass
class SkippedRows:
    """Rows of one sheet that are not lines, by reason, for the sheet's one-line note."""

    ranges: list[tuple[str, int, int, str]] = field(default_factory=list)  # reason, first, last

    def add(self, reason: str, row: int, title: str = "") -> None:
        if reason in QUIET_REASONS:
            return
        if self.ranges:
            last_reason, first, last, last_title = self.ranges[-1]
            if last_reason == reason and last_title == title and last == row - 1:
                self.ranges[-1] = (reason, first, row, title)
                return
        self.ranges.append((reason, row, row, title))

    def note(self, sheet: str) -> RowProblem | None:
        if not self.ranges:
            return None
        parts = []
        for reason, first, last, title in self.ranges:
            where = f"row {first}" if first == last else f"rows {first}-{last}"
            parts.append(f"{where}: " + ROW_REASONS[reason].format(title=f"'{title}'"))
        return RowProblem(sheet, self.ranges[0][1], "", None,
                          "Not read: " + "; ".join(parts) + ".", "note")


@dataclass
class SheetState:
    kind: str  # customer / single
    cells: SheetCells
    sheet: CustomerSheet
    layout: Layout  # the file's columns: its own number of month columns (TOTAL's position)
    header_row: int
    has_prices: bool = False
    in_new_block: bool = False
    foreign_title: str | None = None  # inside a table that is not ours
    header_days: set[float] = field(default_factory=set)  # the header's dates as day numbers
    single_price: int = 0  # variant (a): the column of the one price
    unsaved_rows: set[int] = field(default_factory=set)  # a number cell's formula has no value
    marked_rows: set[int] = field(default_factory=set)  # a number cell is a formula or an error
    quantities: int = 0  # non-zero quantities on lines, and of those formulas over other sheets
    over_other_sheets: int = 0
    seen: dict[str, SheetLine] = field(default_factory=dict)
    skipped: SkippedRows = field(default_factory=SkippedRows)


def is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def looks_like_title(values: tuple[Any, ...], layout: Layout) -> str | None:
    """The title text of a row that starts a table of its own: text (words) where our month
    cells are, no item code, no description and no number."""
    if not is_blank(cell(values, 3)) or not is_blank(cell(values, 4)):
        return None
    title = None
    for index, value in enumerate(values):
        if isinstance(value, int | float) and not isinstance(value, bool) and value != 0:
            return None
        if (title is None and index >= layout.qty and isinstance(value, str)
                and WORD.search(value)):
            title = value.strip()
    if title is None or any(normalise(title).startswith(ours) for ours in OUR_TITLES):
        return None
    return title


def dated_months(values: tuple[Any, ...], layout: Layout) -> bool:
    """Two or more month cells hold dates: a header row (without its labels)."""
    span = values[layout.qty:layout.qty + layout.months]
    return sum(isinstance(v, date | datetime) for v in span) >= 2


def sheet_state(cells: SheetCells, layout: Layout) -> SheetState | None:
    """The reading state of a customer sheet (its header found in rows 1-20), else None."""
    above: list[tuple[Any, ...]] = []
    for number, values in enumerate(cells.rows[:HEADER_SEARCH_ROWS], start=1):
        kind = classify_header(values)
        if kind in ("customer", "single"):
            sheet = CustomerSheet(cells.name)
            state = SheetState(kind, cells, sheet, _file_layout(values, layout), number)
            state.header_days = {float(v.toordinal() - EXCEL_DAY_ZERO) for v in values
                                 if isinstance(v, date)}
            state.has_prices = kind == "customer" and _has_price_block(cells, number, above,
                                                                       state.layout)
            state.single_price = _single_price_column(values, state.layout)
            state.unsaved_rows, state.marked_rows = _marked_rows(cells, state)
            sheet.price_source = ("single" if kind == "single" else
                                  "sheet" if state.has_prices else "summary")
            return state
        if kind == "summary":
            return None
        above.append(values)
    return None


def _marked_rows(cells: SheetCells, state: SheetState) -> tuple[set[int], set[int]]:
    """Rows with a formula the file has no saved value for in a cell read as a number (item
    code, quantities, prices; not TOTAL or the sales block, which are never read), and rows
    with any formula or error value in such a cell (the reader looks at those cell by cell)."""
    layout = state.layout
    read = {3, state.single_price, *range(layout.qty, layout.qty + layout.months),
            *range(layout.price, layout.price + layout.months)}
    unsaved, marked = set(), set()
    for (row, column), formula in cells.formulas.items():
        if column in read:
            marked.add(row)
            if not formula.saved:
                unsaved.add(row)
    marked.update(row for row, column in cells.errors if column in read)
    return unsaved, marked


def is_item_row(state: SheetState, number: int, values: tuple[Any, ...]) -> bool:
    """Classify one row below the header: True for an item row (to be read); the marker,
    header rows, section titles and the rows of a foreign table update `state` instead."""
    if not values or all(is_blank(v) for v in values):
        return False
    layout = state.layout
    marker = cell(values, 2)
    if isinstance(marker, str) and normalise(marker).startswith(NEW_ITEM_MARKER):
        state.in_new_block, state.foreign_title = True, None
        return False
    code_value = cell(values, 3)
    if our_labels(values) or (is_blank(code_value) and dated_months(values, layout)):
        state.foreign_title = None
        state.skipped.add("header", number)
        return False
    if state.foreign_title is not None:
        state.skipped.add("foreign", number, state.foreign_title)
        return False
    if is_blank(code_value):
        title = looks_like_title(values, layout)
        if title is not None:
            state.foreign_title = title
            state.skipped.add("title", number, title)
            return False
    return True
