"""The budget pivot (DOMAIN.md §5.3), as finance exports it from Excel:

    Row Labels   | Customer S&OP | Sum of Q-11 | Sum of Q-12 || Row Labels | ... Sum of Sales-11
    Jordan Reyes | BAYOU FOODS   | 120         | 130         ||
                 | AVERIT        | 40          | 35          ||
    Grand Total  |               | ...

Two blocks side by side from row 3 (cases, then sales); the rep's name on the first row of
each group; months as calendar month numbers without a year. Read through sop.excel.rows (the
saved values of a pivot's cells). A budget file is either this
pivot or the flat template; `read_budget` takes both. Pure functions: no database.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

from sop.excel.import_formats import BUDGET, CellError, normalise_header, to_amount
from sop.excel.masterdata import HeaderError, ParsedRow, ProblemLog, RowProblem, read_rows
from sop.excel.rows import UploadedBook

MONTH_HEADER = re.compile(r"^sum of (q|sales)\s*-\s*(\d{1,2})$", re.ASCII)
HEADER_SEARCH_ROWS = 10


def budget_year(month: int, today: date) -> int:
    """Pivot months carry no year: the budget is for the coming months, so a month before
    the current one belongs to next year."""
    return today.year if month >= today.month else today.year + 1


def read_budget(data: bytes | Path, problems: ProblemLog,
                progress: Callable[[int], None] | None = None,
                today: date | None = None) -> Iterator[ParsedRow]:
    """Rows of a budget file, flat template or pivot. Pivot rows carry `rep_name`."""
    try:
        yield from read_rows(data, BUDGET, problems, progress)
    except HeaderError as flat_error:
        with UploadedBook(data) as workbook:
            for name in workbook.worksheets:
                rows = [tuple(row) for row in workbook.sheet(name).rows()]
                layout = _pivot_layout(rows)
                if layout is not None:
                    yield from _pivot_rows(name, rows, layout, problems, today or date.today())
                    return
        raise HeaderError(f"{flat_error} A budget pivot (Row Labels, Customer S&OP, "
                          "Sum of Q-11 ...) was not found either.") from None


def _pivot_layout(rows: list[tuple[Any, ...]]) -> tuple[int, dict[str, Any]] | None:
    """(header row index, columns) when these rows hold the pivot's two blocks."""
    for index, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        headers = [normalise_header(cell) for cell in row]
        if "row labels" not in headers:
            continue
        blocks: dict[str, dict[int, int]] = {"q": {}, "sales": {}}
        names = [i for i, h in enumerate(headers) if h == "customer s&op"]
        labels = [i for i, h in enumerate(headers) if h == "row labels"]
        for position, header in enumerate(headers):
            match = MONTH_HEADER.match(header)
            if match:
                blocks[match.group(1)][int(match.group(2))] = position
        if names and labels and blocks["q"]:
            return index, {"label": labels[0], "name": names[0], "cases": blocks["q"],
                           "sales": blocks["sales"],
                           "sales_name": names[1] if len(names) > 1 else None}
    return None


def _pivot_rows(sheet: str, rows: list[tuple[Any, ...]], layout: tuple[int, dict[str, Any]],
                problems: ProblemLog, today: date) -> Iterator[ParsedRow]:
    header_index, columns = layout
    rep = None
    sales_by_name = _sales_block(rows[header_index + 1:], columns)
    for offset, row in enumerate(rows[header_index + 1:], start=header_index + 2):
        label = _cell(row, columns["label"])
        name = _cell(row, columns["name"])
        if isinstance(label, str) and label.strip().lower() == "grand total":
            return
        if label not in (None, "") and name in (None, ""):
            rep = str(label).strip()  # a group heading row: the rep
            continue
        if label not in (None, "") and name not in (None, ""):
            rep = str(label).strip()
        if name in (None, ""):
            continue
        if rep is None:
            problems.append(RowProblem(sheet, offset, "Row Labels", label,
                                       "No sales rep above this customer: put the rep's name "
                                       "in Row Labels on the group's first row."))
            continue
        for month, position in sorted(columns["cases"].items(),
                                      key=lambda item: (budget_year(item[0], today), item[0])):
            try:
                cases = to_amount(_cell(row, position) or 0)
                sales = to_amount(sales_by_name.get((rep, str(name).strip()), {}).get(month, 0)
                                  or 0)
            except CellError as exc:
                problems.append(RowProblem(sheet, offset, f"Sum of Q-{month}",
                                           _cell(row, position), str(exc)))
                continue
            yield ParsedRow(offset, {"rep_name": rep, "sop_name": str(name).strip(),
                                     "year": budget_year(month, today), "month": month,
                                     "cases": cases, "sales": sales})


def _sales_block(rows: list[tuple[Any, ...]], columns: dict[str, Any]
                 ) -> dict[tuple[str, str], dict[int, Any]]:
    """{(rep, customer name): {month: sales}} from the right-hand block."""
    found: dict[tuple[str, str], dict[int, Any]] = {}
    if columns["sales_name"] is None:
        return found
    label_column = columns["sales_name"] - 1
    rep = None
    for row in rows:
        label, name = _cell(row, label_column), _cell(row, columns["sales_name"])
        if isinstance(label, str) and label.strip().lower() == "grand total":
            break
        if label not in (None, ""):
            rep = str(label).strip()
        if name in (None, "") or rep is None:
            continue
        found[(rep, str(name).strip())] = {m: _cell(row, p) for m, p in
                                           columns["sales"].items()}
    return found


def _cell(row: tuple[Any, ...], position: int) -> Any:
    return row[position] if position < len(row) else None
