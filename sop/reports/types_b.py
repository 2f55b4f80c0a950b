"""Report types B (DOMAIN.md §6): sales vs forecast of a closed cycle, and customer, product
and territory performance over a month range.

Rows are read in bulk through the report context's scope (sop.reports.reading: a rep only
ever gets their own customers, whatever the filters say); the figures are plain Python sums
over those rows."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from bson import ObjectId

from sop.models import (
    BudgetEntry,
    Customer,
    Cycle,
    ForecastSnapshot,
    Product,
    User,
)
from sop.months import add_months, month_label, parse_year_month
from sop.plans import frozen_line
from sop.reports.book import (
    EFFECTIVE_PRICE_NOTE,
    FORECAST_DOLLARS_NOTE,
    ReportBook,
    ReportColumn,
    ReportSheet,
)
from sop.reports.reading import Scope, by_id, sales_buckets
from sop.reports.registry import ReportContext, ReportFilters, ReportType, register

SNAPSHOT_STATUSES = ("closed", "archived")  # cycles that have a frozen snapshot
NO_TERRITORY = "(no territory)"
NO_REP = "(no rep)"
NO_GROUP = "(no group)"
NO_CATEGORY = "(no category)"
ALL_FILTERS = ("month_from", "month_to", "rep", "territory", "customer", "item", "group")


def _customers(ids: Iterable[ObjectId]) -> dict[ObjectId, dict[str, Any]]:
    # scoped by caller: names of what the scoped rows refer to
    return by_id(Customer._get_collection(), ids,
                 ("code", "sop_name", "name", "sales_rep", "territory"))


def _products(ids: Iterable[ObjectId]) -> dict[ObjectId, dict[str, Any]]:
    return by_id(Product._get_collection(), ids,
                 ("item_code", "description", "group_description", "category"))


def _rep_names(customers: Mapping[ObjectId, Mapping[str, Any]]) -> dict[ObjectId, str]:
    """{rep id: full name} of the customers' reps."""
    # scoped by caller: names of what the scoped rows refer to
    users = by_id(User._get_collection(), {c["sales_rep"] for c in customers.values()
                                           if c.get("sales_rep")}, ("full_name", "email"))
    return {user_id: user.get("full_name") or user.get("email") or str(user_id)
            for user_id, user in users.items()}


def _span(months: list[str]) -> str:
    """"Nov 2025 to Feb 2026" (or "no month")."""
    if not months:
        return "no month"
    return " to ".join(month_label(parse_year_month(months[i])) for i in (0, -1))


def _ratio(part: float, whole: float) -> float | None:
    return part / whole if whole else None


