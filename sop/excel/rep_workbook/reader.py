"""Reading a filled rep workbook (DOMAIN.md §5.1) as reps really send it.

Sheets are classified by their content, never by name: a customer sheet by its header row
(B `#`, D `ITEM…`, F `Probability` or `Avg`, in rows 1-20), unless its quantities are formulas
over other sheets (a summary laid out like a customer sheet: not read). Below the header, every
row is classified before it is read:

- **item row**: an item code in D. Only item rows carry numbers. A line is kept when it has
  volume (a quantity other than 0 in M1..M16); a row with prices and no volume is not a line
  (said in the sheet's note);
- **marker** (`If you need to add new Item Codes:`): the rows after it are new-item lines;
- **header row**: our labels (B `#`, D `ITEM…`), or month cells that hold dates: the new-item
  block repeats the header with its dates as formulas (`=+G7`, `=G222+30`);
- **section title**: no item code and no description, text where our months are (G onwards),
  no number: a table that is not ours starts there (` Monthly Quantity Split 2022`); its rows
  are not read until our own header or marker comes again;
- **empty line**: no item code, nothing but blanks, zeros or formulas (totals rows, a stray
  `=G7`). Typed numbers without an item code are not read either, with a warning.

Every value is the one the rep saw in Excel: a formula in a quantity, price or item code cell
is read as its saved value, and listed as a note with the formula (.xlsx). A formula with no
saved value (a file written by a program that does not calculate) is an error, unless it is
plain arithmetic on numbers (`=12*10`). Months come from the column position (G = M1), never
from the header dates; the sheet's own number of month columns from where its TOTAL header is.
Revenue is never read: the service values quantity x price.

Errors only for what blocks knowing a number: an item code that is not one (on a row with
volume), text or a date where a quantity or price must be, a negative number, a cell showing
an error (#REF!). Probability variants, numbers stored as text, an item on two rows (their
quantities are added) are warnings; formulas and skipped rows are notes.

Variants: F `Avg` with one price in Y `Price` (a): that price for every month, Z.. ignored;
no price headers on the sheet (b): each line's price is the Summary's `Price` of its item.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sop.excel.masterdata import ProblemLog, RowProblem
from sop.excel.rep_workbook.cells import CellFormula, SheetCells, cell, read_sheets
from sop.excel.rep_workbook.layout import (
    HEADER_SEARCH_ROWS,
    CustomerSheet,
    Layout,
    SheetLine,
    letter,
    normalise,
)
from sop.excel.rep_workbook.values import (
    EXCEL_DAY_ZERO,
    CellRefused,
    arithmetic,
    item_code,
    map_probability,
    typed_number,
)
from sop.excel.safety import MAX_ROWS

WORD = re.compile(r"[^\W\d_]{2,}")
OUR_TITLES = ("volume forecast", "price forecast", "sales forecast", "mandatory", "total")
NEW_ITEM_MARKER = "if you need to add new item"


# --- headers -----------------------------------------------------------------------------------

def classify_header(values: tuple[Any, ...]) -> str | None:
    """'customer', 'single' (variant a: F holds Avg, price in Y), 'summary' or None."""
    f_text = normalise(cell(values, 5))
    if f_text.startswith("average") and "last q" in f_text:
        return "summary"
    if not _our_labels(values):
        return None
    if f_text.startswith("probab"):
        return "customer"
    if f_text.startswith("avg") or f_text == "average":
        return "single"
    return None


def _our_labels(values: tuple[Any, ...]) -> bool:
    return normalise(cell(values, 1)) == "#" and normalise(cell(values, 3)).startswith("item")


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
class _Skipped:
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
class _SheetState:
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
    quantities: int = 0  # non-zero quantities on lines, and of those formulas over other sheets
    over_other_sheets: int = 0
    seen: dict[str, SheetLine] = field(default_factory=dict)
    skipped: _Skipped = field(default_factory=_Skipped)


def _is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _looks_like_title(values: tuple[Any, ...], layout: Layout) -> str | None:
    """The title text of a row that starts a table of its own: text (words) where our month
    cells are, no item code, no description and no number."""
    if not _is_blank(cell(values, 3)) or not _is_blank(cell(values, 4)):
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


def _dated_months(values: tuple[Any, ...], layout: Layout) -> bool:
    """Two or more month cells hold dates: a header row (without its labels)."""
    span = values[layout.qty:layout.qty + layout.months]
    return sum(isinstance(v, date | datetime) for v in span) >= 2


def read_rep_workbook(data: bytes, problems: ProblemLog, months: int = 16,
                      max_rows: int = MAX_ROWS,
                      progress: Callable[[int, int], None] | None = None
                      ) -> list[CustomerSheet]:
    """The customer sheets of a filled rep workbook (.xlsx or .xlsb), in file order, with the
    lines to keep; every problem goes to `problems` naming sheet, row, column and value.
    Lines of rows with an error are left out (the caller refuses the file when
    `problems.errors`); warnings and notes keep the line. A sheet longer than `max_rows` is
    refused (UnsafeWorkbook); `progress(sheets read, sheets)` after each sheet."""
    layout = Layout(months)
    customers: list[CustomerSheet] = []
    summary_prices: dict[str, float] = {}
    unsaved_prices: dict[str, RowProblem] = {}  # Summary prices that are formulas without a value
    # A..AP: what a customer sheet and the Summary need (not the sales formulas after them)
    for cells in read_sheets(data, max(layout.sales, Layout(16).sales), max_rows, progress):
        state = _sheet_state(cells, layout)
        if state is None:
            _summary_prices(cells, summary_prices, unsaved_prices)
            continue
        found = ProblemLog()  # kept once the sheet turns out to be a customer's
        first = state.header_row + 1
        for number, values in enumerate(cells.rows[first - 1:], start=first):
            _read_row(state, months, number, values, found)
        if state.quantities and state.over_other_sheets * 2 > state.quantities:
            problems.append(RowProblem(cells.name, state.header_row, "", None, (
                "Not read: a summary of other sheets (its quantities are formulas over them), "
                "not a customer's sheet."), "note"))
            continue
        customers.append(state.sheet)
        for problem in found:
            problems.append(problem)
        note = state.skipped.note(cells.name)
        if note is not None:
            problems.append(note)
    for customer in customers:
        if customer.price_source == "summary":
            for line in customer.lines:
                price = summary_prices.get(line.item_code)
                line.price = [price] * months
                warning = unsaved_prices.pop(line.item_code, None)
                if price is None and warning is not None:
                    problems.append(warning)  # once per item
    return customers


def _sheet_state(cells: SheetCells, layout: Layout) -> _SheetState | None:
    """The reading state of a customer sheet (its header found in rows 1-20), else None."""
    above: list[tuple[Any, ...]] = []
    for number, values in enumerate(cells.rows[:HEADER_SEARCH_ROWS], start=1):
        kind = classify_header(values)
        if kind in ("customer", "single"):
            sheet = CustomerSheet(cells.name)
            state = _SheetState(kind, cells, sheet, _file_layout(values, layout), number)
            state.header_days = {float(v.toordinal() - EXCEL_DAY_ZERO) for v in values
                                 if isinstance(v, date)}
            state.has_prices = kind == "customer" and _has_price_block(cells, number, above,
                                                                       state.layout)
            state.single_price = _single_price_column(values, state.layout)
            state.unsaved_rows = _unsaved_rows(cells, state)
            sheet.price_source = ("single" if kind == "single" else
                                  "sheet" if state.has_prices else "summary")
            return state
        if kind == "summary":
            return None
        above.append(values)
    return None


def _unsaved_rows(cells: SheetCells, state: _SheetState) -> set[int]:
    """Rows with a formula the file has no saved value for in a cell read as a number (item
    code, quantities, prices; not TOTAL or the sales block, which are never read)."""
    layout = state.layout
    read = {3, state.single_price, *range(layout.qty, layout.qty + layout.months),
            *range(layout.price, layout.price + layout.months)}
    return {row for (row, column), formula in cells.formulas.items()
            if not formula.saved and column in read}


def _summary_prices(cells: SheetCells, prices: dict[str, float],
                    unsaved: dict[str, RowProblem]) -> None:
    """Variant (b): the Summary's `Price` per item code (its saved value, formulas too); a
    formula without a saved value is a warning, logged when a sheet without prices needs it."""
    header = next((number for number, values in
                   enumerate(cells.rows[:HEADER_SEARCH_ROWS + 1], start=1)
                   if classify_header(values) == "summary"), None)
    if header is None:
        return
    headers = [normalise(v) for v in cells.rows[header - 1]]
    code_column = next((i for i, h in enumerate(headers) if h.startswith("item")), None)
    price_column = next((i for i, h in enumerate(headers) if h == "price"), None)
    if code_column is None or price_column is None:
        return
    for number, values in enumerate(cells.rows[header:], start=header + 1):
        code_value, price = cell(values, code_column), cell(values, price_column)
        if _is_blank(code_value):
            continue
        try:
            code = item_code(code_value)
        except CellRefused:
            continue
        formula = cells.formula(number, price_column)
        if isinstance(price, int | float) and not isinstance(price, bool) and price > 0:
            prices.setdefault(code, float(price))
        elif formula is not None and not formula.saved:
            unsaved.setdefault(code, RowProblem(
                cells.name, number, letter(price_column), _shown(formula),
                "This Summary price is a formula the file has no saved result for: open the "
                "file in Excel and save it, or type the price; until then the customer's price "
                "from the price matrix applies.", "warning"))


def _read_row(state: _SheetState, months: int, number: int, values: tuple[Any, ...],
              problems: ProblemLog) -> None:
    """Classify one row below the header, then read it when it is an item row."""
    if not values or all(_is_blank(v) for v in values):
        return
    layout = state.layout
    marker = cell(values, 2)
    if isinstance(marker, str) and normalise(marker).startswith(NEW_ITEM_MARKER):
        state.in_new_block, state.foreign_title = True, None
        return
    code_value = cell(values, 3)
    if _our_labels(values) or (_is_blank(code_value) and _dated_months(values, layout)):
        state.foreign_title = None
        state.skipped.add("header", number)
        return
    if state.foreign_title is not None:
        state.skipped.add("foreign", number, state.foreign_title)
        return
    if _is_blank(code_value):
        title = _looks_like_title(values, layout)
        if title is not None:
            state.foreign_title = title
            state.skipped.add("title", number, title)
            return
    _read_item_row(state, months, number, values, problems)


def _read_item_row(state: _SheetState, months: int, number: int, values: tuple[Any, ...],
                   problems: ProblemLog) -> None:
    layout, cells, name = state.layout, state.cells, state.sheet.name
    present = min(months, layout.months)
    if not any(values[layout.qty:layout.qty + present]) and number not in state.unsaved_rows:
        _no_volume(state, number, values)  # most catalog rows: blanks and zeros, no line
        return
    found: list[RowProblem] = []  # logged once the row turns out to matter

    def problem(column: int, value: Any, message: str, severity: str = "error") -> None:
        found.append(RowProblem(name, number, letter(column), value, message, severity))

    typed = False  # a non-zero number typed in (not a formula's)

    def amount(column: int, what: str) -> float | None:
        """The cell's number (None when blank), its problems and notes recorded."""
        nonlocal typed
        value = cell(values, column)
        formula = cells.formula(number, column)
        error = cells.errors.get((number, column))
        if error is not None:
            problem(column, error, f"This {what} cell shows {error} in Excel: type the number "
                    "(or fix the formula) and upload again.")
            return None
        if formula is not None and not formula.saved:
            return _unsaved(formula, column, what, problem)
        if _is_blank(value):
            return None
        try:
            result = typed_number(value, what, lambda text: problem(column, value, text,
                                                                     "warning"))
        except CellRefused as exc:
            problem(column, value, str(exc))
            return None
        if result and what == "quantity":
            state.quantities += 1
        if formula is not None:
            if result:
                problem(column, _shown(formula), f"A formula: read as its saved value "
                        f"{result:g}.", "note")
                source = formula.own_text or (formula.shared_from or ("",))[0]
                state.over_other_sheets += what == "quantity" and "!" in source
        elif result:
            typed = True
        return result

    qty: list[float] = []
    for m in range(months):  # a blank quantity is 0 (the workbook's rule)
        qty.append((amount(layout.qty + m, "quantity") or 0.0) if m < present else 0.0)
    price: list[float | None] = [None] * months
    if state.kind == "single":
        single = amount(state.single_price, "price")
        price = [single] * months
    elif state.has_prices:
        for m in range(min(months, present)):
            price[m] = amount(layout.price + m, "price")

    volume = any(qty)
    code_value = cell(values, 3)
    try:
        code = None if _is_blank(code_value) else item_code(code_value)
    except CellRefused as exc:
        if typed:  # numbers typed on a row whose item code is not one
            problem(3, code_value, str(exc))
            _log(problems, found)
            return
        code = None
    if code is None:  # not a line: its cells' problems do not matter
        if typed and set(q for q in qty if q) <= state.header_days:
            state.skipped.add("dates", number)  # a stray `=G7` saved as a plain number
        elif typed:
            problems.append(RowProblem(
                name, number, "D", code_value, "Numbers without an item code are not read: "
                "type the 6-digit item code in column D if this is a line.", "warning"))
        else:
            state.skipped.add("formulas" if volume else "empty", number)
        return
    code_formula = cells.formula(number, 3)
    if not volume:
        _log(problems, [p for p in found if p.severity == "error"])
        if any(price):
            state.skipped.add("no_volume", number)
        return
    if code_formula is not None:
        problem(3, _shown(code_formula), f"The item code is a formula: read as its saved "
                f"value {code}.", "note")
    probability = None
    if state.kind == "customer":
        probability, warning = map_probability(cell(values, 5))
        if warning:
            problem(5, cell(values, 5), warning, "warning")
    if any(p.severity == "error" for p in found):
        _log(problems, found)
        return
    earlier = state.seen.get(code)
    if earlier is not None:
        problem(3, code_value, f"Item {code} is also on row {earlier.row}: its quantities are "
                "added to that row's (that row's prices and probability are kept).",
                "warning")
        _log(problems, found)
        earlier.qty = [(a or 0.0) + b for a, b in zip(earlier.qty, qty, strict=True)]
        earlier.price = [a if a else b for a, b in zip(earlier.price, price, strict=True)]
        return
    _log(problems, found)
    description = cell(values, 4)
    line = SheetLine(
        item_code=code,
        description=(description.strip() if isinstance(description, str) else
                     "" if description is None else str(description)),
        probability=probability, qty=qty, price=price, new_item=state.in_new_block,
        row=number)
    state.seen[code] = line
    state.sheet.lines.append(line)


