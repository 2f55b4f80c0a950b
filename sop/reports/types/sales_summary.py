"""The sales summary of a range of months: actual sales in total, the monthly trend against the
same months a year before, the top customers and top items."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bson import ObjectId

from sop.months import add_months, parse_year_month
from sop.reports.book import ReportBook, ReportColumn
from sop.reports.reading import Scope, sales_buckets
from sop.reports.registry import ReportContext, ReportType, register
from sop.reports.types.common import change, names_by_id, ratio

TOP = 50  # rows of the top customers and top items sheets


@dataclass
class Sales:
    cases: float = 0.0
    dollars: float = 0.0
    gross_profit: float = 0.0

    def add(self, cases: float, dollars: float, gross_profit: float | None) -> None:
        """One month's cases, sales $ and gross profit; a blank gross profit counts 0."""
        self.cases += cases
        self.dollars += dollars
        self.gross_profit += gross_profit or 0.0

    def values(self) -> list[Any]:
        return [self.cases, self.dollars, self.gross_profit,
                ratio(self.gross_profit, self.dollars), ratio(self.dollars, self.cases)]


SALES_COLUMNS = [ReportColumn("Cases", "cases"), ReportColumn("Sales $", "money", 15),
                 ReportColumn("Gross profit $", "money", 15), ReportColumn("GP %", "percent", 8),
                 ReportColumn("Avg $/case", "money", 11)]


def build_sales_summary(ctx: ReportContext) -> None:
    months = ctx.months()
    wanted = set(months)
    year_before = {add_months(parse_year_month(m), -12).strftime("%Y-%m"): m for m in months}
    customers, products, users = names_by_id()
    by_month: dict[str, Sales] = {m: Sales() for m in months}
    before: dict[str, Sales] = {m: Sales() for m in months}  # by the month it compares with
    by_customer: dict[ObjectId, Sales] = {}
    by_item: dict[ObjectId, Sales] = {}
    this, last = Sales(), Sales()
    buyers_before: set[ObjectId] = set()
    items_before: set[ObjectId] = set()
    for bucket in sales_buckets(Scope(ctx), wanted | set(year_before)):
        customer, product = bucket.customer, bucket.product
        for name, *month in bucket.months:
            if name in wanted:
                by_month[name].add(*month)
                this.add(*month)
                by_customer.setdefault(customer, Sales()).add(*month)
                by_item.setdefault(product, Sales()).add(*month)
            if name in year_before:
                before[year_before[name]].add(*month)
                last.add(*month)
                buyers_before.add(customer)
                items_before.add(product)

    first, final = parse_year_month(months[0]), parse_year_month(months[-1])
    span = f"{first:%b %Y} to {final:%b %Y}"
    span_before = f"{add_months(first, -12):%b %Y} to {add_months(final, -12):%b %Y}"
    book = ReportBook(ctx, f"Sales summary {span}", [
        f"Actual sales (invoiced) of the months {span}, exactly those {len(months)} months, "
        f"compared with the same months a year before ({span_before}).",
        "Cases = quantity sold; Sales $ = invoiced sales; Gross profit $ as imported (blank "
        "counts as 0); GP % = gross profit / sales; Avg $/case = sales / cases.",
        "Change = this range - year before; change % = change / |year before| (blank when the "
        "year before is 0).",
        f"Top customers and top items: the {TOP} largest by sales $ in the range; share = "
        "their sales / all sales of the range; cumulative share adds the rows above.",
        "Scope: the customers of the rep (their current customers) for a rep, else the "
        "customers matching the filters; the item and group filters select items."])

    summary = book.sheet("Summary", [ReportColumn("Period", width=30), *SALES_COLUMNS,
                                     ReportColumn("Customers buying", "int", 10),
                                     ReportColumn("Items sold", "int", 10)])
    summary.row([span, *this.values(), len(by_customer), len(by_item)])
    summary.row([f"Year before: {span_before}", *last.values(), len(buyers_before),
                 len(items_before)])
    changes = [a - b if a is not None and b is not None else None for a, b in zip(
        [*this.values(), len(by_customer), len(by_item)],
        [*last.values(), len(buyers_before), len(items_before)], strict=True)]
    summary.total_row("Change", changes)
    summary.total_row("Change %", [change(a, b)[1] for a, b in (
        (this.cases, last.cases), (this.dollars, last.dollars),
        (this.gross_profit, last.gross_profit))], kinds=["percent"] * 3)

    trend = book.sheet("Monthly trend", [
        ReportColumn("Month", "month"), *SALES_COLUMNS,
        ReportColumn("Cases year before", "cases"),
        ReportColumn("Sales $ year before", "money", 15),
        ReportColumn("Sales $ vs year before %", "percent", 12)])
    for month in months:
        figures, earlier = by_month[month], before[month]
        trend.row([parse_year_month(month), *figures.values(), earlier.cases, earlier.dollars,
                   change(figures.dollars, earlier.dollars)[1]])
    trend.total_row("Total", [*this.values(), last.cases, last.dollars,
                              change(this.dollars, last.dollars)[1]])

    _top_sheet(book, "Top customers", [
        ReportColumn("Customer code", width=16), ReportColumn("Customer S&OP", width=28),
        ReportColumn("Sales rep", width=22), ReportColumn("Territory", width=16)],
        by_customer, this, lambda key: [
            customers.get(key, {}).get("code"), customers.get(key, {}).get("sop_name"),
            users.get(customers.get(key, {}).get("sales_rep")),
            customers.get(key, {}).get("territory")])
    _top_sheet(book, "Top items", [
        ReportColumn("Item code", width=10), ReportColumn("Description", width=32),
        ReportColumn("Product group", width=22)], by_item, this, lambda key: [
            products.get(key, {}).get("item_code"), products.get(key, {}).get("description"),
            products.get(key, {}).get("group_description")])
    book.save()


def _top_sheet(book: ReportBook, title: str, key_columns: list[ReportColumn],
               rows: dict[ObjectId, Sales], whole: Sales,
               labels: Callable[[ObjectId], list[Any]]) -> None:
    sheet = book.sheet(title, [ReportColumn("Rank", "int", 6), *key_columns, *SALES_COLUMNS,
                               ReportColumn("Share of sales", "percent", 10),
                               ReportColumn("Cumulative share", "percent", 11)])
    ranked = sorted(rows.items(), key=lambda item: (-item[1].dollars, str(item[0])))[:TOP]
    cumulative = 0.0
    shown = Sales()
    for rank, (key, figures) in enumerate(ranked, start=1):
        share = ratio(figures.dollars, whole.dollars)
        cumulative += share or 0.0
        shown.cases += figures.cases
        shown.dollars += figures.dollars
        shown.gross_profit += figures.gross_profit
        sheet.row([rank, *labels(key), *figures.values(), share,
                   cumulative if share is not None else None])
    blanks = [None] * len(key_columns)
    sheet.total_row(f"Top {len(ranked)}", [*blanks, *shown.values(),
                                           ratio(shown.dollars, whole.dollars), None])
    sheet.total_row(f"All {len(rows)}", [*blanks, *whole.values(),
                                         1.0 if whole.dollars else None, None])



SALES_SUMMARY = register(ReportType(
    key="sales_summary", title="Sales summary",
    description="Actual sales of a range of months: totals, monthly trend against the year "
                "before, top customers and top items.",
    filters=("month_from", "month_to", "rep", "territory", "customer", "item", "group"),
    required=("month_from", "month_to"),
    collections=("sales_history", "customers", "products", "users"),
    build=build_sales_summary))