# --- sales vs forecast -------------------------------------------------------------------

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
            result += [actual, forecast, actual - forecast, _ratio(actual - forecast, forecast),
                       error, _ratio(error, actual), _ratio(forecast - actual, actual)]
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
    customers = _customers(by_customer)
    reps = _rep_names(customers)
    by_rep: dict[str, Accuracy] = defaultdict(Accuracy)
    for customer, figures in by_customer.items():
        by_rep[reps.get(customers.get(customer, {}).get("sales_rep"), NO_REP)].merge(figures)
    products = _products(by_product)

    which = ("the cycle's months that have sales" if asked is None
             else "the months asked for that the cycle plans")
    about = [f"Cycle {cycle.name} ({cycle.label}, {cycle.status}): its forecast against the "
             f"actual sales of {_span(months)} ({which})."]
    book = ReportBook(ctx, f"Sales vs forecast — cycle {cycle.name}", about + ACCURACY_NOTES)
    sheet = book.sheet("By month", [ReportColumn("Month", "month"), *ACCURACY_COLUMNS])
    for month, figures in zip(months, by_month, strict=True):
        sheet.row([parse_year_month(month), *figures.figures()])
    sheet.total_row("Total", total.figures())
    _accuracy_sheet(book, "By customer", ("Customer code", "Customer S&OP", "Rep", "Territory"),
                    [(_customer_labels(customers.get(key, {}), reps), figures)
                     for key, figures in by_customer.items()], total)
    _accuracy_sheet(book, "By item", ("Item code", "Description", "Group", "Category"),
                    [(_product_labels(products.get(key, {})), figures)
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
    # scoped by caller: `scope` is the report context's (ReportContext, sop.security)
    for line in scope.documents(ForecastSnapshot._get_collection(), {"cycle": cycle.pk},
                                {"customer": 1, "product": 1, "qty": 1, "effective_price": 1},
                                "Reading the forecast", ("customer", "product", "rep")):
        qty = line.get("qty") or []
        dollars = frozen_line(line).revenue
        figures = None
        for index, bucket in enumerate(bucket_of):
            cases = qty[bucket] if bucket < len(qty) else None
            if cases:
                figures = figures or figures_of((line["customer"], line["product"]))
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


def _customer_labels(customer: Mapping[str, Any], reps: Mapping[ObjectId, str]
                     ) -> tuple[str, ...]:
    return (customer.get("code", ""), customer.get("sop_name") or customer.get("name", ""),
            reps.get(customer.get("sales_rep"), NO_REP),
            customer.get("territory") or NO_TERRITORY)


def _product_labels(product: Mapping[str, Any]) -> tuple[str, ...]:
    return (product.get("item_code", ""), product.get("description", ""),
            product.get("group_description") or NO_GROUP,
            product.get("category") or NO_CATEGORY)


# --- performance ---------------------------------------------------------------------------

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
                  _ratio(self.cases - self.previous_cases, self.previous_cases),
                  self.dollars, self.previous_dollars, self.dollars - self.previous_dollars,
                  _ratio(self.dollars - self.previous_dollars, self.previous_dollars),
                  self.gross_profit, self.previous_gross_profit,
                  None if self.gross_profit is None else _ratio(self.gross_profit, self.dollars)]
        if with_budget:
            result += [self.budget_cases, self.cases - self.budget_cases, self.budget_dollars,
                       self.dollars - self.budget_dollars,
                       _ratio(self.dollars - self.budget_dollars, self.budget_dollars)]
        return [*result, _ratio(self.dollars, total_dollars)]


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
    data.customers = _customers({c for c, _ in pairs} | set(budget))
    data.products = _products({p for _, p in pairs})
    data.reps = _rep_names(data.customers)
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
    for row in scope.documents(BudgetEntry._get_collection(),
                               {"$or": wanted, "customer": {"$ne": None}},
                               {"customer": 1, "cases": 1, "sales": 1}, "Reading budget",
                               ("customer", "rep")):
        cases, dollars = result.get(row["customer"], (0.0, 0.0))
        result[row["customer"]] = (cases + (row.get("cases") or 0.0),
                                   dollars + (row.get("sales") or 0.0))
    return result


def performance_notes(data: Performance, budget_applies: bool = True,
                      extra: Iterable[str] = ()) -> list[str]:
    notes = [f"Months: {_span(data.months)}, exactly those months; 'year before' is the same "
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


def _ranked_sheet(book: ReportBook, title: str, headers: tuple[str, ...],
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


def build_customer_performance(ctx: ReportContext) -> None:
    data = performance_data(ctx, with_budget=True)
    ctx.progress("Writing the report", 0, None)
    rows = data.grouped(lambda customer, product: customer)
    book = ReportBook(ctx, "Customer performance", performance_notes(data))
    _ranked_sheet(book, "By customer", ("Customer code", "Customer S&OP", "Rep", "Territory"),
                  [(_customer_labels(data.customers.get(key, {}), data.reps), measures)
                   for key, measures in rows.items()], data.total(), data.with_budget,
                  ("Items",))
    book.save()


def build_product_performance(ctx: ReportContext) -> None:
    data = performance_data(ctx, with_budget=False)
    ctx.progress("Writing the report", 0, None)
    total = data.total()
    book = ReportBook(ctx, "Product performance", performance_notes(data, False, [
        "Customers: how many customers bought the item (cases or $ not 0) in the months "
        "asked for."]))
    items = data.grouped(lambda customer, product: product)
    _ranked_sheet(book, "By item", ("Item code", "Description", "Group", "Category"),
                  [(_product_labels(data.products.get(key, {})), measures)
                   for key, measures in items.items()], total, False, ("Customers",))
    for title, name, missing in (("By group", "group_description", NO_GROUP),
                                 ("By category", "category", NO_CATEGORY)):
        grouped = data.grouped(lambda customer, product, name=name, missing=missing: (
            data.products.get(product, {}).get(name) or missing,))
        _ranked_sheet(book, title, (title.removeprefix("By ").capitalize(),),
                      grouped.items(), total, False, ("Items", "Customers"))
    book.save()


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

    _ranked_sheet(book, "By territory", ("Territory",),
                  data.grouped(lambda c, p: (territory(c),)).items(), total, data.with_budget,
                  ("Customers", "Items"))
    _ranked_sheet(book, "By territory and rep", ("Territory", "Rep"),
                  data.grouped(lambda c, p: (territory(c), rep(c))).items(), total,
                  data.with_budget, ("Customers", "Items"))
    book.save()


# --- registration ------------------------------------------------------------------------

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


PERFORMANCE_COLLECTIONS = ("sales_history", "budget_entries", "customers", "products", "users")

register(ClosedCycleReportType(
    key="sales_vs_forecast", title="Sales vs forecast",
    description="Actual sales against a closed cycle's frozen forecast per month, customer, "
                "item and rep: variance, variance %, absolute error (WMAPE) and bias.",
    filters=("cycle", *ALL_FILTERS), required=("cycle",),
    collections=("sales_history", "forecast_snapshots", "cycles", "customers", "products",
                 "users"),
    build=build_sales_vs_forecast))
register(ReportType(
    key="customer_performance", title="Customer performance",
    description="Per customer: cases, sales $ and GP against the same months a year before "
                "and against budget, share of total and rank.",
    filters=ALL_FILTERS, required=("month_from", "month_to"),
    collections=PERFORMANCE_COLLECTIONS, build=build_customer_performance))
register(ReportType(
    key="product_performance", title="Product performance",
    description="Per item, product group and category: cases, sales $ and GP against the "
                "same months a year before, customers buying it, share of total and rank.",
    filters=ALL_FILTERS, required=("month_from", "month_to"),
    collections=PERFORMANCE_COLLECTIONS, build=build_product_performance))
register(ReportType(
    key="territory_performance", title="Territory performance",
    description="Per territory and per territory and rep: cases, sales $ and GP against the "
                "same months a year before and against budget, share of total and rank.",
    filters=ALL_FILTERS, required=("month_from", "month_to"),
    collections=PERFORMANCE_COLLECTIONS, build=build_territory_performance))