def _no_volume(state: _SheetState, number: int, values: tuple[Any, ...]) -> None:
    """A row without a quantity: noted when it has an item code and a price, or nothing."""
    layout = state.layout
    if state.kind == "single":
        prices: Iterable[Any] = (cell(values, state.single_price),)
    elif state.has_prices:
        prices = values[layout.price:layout.price + layout.months]
    else:
        prices = ()
    code = cell(values, 3)
    if _is_blank(code):
        state.skipped.add("empty", number)
    elif any(isinstance(p, int | float) and not isinstance(p, bool) and p > 0 for p in prices):
        state.skipped.add("no_volume", number)


def _unsaved(formula: CellFormula, column: int, what: str,
             problem: Callable[..., None]) -> float | None:
    """A formula the file carries no saved value for: plain arithmetic is worked out, anything
    else cannot be known."""
    value = arithmetic(formula.text) if formula.text else None
    if value is not None and value >= 0:
        return value
    problem(column, _shown(formula), f"This {what} cell holds a formula the file has no saved "
            "result for (it was saved by a program that does not calculate): open the file in "
            "Excel and save it, or type the number, then upload again.")
    return None


def _log(problems: ProblemLog, found: Iterable[RowProblem]) -> None:
    for item in found:
        problems.append(item)


def _shown(formula: CellFormula) -> str:
    return f"={formula.text}" if formula.text is not None else "(a formula)"
