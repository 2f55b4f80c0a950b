"""Rep workbooks built like the real ones (DOMAIN.md §5.1), by the tests themselves: the
standard layout with drifting `=G7+30` month headers, and the variants (a) single price,
(b) no prices on the customer sheet, (c) Summary header on row 8, (d) a corrupt month header,
(e) wrong cached formula values; plus Summary/Budget/List/Average sheets, the new-item block,
totals rows and an .xlsb copy (pyxlsbwriter, a test-only dependency)."""

from __future__ import annotations

import io
import re
import struct
import tempfile
import zipfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

QTY, TOTAL, SINGLE_PRICE, PRICE, SALES = 7, 23, 25, 26, 43  # 1-based columns G, W, Y, Z, AQ
MONTHS = 16
CATALOG = [
    ("Group 1-2 - G01 Garlic Production", 110001, "Peeled Garlic 4x5 lb   "),
    ("Group 1-2 - G01 Garlic Production", 110002, "Chopped Garlic 4x1 gal "),
    ("Group 2-1 - G02 Shallot Production", 220001, "Shallots 10 lb"),
    ("Group 3-1 - G03 Ready to Use", 330001, "Garlic Paste 6x32 oz"),
]


def col(index: int) -> str:
    return get_column_letter(index)


@dataclass
class Row:
    """One item row as typed in the file: any cell values (numbers, text, formulas)."""

    code: Any
    qty: list[Any] = field(default_factory=list)
    price: list[Any] = field(default_factory=list)
    probability: Any = None
    description: Any = None
    single_price: Any = None  # variant (a): the one price in Y


@dataclass
class Sheet:
    name: str
    rows: list[Row] = field(default_factory=list)  # catalog rows (by code) with numbers
    new_rows: list[Row] = field(default_factory=list)  # typed into the new-item block
    variant: str = "standard"  # standard / single / no_prices
    header_row: int = 7
    corrupt_month_header: bool = False
    totals_row: bool = False  # a row with SUM formulas and no item code after the catalog


def customer_sheet(workbook: Workbook, spec: Sheet, start: datetime) -> None:
    ws = workbook.create_sheet(spec.name)
    h = spec.header_row
    ws.cell(h - 3, QTY, "VOLUME FORECAST (CASES)")
    ws.merge_cells(start_row=h - 3, start_column=QTY, end_row=h - 2, end_column=QTY + 15)
    if spec.variant == "standard":
        ws.cell(h - 3, PRICE, "PRICE FORECAST")
        ws.merge_cells(start_row=h - 3, start_column=PRICE, end_row=h - 2,
                       end_column=PRICE + 15)
    if spec.variant != "no_prices":
        ws.cell(h - 3, SALES, "SALES FORECAST")

    def header(row: int) -> None:
        for column, text in ((2, "#"), (3, "Group - Category"), (4, "ITEM\n CODE"),
                             (5, "DESCRIPTION"),
                             (6, "Avg" if spec.variant == "single" else "Probability")):
            ws.cell(row, column, text)
        blocks = [QTY, SALES]
        if spec.variant == "standard":
            blocks.append(PRICE)
        if spec.variant == "single":
            ws.cell(row, SINGLE_PRICE, "Price")
            blocks.append(PRICE)  # Z..AO hold sales in this variant
        for first in blocks:
            ws.cell(row, first, start)
            for offset in range(1, MONTHS):
                ws.cell(row, first + offset, f"={col(first + offset - 1)}{row}+30")
        if spec.corrupt_month_header:
            ws.cell(row, QTY, "#REF!")
            ws.cell(row, QTY + 3, "Febr-27??")
        ws.cell(row, TOTAL, "TOTAL")

    header(h)
    by_code = {row.code: row for row in spec.rows}
    number = h + 1
    for sequence, (group, code, description) in enumerate(CATALOG, start=1):
        row = by_code.get(code, Row(code))
        write_item(ws, spec, number, row, sequence, group, code, description)
        number += 1
    for row in spec.rows:  # rows whose code is not in the catalog (bad codes and the like)
        if row.code not in {c for _, c, _ in CATALOG}:
            write_item(ws, spec, number, row, None, "", row.code, row.description)
            number += 1
    if spec.totals_row:
        ws.cell(number, 3, "TOTAL")
        for offset in range(MONTHS):
            letter = col(QTY + offset)
            ws.cell(number, QTY + offset, f"=SUM({letter}{h + 1}:{letter}{number - 1})")
            ws.cell(number, PRICE + offset, f"=AVERAGE({col(PRICE + offset)}{h + 1}:"
                                            f"{col(PRICE + offset)}{number - 1})")
        number += 1
    number += 1
    ws.cell(number, 3, "If you need to add new Item Codes:")
    header(number + 1)
    number += 2
    for index in range(max(6, len(spec.new_rows))):
        row = spec.new_rows[index] if index < len(spec.new_rows) else Row(None)
        write_item(ws, spec, number, row, None, "", row.code, row.description)
        number += 1
    validation = DataValidation(type="list", formula1="Sheet1!$A$1:$A$4", allow_blank=True)
    validation.add(f"F{h + 1}:F{number}")
    ws.add_data_validation(validation)
    ws.freeze_panes = f"G{h + 1}"


