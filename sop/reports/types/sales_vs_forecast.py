"""Sales vs forecast (DOMAIN.md §6): actual sales against a closed cycle's frozen forecast per
month, customer, item and rep: variance, absolute error (WMAPE) and bias."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bson import ObjectId

from sop.models import Cycle
from sop.months import parse_year_month
from sop.reports.book import EFFECTIVE_PRICE_NOTE, FORECAST_DOLLARS_NOTE, ReportBook, ReportColumn
from sop.reports.reading import Scope, sales_buckets
from sop.reports.registry import ReportContext, ReportFilters, ReportType, register
from sop.reports.types.common import (
    ALL_FILTERS,
    NO_REP,
    PLAN_COLLECTIONS,
    customer_labels,
    customers_by_id,
    month_span,
    product_labels,
    products_by_id,
    ratio,
    rep_names,
)

SNAPSHOT_STATUSES = ("closed", "archived")  # cycles that have a frozen snapshot


@dataclass
class Accuracy:
    """Actual and forecast cases and $ over some cells, with the absolute error summed cell
    by cell (customer x item x month), so errors of opposite sign never cancel out."""

    actual_cases: float = 0.0
    forecast_cases: float = 0.0
    error_cases: float = 0.0
    actual_dollars: float = 0.0
    forecast_dollars: float = 0.0
    error_dollars: float = 0.0

    def add(self, actual_cases: float, actual_dollars: float, forecast_cases: float,
            forecast_dollars: float) -> None:
        """One customer x item x month cell."""
        self.actual_cases += actual_cases
        self.forecast_cases += forecast_cases
        self.error_cases += abs(actual_cases - forecast_cases)
        self.actual_dollars += actual_dollars
        self.forecast_dollars += forecast_dollars
        self.error_dollars += abs(actual_dollars - forecast_dollars)

    def merge(self, other: Accuracy) -> None:
        self.actual_cases += other.actual_cases
        self.forecast_cases += other.forecast_cases
        self.error_cases += other.error_cases
        self.actual_dollars += other.actual_dollars
        self.forecast_dollars += other.forecast_dollars
        self.error_dollars += other.error_dollars

    def figures(self) -> list[float | None]:
        """Per measure (cases, then $): actual, forecast, variance (actual - forecast),
        variance %, absolute error, WMAPE, bias."""
        result: list[float | None] = []
        for actual, forecast, error in ((self.actual_cases, self.forecast_cases,
                                         self.error_cases),
                                        (self.actual_dollars, self.forecast_dollars,
                                         self.error_dollars)):
            result += [actual, forecast, actual - forecast, ratio(actual - forecast, forecast),
                       error, ratio(error, actual), ratio(forecast - actual, actual)]
        return result


ACCURACY_COLUMNS = tuple(
    ReportColumn(f"{header} {unit}", kind)
    for unit, amount in (("cases", "cases"), ("$", "money"))
    for header, kind in (("Actual", amount), ("Forecast", amount), ("Variance", amount),
                         ("Variance %", "percent"), ("Abs. error", amount),
                         ("WMAPE", "percent"), ("Bias", "percent")))

ACCURACY_NOTES = [
    "Actual: cases and $ from the sales history. Forecast: cases from the cycle's snapshot "
    "(the plan as it stood when the cycle closed); " + FORECAST_DOLLARS_NOTE,
    EFFECTIVE_PRICE_NOTE,
    "Variance = actual - forecast: positive when more was sold than forecast, negative when "
    "less. Variance % = variance / forecast, blank when the forecast is 0.",
    "Abs. error = the sum of |actual - forecast| over every customer x item x month cell of "
    "the row, so over- and under-forecasts do not cancel out. WMAPE = abs. error / actual "
    "(blank when nothing was sold).",
    "Bias = sum(forecast - actual) / sum(actual): positive = over-forecast (planned more than "
    "was sold), negative = under-forecast; blank when nothing was sold.",
    "Customer, item and rep are as they are today (a customer's rep is its current sales "
    "rep). Items and customers with a forecast but no sales show an actual of 0.",
]


def build_sales_vs_forecast(ctx: ReportContext) -> None:
    cycle = ctx.cycle()
    problem = closed_cycle_problem(cycle)
    if problem:
        raise ValueError(problem)
    buckets = [month.strftime("%Y-%m") for month in cycle.bucket_months]
    asked = ctx.months() if ctx.filters.month_from else None
    months = [month for month in (asked or buckets) if month in buckets]
    cells, sold = _plan_and_actuals(ctx, cycle, buckets, months)
    if asked is None:  # default: the cycle's months up to the last one with actuals
        last_sold = max(sold, default="")
        months = [month for month in months if month <= last_sold]
    ctx.progress("Computing variances", 0, None)
    total, by_month, by_customer, by_product = _accuracy_views(cells, len(months))
    customers = customers_by_id(by_customer)
    reps = rep_names(customers)
    by_rep: dict[str, Accuracy] = defaultdict(Accuracy)
    for customer, figures in by_customer.items():
        by_rep[reps.get(customers.get(customer, {}).get("sales_rep"), NO_REP)].merge(figures)
    products = products_by_id(by_product)

    which = ("the cycle's months that have sales" if asked is None
             else "the months asked for that the cycle plans")
    about = [f"Cycle {cycle.name} ({cycle.label}, {cycle.status}): its forecast against the "
             f"actual sales of {month_span(months)} ({which})."]
    book = ReportBook(ctx, f"Sales vs forecast — cycle {cycle.name}", about + ACCURACY_NOTES)
    sheet = book.sheet("By month", [ReportColumn("Month", "month"), *ACCURACY_COLUMNS])
    for month, figures in zip(months, by_month, strict=True):
        sheet.row([parse_year_month(month), *figures.figures()])
    sheet.total_row("Total", total.figures())
    _accuracy_sheet(book, "By customer", ("Customer code", "Customer S&OP", "Rep", "Territory"),
                    [(customer_labels(customers.get(key, {}), reps), figures)
                     for key, figures in by_customer.items()], total)
    _accuracy_sheet(book, "By item", ("Item code", "Description", "Group", "Category"),
                    [(product_labels(products.get(key, {})), figures)
                     for key, figures in by_product.items()], total)
    _accuracy_sheet(book, "By rep", ("Rep",),
                    [((rep,), figures) for rep, figures in by_rep.items()], total)
    book.save()


def _accuracy_views(cells: Mapping[tuple[ObjectId, ObjectId], list[float]], months: int
                    ) -> tuple[Accuracy, list[Accuracy], dict[ObjectId, Accuracy],
                               dict[ObjectId, Accuracy]]:
    """Total, per month (of the first `months`), per customer and per item."""
    total = Accuracy()
    by_month = [Accuracy() for _ in range(months)]
    by_customer: dict[ObjectId, Accuracy] = defaultdict(Accuracy)
    by_product: dict[ObjectId, Accuracy] = defaultdict(Accuracy)
    for (customer, product), figures in cells.items():
        pair = Accuracy()
        for index, month in enumerate(by_month):
            cell = figures[4 * index:4 * index + 4]
            if any(cell):
                pair.add(*cell)
                month.add(*cell)
        if pair != Accuracy():
            by_customer[customer].merge(pair)
            by_product[product].merge(pair)
            total.merge(pair)
    return total, by_month, by_customer, by_product


def _plan_and_actuals(ctx: ReportContext, cycle: Any, buckets: list[str], months: list[str]
                      ) -> tuple[dict[tuple[ObjectId, ObjectId], list[float]], set[str]]:
    """{(customer, item): [actual cases, actual $, forecast cases, forecast $] for each of
    `months` in turn} in scope, and the months with any sales."""
    slot = {month: index for index, month in enumerate(months)}
    bucket_of = [buckets.index(month) for month in months]
    cells: dict[tuple[ObjectId, ObjectId], list[float]] = {}

    def figures_of(key: tuple[ObjectId, ObjectId]) -> list[float]:
        found = cells.get(key)
        if found is None:
            found = cells[key] = [0.0] * (4 * len(months))
        return found

    scope = Scope(ctx)
    for line in scope.plan_lines(cycle.pk, "Reading the forecast"):
        qty, dollars = line.qty, line.revenue
        figures = None
        for index, bucket in enumerate(bucket_of):
            cases = qty[bucket] if bucket < len(qty) else None
            if cases:
                figures = figures or figures_of((line.raw["customer"], line.raw["product"]))
                figures[4 * index + 2] += cases
                figures[4 * index + 3] += dollars[bucket] if bucket < len(dollars) else 0.0
    sold: set[str] = set()
    for bucket in sales_buckets(scope, months):
        figures = None
        for month, cases, dollars, _ in bucket.months:
            if cases or dollars:
                figures = figures or figures_of((bucket.customer, bucket.product))
                figures[4 * slot[month]] += cases
                figures[4 * slot[month] + 1] += dollars
                sold.add(month)
    return cells, sold


def _accuracy_sheet(book: ReportBook, title: str, headers: tuple[str, ...],
                    rows: list[tuple[tuple[str, ...], Accuracy]], total: Accuracy) -> None:
    sheet = book.sheet(title, [*(ReportColumn(header) for header in headers),
                               *ACCURACY_COLUMNS])
    for labels, figures in sorted(rows, key=lambda row: row[0]):
        sheet.row([*labels, *figures.figures()])
    sheet.total_row("Total", [*[None] * (len(headers) - 1), *total.figures()])



def closed_cycle_problem(cycle: Any) -> str | None:
    """Why sales cannot be compared with `cycle`'s forecast, or None."""
    if cycle is None:
        return "Choose a closed cycle."
    if cycle.status not in SNAPSHOT_STATUSES:
        return (f"Cycle {cycle.name} is {cycle.status}: sales are compared with a closed "
                "cycle's frozen forecast.")
    return None


@dataclass(frozen=True)
class ClosedCycleReportType(ReportType):
    """A report comparing with a cycle's frozen snapshot: the cycle must be closed."""

    def validate(self, filters: ReportFilters) -> list[str]:
        errors = super().validate(filters)
        if not errors and filters.cycle:
            problem = closed_cycle_problem(Cycle.objects(id=filters.cycle).first())
            errors += [problem] if problem else []
        return errors


register(ClosedCycleReportType(
    key="sales_vs_forecast", title="Sales vs forecast",
    description="Actual sales against a closed cycle's frozen forecast per month, customer, "
                "item and rep: variance, variance %, absolute error (WMAPE) and bias.",
    filters=("cycle", *ALL_FILTERS), required=("cycle",),
    collections=("sales_history", *PLAN_COLLECTIONS), build=build_sales_vs_forecast))
