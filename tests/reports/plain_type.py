"""A tiny report type for the reports-core tests only (never registered by the app): the cases
of a cycle's forecast lines per customer plus the sales quantities, scoped like any report.
`HOOKS` run inside the build (in the worker), so a test can look at the world mid-build."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sop.db import raw_collection
from sop.models import ForecastLine, SalesHistory
from sop.reports.book import ReportBook, ReportColumn
from sop.reports.registry import REPORT_TYPES, ReportContext, ReportType, register

KEY = "plain_lines"
HOOKS: list[Callable[[ReportContext], None]] = []


def build(ctx: ReportContext) -> None:
    for hook in HOOKS:
        hook(ctx)
    query: dict = {"cycle": ctx.cycle().pk}
    for field, ids in (("rep", ctx.rep_ids()), ("customer", ctx.customer_ids())):
        if ids is not None:
            query[field] = {"$in": ids}
    book = ReportBook(ctx, "Plain lines", ["Cases: the sum of the quantities entered."])
    sheet = book.sheet("Lines", [ReportColumn("Customer"), ReportColumn("Cases", "cases")])
    total = 0.0
    lines = list(raw_collection(ForecastLine).find(query).sort("_id"))
    for done, line in enumerate(lines, start=1):
        cases = sum(q or 0 for q in line["qty"])
        sheet.row([str(line["customer"]), cases])
        total += cases
        ctx.progress("Reading lines", done, len(lines))
    sold = sum(month.quantity or 0 for bucket in SalesHistory.objects(
        **({} if ctx.customer_ids() is None else {"customer__in": ctx.customer_ids()}))
        for month in bucket.months)
    sheet.total_row("Total", [total])
    sheet.total_row("Sold", [sold])
    book.save()


PLAIN = ReportType(
    key=KEY, title="Plain lines", description="Cases per forecast line (tests only).",
    filters=("cycle", "rep", "customer"), required=("cycle",),
    collections=("forecast_lines", "sales_history", "customers"), build=build)


@contextmanager
def plain_type_registered() -> Iterator[ReportType]:
    register(PLAIN)
    try:
        yield PLAIN
    finally:
        REPORT_TYPES.pop(KEY, None)
        HOOKS.clear()
