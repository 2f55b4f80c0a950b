"""What the customer, product and territory performance reports share: sales per (customer,
item) over a month range and the same months a year before, budget per customer, the measure
columns, the notes and the ranked sheet."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, field
from typing import Any

from bson import ObjectId

from sop.db import raw_collection
from sop.models import BudgetEntry
from sop.months import add_months, parse_year_month
from sop.reports.book import ReportBook, ReportColumn, ReportSheet
from sop.reports.reading import Scope, sales_buckets
from sop.reports.registry import ReportContext
from sop.reports.types.common import (
    customers_by_id,
    month_span,
    products_by_id,
    ratio,
    rep_names,
)

PERFORMANCE_COLLECTIONS = ("sales_history", "budget_entries", "customers", "products", "users")


@dataclass
class Measures:
    """Sales of a row in the months asked for and in the same months a year before, its
    budget, and who bought what."""

    cases: float = 0.0
    dollars: float = 0.0
    gross_profit: float | None = None
    previous_cases: float = 0.0
    previous_dollars: float = 0.0
    previous_gross_profit: float | None = None
    budget_cases: float = 0.0
    budget_dollars: float = 0.0
    customers: set[ObjectId] = field(default_factory=set)  # bought in the months asked for
    items: set[ObjectId] = field(default_factory=set)

    def add(self, other: Measures) -> None:
        self.cases += other.cases
        self.dollars += other.dollars
        self.gross_profit = _plus(self.gross_profit, other.gross_profit)
        self.previous_cases += other.previous_cases
        self.previous_dollars += other.previous_dollars
        self.previous_gross_profit = _plus(self.previous_gross_profit,
                                           other.previous_gross_profit)
        self.budget_cases += other.budget_cases
        self.budget_dollars += other.budget_dollars
        self.customers |= other.customers
        self.items |= other.items

    def figures(self, total_dollars: float, with_budget: bool) -> list[Any]:
        """The measure columns (see `measure_columns`)."""
        result = [self.cases, self.previous_cases, self.cases - self.previous_cases,
                  ratio(self.cases - self.previous_cases, self.previous_cases),
                  self.dollars, self.previous_dollars, self.dollars - self.previous_dollars,
                  ratio(self.dollars - self.previous_dollars, self.previous_dollars),
                  self.gross_profit, self.previous_gross_profit,
                  None if self.gross_profit is None else ratio(self.gross_profit, self.dollars)]
        if with_budget:
            result += [self.budget_cases, self.cases - self.budget_cases, self.budget_dollars,
                       self.dollars - self.budget_dollars,
                       ratio(self.dollars - self.budget_dollars, self.budget_dollars)]
        return [*result, ratio(self.dollars, total_dollars)]


def _plus(a: float | None, b: float | None) -> float | None:
    return b if a is None else a if b is None else a + b


def measure_columns(with_budget: bool) -> list[ReportColumn]:
    columns = [ReportColumn("Cases", "cases"), ReportColumn("Cases year before", "cases"),
               ReportColumn("Cases change", "cases"), ReportColumn("Cases change %", "percent"),
               ReportColumn("Sales $", "money"), ReportColumn("Sales $ year before", "money"),
               ReportColumn("Sales $ change", "money"),
               ReportColumn("Sales $ change %", "percent"),
               ReportColumn("GP $", "money"), ReportColumn("GP $ year before", "money"),
               ReportColumn("GP %", "percent")]
    if with_budget:
        columns += [ReportColumn("Budget cases", "cases"), ReportColumn("Cases vs budget", "cases"),
                    ReportColumn("Budget $", "money"), ReportColumn("Sales $ vs budget", "money"),
                    ReportColumn("Sales $ vs budget %", "percent")]
    return [*columns, ReportColumn("Share of sales $", "percent")]


@dataclass
class Performance:
    """Sales per (customer, item) over the months asked for and the year before, budget per
    customer, and the names to show."""

    months: list[str]
    pairs: dict[tuple[ObjectId, ObjectId], Measures]
    budget: dict[ObjectId, tuple[float, float]]
    with_budget: bool
    customers: dict[ObjectId, dict[str, Any]] = field(default_factory=dict)
    products: dict[ObjectId, dict[str, Any]] = field(default_factory=dict)
    reps: dict[ObjectId, str] = field(default_factory=dict)

    def grouped(self, key: Callable[[ObjectId, ObjectId | None], Hashable]
                ) -> dict[Hashable, Measures]:
        """Measures per `key(customer, item)`; budget (per customer) goes to
        `key(customer, None)` and only when the report compares with budget."""
        result: dict[Hashable, Measures] = defaultdict(Measures)
        for (customer, product), measures in self.pairs.items():
            result[key(customer, product)].add(measures)
        if self.with_budget:
            for customer, (cases, dollars) in self.budget.items():
                row = result[key(customer, None)]
                row.budget_cases += cases
                row.budget_dollars += dollars
        return result

    def total(self) -> Measures:
        return self.grouped(lambda customer, product: None).get(None, Measures())


def performance_data(ctx: ReportContext, with_budget: bool) -> Performance:
    """Everything the performance reports show, read once and scoped."""
    months = ctx.months()
    current = set(months)
    previous = {add_months(parse_year_month(month), -12).strftime("%Y-%m") for month in months}
    scope = Scope(ctx)
    pairs: dict[tuple[ObjectId, ObjectId], Measures] = defaultdict(Measures)
    for bucket in sales_buckets(scope, current | previous):
        if not bucket.months:  # sold only outside both periods: not a row
            continue
        measures = pairs[(bucket.customer, bucket.product)]
        for month, cases, dollars, gross_profit in bucket.months:
            if month in current:
                measures.cases += cases
                measures.dollars += dollars
                measures.gross_profit = _plus(measures.gross_profit, gross_profit)
                if cases or dollars:
                    measures.customers.add(bucket.customer)
                    measures.items.add(bucket.product)
            if month in previous:  # (a range over 12 months has months in both)
                measures.previous_cases += cases
                measures.previous_dollars += dollars
                measures.previous_gross_profit = _plus(measures.previous_gross_profit,
                                                       gross_profit)
    with_budget = with_budget and not (ctx.filters.item or ctx.filters.group)
    budget = budget_by_customer(scope, months) if with_budget else {}
    data = Performance(months, pairs, budget, with_budget)
    data.customers = customers_by_id({c for c, _ in pairs} | set(budget))
    data.products = products_by_id({p for _, p in pairs})
    data.reps = rep_names(data.customers)
    return data


def budget_by_customer(scope: Scope, months: list[str]) -> dict[ObjectId, tuple[float, float]]:
    """Budget (cases, $) per customer over `months`; rows whose S&OP name matched no
    customer have no customer and are left out."""
    wanted = [{"year": month.year, "month": month.month}
              for month in (parse_year_month(text) for text in months)]
    if not wanted:
        return {}
    result: dict[ObjectId, tuple[float, float]] = {}
    # scoped by caller: `scope` is the report context's (ReportContext, sop.security)
    for row in scope.documents(raw_collection(BudgetEntry),
                               {"$or": wanted, "customer": {"$ne": None}},
                               {"customer": 1, "cases": 1, "sales": 1}, "Reading budget",
                               ("customer", "rep")):
        cases, dollars = result.get(row["customer"], (0.0, 0.0))
        result[row["customer"]] = (cases + (row.get("cases") or 0.0),
                                   dollars + (row.get("sales") or 0.0))
    return result


def performance_notes(data: Performance, budget_applies: bool = True,
                      extra: Iterable[str] = ()) -> list[str]:
    notes = [f"Months: {month_span(data.months)}, exactly those months; 'year before' is the same "
             "months one year earlier. Change = this period - year before; change % = change "
             "/ year before (blank when the year before is 0).",
             "Sales $, cases and gross profit (GP) from the sales history; GP is blank where "
             "the history holds none. GP % = GP / sales $.",
             "Share of sales $ = the row's sales $ / the total sales $ of the report. Rank 1 = "
             "the largest sales $; equal sales $ share a rank."]
    if data.with_budget:
        notes.append("Budget: the budget of the row's customers over the same months (budget "
                     "rows whose S&OP name matched no customer are left out). Vs budget = "
                     "actual - budget; % = that / budget (blank when the budget is 0).")
    elif budget_applies:
        notes.append("No budget comparison: budget is kept per customer, not per item, so it "
                     "does not apply when an item or product group is filtered.")
    else:
        notes.append("No budget comparison: budget is kept per customer, not per item.")
    return [*notes, *extra]


def ranked_sheet(book: ReportBook, title: str, headers: tuple[str, ...],
                  rows: Iterable[tuple[tuple[Any, ...], Measures]], total: Measures,
                  with_budget: bool, counts: tuple[str, ...] = ()) -> ReportSheet:
    """Rows ranked by sales $ (largest first): rank, labels, counts, measures; a totals row."""
    sheet = book.sheet(title, [ReportColumn("Rank", "int"),
                               *(ReportColumn(header) for header in headers),
                               *(ReportColumn(header, "int") for header in counts),
                               *measure_columns(with_budget)])
    ordered = sorted(rows, key=lambda row: (-row[1].dollars, row[0]))
    rank, previous = 0, None
    for position, (labels, measures) in enumerate(ordered, start=1):
        if measures.dollars != previous:  # equal sales $, equal rank: 1, 2, 2, 4
            rank, previous = position, measures.dollars
        sheet.row([rank, *labels, *_counts(measures, counts),
                   *measures.figures(total.dollars, with_budget)])
    sheet.total_row("Total", [*[None] * len(headers), *_counts(total, counts),
                              *total.figures(total.dollars, with_budget)])
    return sheet


def _counts(measures: Measures, counts: tuple[str, ...]) -> list[int]:
    return [len(measures.customers if name == "Customers" else measures.items)
            for name in counts]