def write_item(ws: Any, spec: Sheet, number: int, row: Row, sequence: int | None, group: str,
               code: Any, description: Any) -> None:
    if sequence is not None:
        ws.cell(number, 2, sequence)
    if group:
        ws.cell(number, 3, group)
    if code is not None:
        ws.cell(number, 4, code)
    if description is not None:
        ws.cell(number, 5, description)
    if spec.variant == "single":
        ws.cell(number, 6, 42.75)  # average actuals, not a probability
        if row.single_price is not None:
            ws.cell(number, SINGLE_PRICE, row.single_price)
    elif row.probability is not None:
        ws.cell(number, 6, row.probability)
    for offset, value in enumerate(row.qty):
        if value is not None:
            ws.cell(number, QTY + offset, value)
    if spec.variant == "standard":
        for offset, value in enumerate(row.price):
            if value is not None:
                ws.cell(number, PRICE + offset, value)
    ws.cell(number, TOTAL, f"=SUM(G{number}:R{number})")
    if spec.variant == "single":
        for offset in range(MONTHS):
            ws.cell(number, PRICE + offset, f"={col(QTY + offset)}{number}*$Y{number}")
    for offset in range(MONTHS):
        price = (f"$Y{number}" if spec.variant == "single" else
                 f"{col(PRICE + offset)}{number}")
        ws.cell(number, SALES + offset, f"={col(QTY + offset)}{number}*{price}")


def summary_sheet(workbook: Workbook, name: str = "Summary", header_row: int = 7,
                  prices: dict[int, Any] | None = None, customers: list[str] = ()) -> None:
    ws = workbook.create_sheet(name)
    h = header_row
    for column, text in ((2, "#"), (3, "Group - Category"), (4, "ITEM\nCODE"),
                         (5, "DESCRIPTION"), (6, "Average \nLast Q (Sales)")):
        ws.cell(h, column, text)
    for offset in range(MONTHS):
        ws.cell(h, QTY + offset, f"=G{h}+{30 * offset}" if offset else datetime(2025, 11, 1))
    if prices is not None:
        ws.cell(h, TOTAL + 1, "Price")
    for index, (group, code, description) in enumerate(CATALOG):
        number = h + 1 + index
        ws.cell(number, 2, index + 1)
        ws.cell(number, 3, group)
        ws.cell(number, 4, code)
        ws.cell(number, 5, description)
        ws.cell(number, 6, 1234.5)
        for offset in range(MONTHS):
            letter = col(QTY + offset)
            ws.cell(number, QTY + offset, "=" + "+".join(
                f"SUMIF('{c}'!$D:$D,$D{number},'{c}'!{letter}:{letter})" for c in customers)
                if customers else 0)
        if prices is not None and code in prices:
            ws.cell(number, TOTAL + 1, prices[code])


def budget_sheet(workbook: Workbook) -> None:
    """The §5.3 pivot: not a customer sheet."""
    ws = workbook.create_sheet("Budget")
    ws.append([])
    ws.append([])
    ws.append(["Row Labels", "Customer S&OP", "Sum of Q-11", "Sum of Q-12", None,
               "Row Labels", "Customer S&OP", "Sum of Sales-11", "Sum of Sales-12"])
    ws.append(["Jordan Reyes", "BAYOU FOODS", 120, 130, None, "Jordan Reyes", "BAYOU FOODS",
               5000, 5400])
    ws.append(["Grand Total", None, 120, 130, None, "Grand Total", None, 5000, 5400])


def list_sheet(workbook: Workbook, name: str = "Sheet1") -> None:
    ws = workbook.create_sheet(name)
    for text in ("With Sales Order - Low Risk", "In Customer Supply Plan - Low/Mid Risk",
                 "Customer Forecast - Mid Risk", "Volume Estimated by Sales Rep (Budget)"):
        ws.append([text])


def average_sheet(workbook: Workbook) -> None:
    """A sales pivot ('Average'): item rows with a '#' column, but no Probability."""
    ws = workbook.create_sheet("Average")
    ws.append(["Row Labels", "#", None, "ITEM CODE", "Sum of Sales", "Average of Qty"])
    ws.append(["BAYOU FOODS", 1, None, 110001, 4000, 95])


