"""One fixed input per workbook writer, for the comparison test (test_writers_compared.py):
each case returns the bytes its writer makes. Inputs cover what a writer treats apart: text
that looks like a formula or an error value, control characters, dates of both kinds in and
out of dated columns, NaN and infinities, blank and zero volumes, new items, budget rows."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sop.excel.consolidated import ConsolRow, ConsolTotals, add_consolidated, write_consolidated
from sop.excel.import_files import problems_workbook, template_workbook
from sop.excel.masterdata import FORMATS, ProblemLog, RowProblem
from sop.excel.rep_workbook import (
    BudgetRow,
    CatalogItem,
    CustomerSheet,
    SheetLine,
    WorkbookPlan,
    write_rep_workbook,
)
from sop.excel.writer import MONEY_FORMAT, Column, table_workbook
from sop.months import add_months
from sop.reports.book import ReportBook, ReportColumn
from sop.reports.registry import ReportFilters

MONTHS = [add_months(date(2026, 11, 1), i) for i in range(16)]
HOSTILE = ["=HYPERLINK(\"http://evil\",\"x\")", "+1+1", "-2", "@SUM(A1)", "#REF!",
           "bell\x07text", "plain & <b>"]


def list_export() -> bytes:
    columns = [Column("Name", 20), Column("Amount", 12, MONEY_FORMAT),
               Column("Month", 10, "mmm-yy"), Column("When", 18), Column("Count")]
    rows: list[list[Any]] = [[text, 1234.5 * n, date(2026, n + 1, 1),
                              datetime(2026, 3, n + 1, 5, 6, tzinfo=UTC), n]
                             for n, text in enumerate(HOSTILE)]
    rows.append([None, None, None, date(2026, 1, 2), True])
    return table_workbook("Customers", columns, rows, about=["Customers", "Filters: none"])


def templates() -> dict[str, Callable[[], bytes]]:
    return {f"template_{kind}": (lambda fmt=fmt: template_workbook(fmt))
            for kind, fmt in FORMATS.items()}


def problems_file() -> bytes:
    log = ProblemLog()
    log.append(RowProblem("Customers", 2, "Customer Code", "=CMD()", "Type the value."))
    log.append(RowProblem("Customers", 3, "Credit Limit", 12.5, "Too big.", "warning"))
    log.append(RowProblem("Customers", 4, "Active", None, "Required.", "note"))
    return problems_workbook(log)


def consolidated() -> bytes:
    return write_consolidated(iter(consol_rows()), MONTHS[:12],
                              about=["Consolidated plan", "Cycle"], totals=ConsolTotals())


def consol_rows() -> list[ConsolRow]:
    nan = float("nan")
    return [
        ConsolRow("Ann Lee", "BAYOU FOODS", "110001", "Peeled Garlic", "Group 1-2",
                  [10] + [1] * 11, [2.5] * 12),
        ConsolRow("Ann Lee", "BAYOU FOODS", "220001", "Shallots", "Group 2-1",
                  [4, 0.5, nan] + [None] * 9, [10.0, nan] + [None] * 10),
        ConsolRow("Ann Lee", "=HACK()", "990001", "@new item", "Group 1-2", [3] + [0] * 11,
                  [1.0] * 12, new_item=True),
        ConsolRow("Bo Diaz", "ACME", "X-12", "Ginger", "Group 5-1", [1] * 12, [None] * 12),
    ]


def rep_workbook() -> bytes:
    def line(code: str, qty: list[float | None], price: list[float | None],
             probability: int | None = None, new_item: bool = False,
             description: str = "") -> SheetLine:
        return SheetLine(code, description, probability, qty + [0.0] * (16 - len(qty)),
                         price + [None] * (16 - len(price)), new_item)

    plan = WorkbookPlan(
        rep_name="Jordan Reyes", cycle_name="Nov 2026", months=MONTHS, mandatory_months=12,
        catalog=[CatalogItem("110001", "Peeled Garlic", "Group 1-2 - G01", 1234.5),
                 CatalogItem("050010", "=Resale Ginger", "", None)],
        customers=[
            CustomerSheet("BAYOU FOODS", [line("110001", [1, 2.5, float("nan")], [2.5], 0),
                                          line("990001", [3], [1.0], 2, True, "New thing")]),
            CustomerSheet("Acme: North/South", [line("050010", [0, 4], [None, 3.0], 3)]),
        ],
        budget=[BudgetRow("BAYOU FOODS", {MONTHS[0]: 10.0, MONTHS[1]: 5.0},
                          {MONTHS[0]: 100.0})])
    return write_rep_workbook(plan)


@dataclass
class _Context:
    """What ReportBook reads of a sop.reports.registry.ReportContext, without a database."""

    path: Path
    filters: ReportFilters = field(default_factory=ReportFilters)
    viewer: Any = None
    generated_at: datetime = datetime(2026, 11, 24, 16, 5)
    sees_all: bool = True

    def scope_label(self) -> str:
        return "all reps"


def report() -> bytes:
    columns = [ReportColumn("Customer"), ReportColumn("Month", "month"),
               ReportColumn("Cases", "cases"), ReportColumn("Sales $", "money"),
               ReportColumn("Share", "percent"), ReportColumn("Submitted at", "datetime"),
               ReportColumn("Day", "date"), ReportColumn("Lines", "int", width=7),
               ReportColumn("Ratio", "number"), ReportColumn("Note")]
    with tempfile.TemporaryDirectory() as folder:
        book = ReportBook(_Context(Path(folder) / "report.xlsx"), "Forecast summary",
                          ["Cases are cases.", "Money is money."])
        sheet = book.sheet("By customer", columns)
        for number, text in enumerate(HOSTILE):
            sheet.row([text, date(2025, 11, 1), 1234.5 * number, 99.125, 0.1234,
                       datetime(2026, 11, 20, 9, 30, tzinfo=UTC), date(2026, 1, 2), number,
                       float("inf"), datetime(2026, 1, 1, 8)])
        sheet.row(["x", datetime(2026, 1, 1, 7), None, float("nan"), None, None,
                   datetime(2026, 1, 1, 7), 0, None, date(2026, 2, 2)])
        sheet.total_row("Total", [None, 1234.5, 99.125, 0.5, None, None, 3],
                        kinds=["text", "cases", "money", "percent"])
        book.sheet("Empty: one/two", columns[:3])
        return _save(book)


def consolidated_report() -> bytes:
    """The consolidated report: the Consol sheet and pivots in a report book (types/consol)."""
    with tempfile.TemporaryDirectory() as folder:
        book = ReportBook(_Context(Path(folder) / "report.xlsx"), "Consolidated plan Nov",
                          ["Consol: one row per line."])
        totals = ConsolTotals()
        add_consolidated(book.workbook, iter(consol_rows()), MONTHS[:12], totals,
                         top=[text for text, _ in book.title_block()])
        book.note_sheet("Consol", totals.lines)
        return _save(book)


def _save(book: ReportBook) -> bytes:
    book.save()
    return book.ctx.path.read_bytes()


CASES: dict[str, Callable[[], bytes]] = {
    "list_export": list_export, **templates(), "problems": problems_file,
    "consolidated": consolidated, "rep_workbook": rep_workbook, "report": report,
    "consolidated_report": consolidated_report}
