"""Territory performance: per territory and per territory and rep, cases, sales $ and GP
against the same months a year before and against budget, share of total and rank."""

from __future__ import annotations

from bson import ObjectId

from sop.reports.book import ReportBook
from sop.reports.registry import ReportContext, ReportType, register
from sop.reports.types.common import ALL_FILTERS, NO_REP, NO_TERRITORY
from sop.reports.types.performance import (
    PERFORMANCE_COLLECTIONS,
    performance_data,
    performance_notes,
    ranked_sheet,
)


def build_territory_performance(ctx: ReportContext) -> None:
    data = performance_data(ctx, with_budget=True)
    ctx.progress("Writing the report", 0, None)
    total = data.total()
    book = ReportBook(ctx, "Territory performance", performance_notes(data, extra=[
        "Territory and rep are the customer's today."]))

    def territory(customer: ObjectId) -> str:
        return data.customers.get(customer, {}).get("territory") or NO_TERRITORY

    def rep(customer: ObjectId) -> str:
        return data.reps.get(data.customers.get(customer, {}).get("sales_rep"), NO_REP)

    ranked_sheet(book, "By territory", ("Territory",),
                  data.grouped(lambda c, p: (territory(c),)).items(), total, data.with_budget,
                  ("Customers", "Items"))
    ranked_sheet(book, "By territory and rep", ("Territory", "Rep"),
                  data.grouped(lambda c, p: (territory(c), rep(c))).items(), total,
                  data.with_budget, ("Customers", "Items"))
    book.save()


register(ReportType(
    key="territory_performance", title="Territory performance",
    description="Per territory and per territory and rep: cases, sales $ and GP against the "
                "same months a year before and against budget, share of total and rank.",
    filters=ALL_FILTERS, required=("month_from", "month_to"),
    collections=PERFORMANCE_COLLECTIONS, build=build_territory_performance))