def real_workbook(sheets: list[Sheet], summary: dict[str, Any] | None = None,
                  extras: tuple[str, ...] = ("budget", "list", "average"),
                  start: datetime = datetime(2025, 11, 1)) -> bytes:
    """A workbook like the ones reps send: Summary first (unless summary is None... it is
    always there, `summary` passes its options), then the customer sheets and the others."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    summary_sheet(workbook, customers=[s.name for s in sheets], **(summary or {}))
    for spec in sheets:
        customer_sheet(workbook, spec, start)
    if "budget" in extras:
        budget_sheet(workbook)
    if "list" in extras:
        list_sheet(workbook)
    if "average" in extras:
        average_sheet(workbook)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def with_cached_values(data: bytes, sheet_index: int, value: str = "999999") -> bytes:
    """Variant (e): every formula of sheet number `sheet_index` (1-based, file order) gets a
    cached value, and a wrong one (`#REF!` for the sales block)."""
    source = zipfile.ZipFile(io.BytesIO(data))
    target_name = f"xl/worksheets/sheet{sheet_index}.xml"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename == target_name:
                text = content.decode("utf-8")
                text = re.sub(r'(<c r="(A[Q-Z]|B[A-F])\d+")([^>]*)><f>([^<]*)</f><v\s*(?:/>|></v>)',
                              r'\1\3 t="e"><f>\4</f><v>#REF!</v>', text)
                text = re.sub(r"<f>([^<]*)</f><v\s*(?:/>|></v>)", rf"<f>\1</f><v>{value}</v>", text)
                content = text.encode("utf-8")
            target.writestr(item, content)
    return buffer.getvalue()


# --- .xlsb -------------------------------------------------------------------------------------

def xlsb_workbook(sheets: list[tuple[str, list[list[Any]]]]) -> bytes:
    """An .xlsb file written by pyxlsbwriter (values only: it cannot write formulas)."""
    from pyxlsbwriter import XlsbWriter

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "book.xlsb"
        with XlsbWriter(str(path)) as writer:
            for name, rows in sheets:
                width = max((len(r) for r in rows), default=1)
                writer.add_sheet(name)
                # pyxlsbwriter 0.1.0 indexes every row to the widest one: pad them
                writer.write_sheet([list(r) + [None] * (width - len(r)) for r in rows])
        return path.read_bytes()


def xlsb_as_formula(data: bytes, sheet_index: int, number: float) -> bytes:
    """Turn the cell holding `number` on sheet `sheet_index` into a formula cell (BrtFmlaNum
    with an empty formula), as Excel stores `=...` with a cached value in .xlsb."""
    source = zipfile.ZipFile(io.BytesIO(data))
    name = f"xl/worksheets/sheet{sheet_index}.bin"
    buffer = io.BytesIO()
    needle = struct.pack("<d", number)
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename == name:
                at = content.index(needle)
                start = at - 10  # record id 0x05, size 0x10, column (4), style (4)
                assert content[start:start + 2] == b"\x05\x10"
                body = content[start + 2:at + 8]
                content = (content[:start] + b"\x09\x16" + body + b"\x00\x00\x00\x00\x00\x00"
                           + content[at + 8:])
            target.writestr(item, content)
    return buffer.getvalue()


def sheet_rows(spec: Sheet, start: datetime = datetime(2025, 11, 1)) -> list[list[Any]]:
    """The values of a standard customer sheet as rows (for the .xlsb copy): no formulas."""
    width = SALES + MONTHS - 1
    rows: list[list[Any]] = [[None] * width for _ in range(spec.header_row - 1)]
    rows[spec.header_row - 4][QTY - 1] = "VOLUME FORECAST (CASES)"
    rows[spec.header_row - 4][PRICE - 1] = "PRICE FORECAST"

    def header() -> list[Any]:
        row: list[Any] = [None] * width
        row[1], row[2], row[3], row[4], row[5] = ("#", "Group - Category", "ITEM\nCODE",
                                                  "DESCRIPTION", "Probability")
        for first in (QTY, PRICE, SALES):
            for offset in range(MONTHS):
                row[first - 1 + offset] = start
        row[TOTAL - 1] = "TOTAL"
        return row

    def item(row_spec: Row, sequence: int | None, group: str, code: Any,
             description: Any) -> list[Any]:
        row: list[Any] = [None] * width
        row[1], row[2], row[3], row[4] = sequence, group or None, code, description
        row[5] = row_spec.probability
        for offset, value in enumerate(row_spec.qty):
            row[QTY - 1 + offset] = value
        for offset, value in enumerate(row_spec.price):
            row[PRICE - 1 + offset] = value
        return row

    rows.append(header())
    by_code = {row.code: row for row in spec.rows}
    for sequence, (group, code, description) in enumerate(CATALOG, start=1):
        rows.append(item(by_code.get(code, Row(code)), sequence, group, code, description))
    rows.append([None] * width)
    marker: list[Any] = [None] * width
    marker[2] = "If you need to add new Item Codes:"
    rows.append(marker)
    rows.append(header())
    for row_spec in spec.new_rows:
        rows.append(item(row_spec, None, "", row_spec.code, row_spec.description))
    return rows
