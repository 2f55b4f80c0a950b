"""Reading a filled rep workbook (DOMAIN.md §5.1) as reps really send it.

Sheets and rows are classified first (sop.excel.rep_workbook.classify); only item rows are
read. An item row's line is kept when it has volume (a quantity other than 0 in M1..M16); a
row with prices and no volume is not a line (said in the sheet's note); typed numbers without
an item code are not read, with a warning; formulas without one (totals, a stray `=G7`) are
skipped, in the note.

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

from collections.abc import Callable, Iterable
from typing import Any

from sop.excel.masterdata import ProblemLog, RowProblem
from sop.excel.rep_workbook.cells import CellFormula, SheetCells, cell, read_sheets
from sop.excel.rep_workbook.classify import (
    SheetState,
    classify_header,
    is_blank,
    is_item_row,
    sheet_state,
)
from sop.excel.rep_workbook.layout import (
    HEADER_SEARCH_ROWS,
    CustomerSheet,
    Layout,
    SheetLine,
    letter,
    normalise,
)
from sop.excel.rep_workbook.values import (
    CellRefused,
    arithmetic,
    item_code,
    map_probability,
    typed_number,
)
from sop.excel.safety import MAX_ROWS
from sop.user_input import MAX_AMOUNT


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
        state = sheet_state(cells, layout)
        if state is None:
            _summary_prices(cells, summary_prices, unsaved_prices)
            continue
        found = ProblemLog()  # kept once the sheet turns out to be a customer's
        first = state.header_row + 1
        for number, values in enumerate(cells.rows[first - 1:], start=first):
            if is_item_row(state, number, values):
                _read_item_row(state, months, number, values, found)
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
        if is_blank(code_value):
            continue
        try:
            code = item_code(code_value)
        except CellRefused:
            continue
        if isinstance(price, int | float) and not isinstance(price, bool) and price > 0:
            prices.setdefault(code, float(price))
        elif (formula := cells.formula(number, price_column)) is not None and not formula.saved:
            unsaved.setdefault(code, RowProblem(
                cells.name, number, letter(price_column), _shown(formula),
                "This Summary price is a formula the file has no saved result for: open the "
                "file in Excel and save it, or type the price; until then the customer's price "
                "from the price matrix applies.", "warning"))


def _read_item_row(state: SheetState, months: int, number: int, values: tuple[Any, ...],
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
        if is_blank(value):
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

    marked = number in state.marked_rows
    plain = None if marked else _plain_numbers(values, layout.qty, present)
    if plain is not None:  # most rows: typed numbers only, taken as they are
        qty = [q or 0.0 for q in plain] + [0.0] * (months - present)
        state.quantities += sum(1 for q in plain if q)
        typed = any(plain)
    else:
        qty = []
        for m in range(months):  # a blank quantity is 0 (the workbook's rule)
            qty.append((amount(layout.qty + m, "quantity") or 0.0) if m < present else 0.0)
    price: list[float | None] = [None] * months
    if state.kind == "single":
        single = amount(state.single_price, "price")
        price = [single] * months
    elif state.has_prices:
        plain = None if marked else _plain_numbers(values, layout.price, present)
        if plain is not None:
            price[:present] = plain
            typed = typed or any(plain)
        else:
            for m in range(present):
                price[m] = amount(layout.price + m, "price")

    volume = any(qty)
    code_value = cell(values, 3)
    try:
        code = None if is_blank(code_value) else item_code(code_value)
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


def _plain_numbers(values: tuple[Any, ...], start: int, count: int) -> list[float | None] | None:
    """The `count` cells from `start` of a row without formulas or error values, when each is
    blank or a number `typed_number` takes as it is; None when one needs a closer look."""
    span = values[start:start + count]
    if all(v is None or (type(v) is float and 0.0 <= v <= MAX_AMOUNT) for v in span):
        return [*span, *[None] * (count - len(span))]
    return None


def _no_volume(state: SheetState, number: int, values: tuple[Any, ...]) -> None:
    """A row without a quantity: noted when it has an item code and a price, or nothing."""
    layout = state.layout
    if state.kind == "single":
        prices: Iterable[Any] = (cell(values, state.single_price),)
    elif state.has_prices:
        prices = values[layout.price:layout.price + layout.months]
    else:
        prices = ()
    code = cell(values, 3)
    if is_blank(code):
        state.skipped.add("empty", number)
    elif any(prices) and any(isinstance(p, int | float) and not isinstance(p, bool) and p > 0
                             for p in prices):
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
