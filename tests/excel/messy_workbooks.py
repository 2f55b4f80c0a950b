"""Rep workbooks with every irregularity of the company's real files (shared/workbooks/README.md
and issue #11), built here so the corpus stays in the repository. The .xlsx is written by
XlsxWriter, which stores each formula with its saved value as Excel does; the .xlsb twin holds
the same saved values (pyxlsbwriter), with chosen cells turned into formula records.

`MESSY_LINES` is what a reader must find: every other row is a header, an empty line, a
stray formula, a row with a price and no volume, or part of a separate table."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import xlsxwriter

from tests.excel.rep_workbook_variants import xlsb_as_formula, xlsb_workbook

MONTHS = 16
G, W, Z, AQ = 6, 22, 25, 42  # 0-based columns of M1 quantity, TOTAL, M1 price, M1 sales
START = date(2025, 11, 23)  # the real files' drifting header dates (=G7+30)


@dataclass(frozen=True)
class F:
    """A formula and the value Excel saved with it."""

    text: str
    saved: Any


def _serial(day: date) -> float:
    return float((day - date(1899, 12, 30)).days)


def _header(row: int, new_block: bool) -> dict[int, Any]:
    """Row 7, or the new-item block's copy of it: labels, then month dates, the block's own
    ones as formulas over the row above (`=+G7`, `=G16+30`)."""
    cells: dict[int, Any] = {1: "#", 2: "Group - Category", 3: "ITEM CODE" if new_block
                             else "ITEM\n CODE", 4: "DESCRIPTION"}
    if not new_block:
        cells[5] = "Probability"
    for first in (G, Z, AQ):
        for m in range(MONTHS):
            day = START + timedelta(days=30 * m)
            if new_block:
                cells[first + m] = F(f"=+{_col(first)}7" if m == 0 else
                                     f"={_col(first + m - 1)}{row}+30", day)
            else:
                cells[first + m] = day if m == 0 else F(f"={_col(first + m - 1)}{row}+30", day)
    cells[W] = "TOTAL"
    return cells


def _col(index: int) -> str:
    return xlsxwriter.utility.xl_col_to_name(index)


def _item(row: int, sequence: Any, group: str, code: Any, description: str,
          probability: str | None, qty: list[Any], price: list[Any]) -> dict[int, Any]:
    cells: dict[int, Any] = {2: group, 3: code, 4: description}
    if sequence is not None:
        cells[1] = sequence
    if probability:
        cells[5] = probability
    saved = []
    for m in range(MONTHS):
        value = qty[m] if m < len(qty) else 0
        cells[G + m] = value
        saved.append(value.saved if isinstance(value, F) else value)
    for m, value in enumerate(price):
        if value is not None:
            cells[Z + m] = value
    cells[W] = F(f"=SUM(G{row}:R{row})", sum(saved[:12]))
    for m in range(MONTHS):
        p = price[m] if m < len(price) else None
        p = p.saved if isinstance(p, F) else (p or 0)
        cells[AQ + m] = F(f"={_col(G + m)}{row}*{_col(Z + m)}{row}", saved[m] * p)
    return cells


def _zero_formulas(row: int) -> dict[int, Any]:
    """An empty line whose quantity cells are formulas worth 0 (`=SUM(F224:F224)`)."""
    return {0: "C", **{G + m: F(f"=SUM({_col(G + m - 1)}{row}:{_col(G + m - 1)}{row})", 0)
                       for m in range(MONTHS)}}


REGAL = "Regal's Market & Co. "  # apostrophe, ampersand, trailing space: the sheet name as is
CHENEY = "Cheney Bros., Inc."
GARLIC, RESALE = "G01 - Garlic Production                  ", "G05 - Resale          "


def _regal() -> dict[int, dict[int, Any]]:
    """The catalog, the new-item block after a stray `=G7`, then a separate table."""
    rows: dict[int, dict[int, Any]] = {4: {G: "VOLUME FORECAST (CASES)", Z: "PRICE FORECAST",
                                           AQ: "SALES FORECAST"}, 7: _header(7, False)}
    rows[8] = _item(8, 1, GARLIC, 110001, "Peeled Garlic 12x1 LB Garland      ",
                    "Customer Forecast - Mid Risk", [800, 500] + [0] * 7 + [1000], [50.0] * 16)
    rows[9] = _item(9, F("=B8+1", 2), GARLIC, 110002, "Peeled Garlic 12x3 LB  ", None,
                    [], [40.0])  # a price and no volume: not a line
    rows[10] = _item(10, F("=B9+1", 3), GARLIC, F("=D9+1", 110003), "Peeled Garlic 20 LB ",
                     "Customer Fprecast - Mid Risk", [10] * 12, [12.5])
    rows[11] = _item(11, F("=B10+1", 4), RESALE, 110004, "Fresh Garlic 30 lbs ",
                     "With Sales Order - Low Risk", [F("=SUM(H11:I11)", 30), 10, 20],
                     [F("=30+R11", 30), 31.25])
    rows[12] = _item(12, F("=B11+1", 5), RESALE, 110005, "Fresh Garlic 44 LB", None, [], [])
    rows[15] = {2: "If you need to add new Item Codes:"}
    rows[16] = {G: F("=G7", _serial(START))}  # a stray copy of the first month's date
    rows[17] = _header(17, True)
    rows[18] = _item(18, None, GARLIC, 130042, "Fresh Chopped Garlic 34LB Pail", None,
                     [96] * 12, [115.0])
    rows[19] = _zero_formulas(19)
    rows[20] = {G + m: 0 for m in range(MONTHS)}
    rows[23] = {G: " Monthly Quantity Split 2022", G + 4: " Monthly Quantity Split 2023"}
    rows[24] = {2: "Jan", 3: 110001, G: 400, G + 1: 380, G + 4: 410}  # not ours: never read
    rows[25] = {2: "Feb", 3: 110004, G: 120, G + 1: 90, G + 4: 95}
    return rows


def _cheney() -> dict[int, dict[int, Any]]:
    """A separate table's title between the marker and the new-item header: the new items
    after that header are read."""
    rows: dict[int, dict[int, Any]] = {7: _header(7, False)}
    rows[8] = _item(8, 1, GARLIC, 110001, "Peeled Garlic 12x1 LB", None, [0, 0, 5], [41.0])
    rows[9] = _item(9, 2, GARLIC, 110002, "Peeled Garlic 12x3 LB", None, [], [])
    rows[11] = {2: "If you need to add new Item Codes:"}
    rows[12] = {G: " Monthly Quantity Split 2022", G + 4: " Monthly Quantity Split 2023"}
    rows[13] = _header(13, True)
    rows[14] = _item(14, None, "", 410003, "Peeled red onion 2/10lb", None, [30] * 12,
                     [30.5] * 16)
    rows[15] = _item(15, None, "", 440007, "Peeled yellow onion 2/10lb", None, [30] * 12,
                     [25.5] * 16)
    rows[16] = {2: "shallot production", 4: "Fresh shallots 12x1lb",
                **{G + m: 0 for m in range(MONTHS)}}  # a description, no code, no number
    return rows


def _summary() -> dict[int, dict[int, Any]]:
    return {7: {1: "#", 2: "Group - Category", 3: "ITEM\n CODE", 4: "DESCRIPTION",
                5: "Average \nLast Q (Sales)", G: START},
            8: {1: 1, 3: 110001, 5: 1234.5, G: F("=SUM('Regal''s Market & Co. :Cheney Bros., "
                                                  "Inc.'!G8)", 800)}}


def _budget() -> dict[int, dict[int, Any]]:
    return {3: {0: "Row Labels", 1: "Customer S&OP", 2: "Sum of Q-11", 3: "Sum of Q-12"},
            4: {0: "Jo Rivera", 1: "REGAL", 2: 120, 3: 130},
            5: {0: "Grand Total", 2: 120, 3: 130}}


SHEETS = (("Budget", _budget), ("Sheet1", lambda: {i + 1: {0: t} for i, t in enumerate(
    ("With Sales Order - Low Risk", "In Customer Supply Plan - Low/Mid Risk",
     "Customer Forecast - Mid Risk", "Volume Estimated by Sales Rep (Budget)"))}),
          ("Summary", _summary), (REGAL, _regal), (CHENEY, _cheney))


def _qty(*values: float) -> list[float]:
    return [float(v) for v in values] + [0.0] * (MONTHS - len(values))


def _prices(*values: float | None) -> list[float | None]:
    return list(values) + [None] * (MONTHS - len(values))


# (sheet, item) → (probability, new item, qty, price, row)
MESSY_LINES = {
    (REGAL, "110001"): (2, False, _qty(800, 500, *[0] * 7, 1000), [50.0] * 16, 8),
    (REGAL, "110003"): (2, False, _qty(*[10] * 12), _prices(12.5), 10),
    (REGAL, "110004"): (0, False, _qty(30, 10, 20), _prices(30.0, 31.25), 11),
    (REGAL, "130042"): (None, True, _qty(*[96] * 12), _prices(115.0), 18),
    (CHENEY, "110001"): (None, False, _qty(0, 0, 5), _prices(41.0), 8),
    (CHENEY, "410003"): (None, True, _qty(*[30] * 12), [30.5] * 16, 14),
    (CHENEY, "440007"): (None, True, _qty(*[30] * 12), [25.5] * 16, 15),
}


def messy_xlsx() -> bytes:
    """The messy workbook as Excel saves it: formulas with their saved values."""
    return xlsx_of([(name, build()) for name, build in SHEETS])


def xlsx_of(sheets: list[tuple[str, dict[int, dict[int, Any]]]]) -> bytes:
    """Sheets of {row: {0-based column: value or F}} as Excel saves them (XlsxWriter)."""
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    dated = book.add_format({"num_format": "mmm-yy"})
    for name, grid in sheets:
        sheet = book.add_worksheet(name)
        for row, cells in grid.items():
            for column, value in cells.items():
                style = dated if isinstance(getattr(value, "saved", value), date) else None
                if isinstance(value, F):
                    saved = value.saved
                    if isinstance(saved, date):
                        saved = _serial(saved)
                    sheet.write_formula(row - 1, column, value.text, style, saved)
                elif isinstance(value, date):
                    sheet.write_datetime(row - 1, column, datetime.combine(value, datetime.min
                                                                           .time()), dated)
                else:
                    sheet.write(row - 1, column, value)
        if 7 in grid and grid[7].get(5) == "Probability":
            sheet.data_validation(7, 5, 40, 5, {"validate": "list",
                                                "source": "=Sheet1!$A$1:$A$4"})
    book.close()
    return buffer.getvalue()


# Saved values turned into formula records in the .xlsb twin (unique numbers of their sheet)
XLSB_FORMULAS = {REGAL: (110003.0, 30.0)}


def messy_xlsb() -> bytes:
    """The same saved values as .xlsb, the cells of `XLSB_FORMULAS` as formula records."""
    sheets = []
    for name, build in SHEETS:
        grid = build()
        width = max(max(cells) for cells in grid.values()) + 1
        rows = [[None] * width for _ in range(max(grid))]
        for row, cells in grid.items():
            for column, value in cells.items():
                saved = value.saved if isinstance(value, F) else value
                if isinstance(saved, date):
                    saved = datetime.combine(saved, datetime.min.time())
                elif isinstance(saved, int):
                    saved = float(saved)  # a number record (pyxlsbwriter writes ints as RK)
                rows[row - 1][column] = saved
        sheets.append((name, rows))
    data = xlsb_workbook(sheets)
    for index, (name, _) in enumerate(SHEETS, start=1):
        for number in XLSB_FORMULAS.get(name, ()):
            data = xlsb_as_formula(data, index, number)
    return data
