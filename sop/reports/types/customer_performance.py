"""Customer performance: per customer, cases, sales $ and GP against the same months a year
before and against budget, share of total and rank."""

from __future__ import annotations

from sop.reports.book import ReportBook
from sop.reports.registry import ReportContext, ReportType, register
from sop.reports.types.common import ALL_FILTERS, customer_labels
from sop.reports.types.performance import (
    PERFORMANCE_COLLECTIONS,
    performance_data,
    performance_notes,
    ranked_sheet,
)


def build_customer_performance(ctx: ReportContext) -> None:
    data = performance_data(ctx, with_budget=True)
    ctx.progress("Writing the report", 0, None)
    rows = data.grouped(lambda customer, product: customer)
    book = ReportBook(ctx, "Customer performance", performance_notes(data))
    ranked_sheet(book, "By customer", ("Customer code", "Customer S&OP", "Rep", "Territory"),
                  [(customer_labels(data.customers.get(key, {}), data.reps), measures)
                   for key, measures in rows.items()], data.total(), data.with_budget,
                  ("Items",))
    book.save()


register(ReportType(
    key="customer_performance", title="Customer performance",
    description="Per customer: cases, sales $ and GP against the same months a year before "
                "and against budget, share of total and rank.",
    filters=ALL_FILTERS, required=("month_from", "month_to"),
    collections=PERFORMANCE_COLLECTIONS, build=build_customer_performance))
