"""The forecast grid's read model: one customer's rows, totals, actuals, budget, last cycle
and statistical baseline, in a fixed handful of bulk queries (lines, matrix, items, sales
history, budget, last cycle, baseline), never one per row."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from bson import ObjectId
from markupsafe import Markup

from sop.db import raw_collection
from sop.forecasts.values import (
    LINE_PROJECTION,
    short,
    show,
)
from sop.listing import prefix_match
from sop.models import (
    BudgetEntry,
    Customer,
    Cycle,
    ForecastLine,
    SalesHistory,
    Submission,
    User,
)
from sop.models.sales import read_fingerprint, unpack_figures
from sop.months import add_months, month_label
from sop.plans import (
    Baseline,
    PriceBook,
    SameMonths,
    baseline_for,
    cached_catalog,
    customer_matrix,
    customer_price_book,
    departure,
    effective_prices,
    is_empty,
    missing_months,
    pad,
    previous_over_same_months,
    total,
    value_lines,
)
from sop.settings import get_setting
from sop.submissions.services import plan_is_editable

ACTUAL_MONTHS = 3


@dataclass
class GridRow:
    product_id: ObjectId
    item_code: str
    description: str
    line_id: ObjectId | None = None
    version: int = 0
    probability: int | None = None
    new_item: bool = False
    in_matrix: bool = True
    qty: list[float | None] = field(default_factory=list)
    price: list[float | None] = field(default_factory=list)
    effective: list[float] = field(default_factory=list)
    cases: float = 0.0  # mandatory months
    dollars: float = 0.0  # mandatory months, at effective price
    actuals: list[float | None] = field(default_factory=list)  # the 3 months before M1
    last_year: list[float | None] = field(default_factory=list)  # per bucket
    last_cycle: list[float | None] = field(default_factory=list)  # per bucket
    missing: list[int] = field(default_factory=list)  # 0-based mandatory buckets left blank
    empty: bool = True
    baseline: Baseline | None = None  # None: the pair has no history, so no baseline
    departure: float | None = None  # (plan - baseline) / baseline over the months planned
    far: bool = False  # |departure| above the `baseline_far_percent` setting
    baseline_cases: float | None = None  # the baseline over the mandatory months
    # What the template prints, prepared in one pass (200 rows x 32 cells: Jinja filters and
    # escaping per cell would cost more than every query of the grid together).
    shown_qty: list[str] = field(default_factory=list)
    shown_price: list[str] = field(default_factory=list)
    placeholders: list[str] = field(default_factory=list)
    refs: list[str] = field(default_factory=list)
    baseline_cells: str = ""  # the baseline row's <td>s, one per bucket
    code: str = ""

    def prepare_display(self) -> None:
        self.code = Markup.escape(self.item_code)
        self.shown_qty = [_number_text(show(v)) for v in self.qty]
        self.shown_price = [_number_text(show(v)) for v in self.price]
        self.placeholders = [_number_text(f"{p:,.2f}") for p in self.effective] or [""] * len(
            self.qty)
        self.refs = [_number_text(f"{short(a)} · {short(b)}")
                     for a, b in zip(self.last_year, self.last_cycle, strict=False)]
        if self.baseline is not None:
            qty = self.baseline.qty
            self.baseline_cells = _number_text("".join(
                f'<td class="num">{short(qty[i] if i < len(qty) else None)}</td>'
                for i in range(len(self.qty))))

    @property
    def departure_text(self) -> str:
        if self.departure is None:
            return ""
        if self.departure == float("inf"):
            return "planned where the baseline is 0"
        return f"{self.departure * 100:+.0f} % vs baseline"

    @property
    def average(self) -> float | None:
        known = [a for a in self.actuals if a is not None]
        return sum(known) / len(self.actuals) if known else None

    @property
    def key(self) -> str:
        return str(self.product_id)


def _number_text(text: str) -> Markup:
    """Text formatted here from numbers only (digits, separators, dashes; and the fixed tags
    around them): nothing to escape, so the template does not escape it again in each of
    thousands of cells."""
    return Markup(text)  # noqa: S704 - built from floats, never from user text


@dataclass
class Totals:
    """The customer's totals per bucket and over the mandatory months / the horizon."""

    horizon: int
    mandatory: int
    cases: list[float] = field(default_factory=list)
    dollars: list[float] = field(default_factory=list)
    rows: dict[ObjectId, tuple[float, float]] = field(default_factory=dict)  # product → row
    effective: dict[ObjectId, list[float]] = field(default_factory=dict)  # product → prices
    empty: set[ObjectId] = field(default_factory=set)  # products whose line holds no number
    versions: dict[ObjectId, int] = field(default_factory=dict)  # product → line version
    # The sum of the lines' versions when they were read: grows with every save, so the page
    # can tell the totals of a late answer from fresher ones already shown.
    stamp: int = 0

    @property
    def cases_mandatory(self) -> float:
        return total(self.cases, self.mandatory)

    @property
    def dollars_mandatory(self) -> float:
        return total(self.dollars, self.mandatory)

    @property
    def cases_all(self) -> float:
        return total(self.cases)

    @property
    def dollars_all(self) -> float:
        return total(self.dollars)


@dataclass
class Grid:
    cycle: Cycle
    rep: User
    customer: Customer
    editable: bool
    status: str
    months: list[date]
    rows: list[GridRow]
    totals: Totals
    actual_months: list[date]
    budget_cases: list[float | None]
    budget_dollars: list[float | None]
    last_cycle: Cycle | None
    last_cycle_cases: list[float | None]
    last_year_cases: list[float | None]
    baseline_cases: list[float | None] = field(default_factory=list)  # over rows with one
    far_percent: int = 50

    @property
    def mandatory(self) -> int:
        return self.cycle.mandatory_months

    @property
    def without_baseline(self) -> int:
        return sum(1 for row in self.rows if row.baseline is None)

    @property
    def far_rows(self) -> int:
        return sum(1 for row in self.rows if row.far)


def customer_totals(cycle: Cycle, rep: User | ObjectId, customer: Customer | ObjectId,
                    lines: Iterable[Mapping[str, Any]] | None = None) -> Totals:
    """Cases and $ at effective price per bucket over the rep's lines of the customer."""
    horizon, mandatory = cycle.horizon_months, cycle.mandatory_months
    if lines is None:  # whole documents: a projection costs the embedded server more
        # scoped by caller: the route loads `rep` and `customer` through sop.security
        lines = list(raw_collection(ForecastLine).find(
            {"cycle": cycle.pk, "rep": _pk(rep), "customer": _pk(customer)}))
    book = customer_price_book(_pk(customer), {line["product"] for line in lines})
    totals = Totals(horizon, mandatory, [0.0] * horizon, [0.0] * horizon,
                    stamp=sum(line.get("version", 1) for line in lines))
    for valued in value_lines(lines, book=book):
        qty = (list(valued.qty) + [None] * horizon)[:horizon]
        for i in range(horizon):
            totals.cases[i] += qty[i] or 0.0
            totals.dollars[i] += valued.revenue[i] if i < len(valued.revenue) else 0.0
        totals.rows[valued.raw["product"]] = (total(qty, mandatory),
                                              total(valued.revenue, mandatory))
        totals.effective[valued.raw["product"]] = valued.prices
        totals.versions[valued.raw["product"]] = valued.raw.get("version", 1)
        if is_empty(valued.raw):
            totals.empty.add(valued.raw["product"])
    return totals


def _base_rows(cycle: Cycle, rep: User, customer: Customer, only: ObjectId | None = None
               ) -> tuple[list[GridRow], Totals]:
    """The rows (active matrix items plus lines, or just item `only`) with their lines valued
    at effective prices, and the customer's totals: three queries."""
    horizon, mandatory = cycle.horizon_months, cycle.mandatory_months
    narrow = {"product": only} if only is not None else {}
    # scoped by caller: the route loads `rep` and `customer` through sop.security
    lines = list(raw_collection(ForecastLine).find(
        {"cycle": cycle.pk, "rep": rep.pk, "customer": customer.pk, **narrow},
        LINE_PROJECTION))
    entries = customer_matrix(customer.pk)
    matrix = {pid: entry for (_, pid), entry in entries.items()
              if only is None or pid == only}
    product_ids = {pid for pid, entry in matrix.items() if entry.active}
    product_ids |= {line["product"] for line in lines}
    products = cached_catalog(product_ids)
    book = PriceBook(entries, products, [customer.pk])
    valued = {v.raw["product"]: v for v in value_lines(lines, book=book)}
    by_product = {line["product"]: line for line in lines}
    rows = []
    totals = Totals(horizon, mandatory, [0.0] * horizon, [0.0] * horizon)
    for pid in product_ids:
        product = products.get(pid)
        if product is None:
            continue
        line = by_product.get(pid)
        entry = matrix.get(pid)
        row = GridRow(pid, product.get("item_code", ""), product.get("description", ""),
                      in_matrix=bool(entry and entry.active))
        if line is not None:
            row.line_id = line["_id"]
            row.version = line.get("version", 1)
            row.probability = line.get("probability")
            row.new_item = bool(line.get("new_item"))
            row.qty = pad(line.get("qty"), horizon)
            row.price = pad(line.get("price"), horizon)
            row.empty = is_empty(line)
            value = valued[pid]
            row.effective = pad(value.prices, horizon)
            row.cases = total(row.qty, mandatory)
            row.dollars = total(value.revenue, mandatory)
            for i in range(horizon):
                totals.cases[i] += row.qty[i] or 0.0
                totals.dollars[i] += value.revenue[i] if i < len(value.revenue) else 0.0
        else:
            row.qty = [None] * horizon
            row.price = [None] * horizon
            row.effective = effective_prices(row.price, book.fallback((customer.pk, pid)), None)
        row.missing = [i for i in range(mandatory) if row.qty[i] is None]
        rows.append(row)
    rows.sort(key=lambda r: r.item_code)
    totals.stamp = sum(line.get("version", 1) for line in lines)
    return rows, totals


def load_grid(cycle: Cycle, rep: User, customer: Customer, viewer: User) -> Grid:
    """Everything the grid of one customer shows, in a fixed handful of bulk queries."""
    horizon = cycle.horizon_months
    months = cycle.bucket_months
    rows, totals = _base_rows(cycle, rep, customer)
    product_ids = {row.product_id for row in rows}
    actual_months = [add_months(cycle.planning_start, -ACTUAL_MONTHS + i)
                     for i in range(ACTUAL_MONTHS)]
    history = _sales_by_month(customer.pk, product_ids)
    same = previous_over_same_months(cycle)
    last_cycle = same.previous if same is not None else None
    previous = {} if same is None else _last_cycle_quantities(same, customer.pk, product_ids)
    far_percent = int(get_setting("baseline_far_percent"))
    _attach_baselines(cycle, customer, rows, far_percent / 100.0)
    for row in rows:
        sales = history.get(row.product_id, {})
        row.actuals = [sales.get(_ym(m)) for m in actual_months]
        row.last_year = [sales.get(_ym(add_months(m, -12))) for m in months]
        row.last_cycle = previous.get(row.product_id) or [None] * horizon
        row.prepare_display()
    budget_cases, budget_dollars = _budget(customer.pk, months)
    return Grid(
        cycle=cycle, rep=rep, customer=customer,
        editable=viewer.pk == rep.pk and plan_is_editable(cycle, rep),
        status=_status(cycle, rep), months=months, rows=rows, totals=totals,
        actual_months=actual_months, budget_cases=budget_cases,
        budget_dollars=budget_dollars, last_cycle=last_cycle,
        last_cycle_cases=_column_sums((r.last_cycle for r in rows), horizon),
        last_year_cases=_column_sums((r.last_year for r in rows), horizon),
        baseline_cases=_column_sums((list(r.baseline.qty) for r in rows if r.baseline),
                                    horizon),
        far_percent=far_percent,
    )


def _attach_baselines(cycle: Cycle, customer: Customer, rows: list[GridRow],
                      far_share: float) -> None:
    """Each row's baseline (one query for the grid) and whether its plan is far from it."""
    baselines = baseline_for(cycle, [(customer.pk, row.product_id) for row in rows])
    mandatory = cycle.mandatory_months
    for row in rows:
        row.baseline = baselines.get((customer.pk, row.product_id))
        if row.baseline is None:
            continue
        row.baseline_cases = sum(row.baseline.qty[:mandatory])
        row.departure = departure(row.qty, row.baseline.qty)
        row.far = row.departure is not None and abs(row.departure) > far_share


def load_price_rows(cycle: Cycle, rep: User, customer: Customer, viewer: User,
                    only: ObjectId | None = None) -> tuple[list[GridRow], bool]:
    """The price rows of the grid (loaded when the user opens them), and whether they may be
    edited."""
    rows, _ = _base_rows(cycle, rep, customer, only)
    for row in rows:
        row.prepare_display()
    return rows, viewer.pk == rep.pk and plan_is_editable(cycle, rep)


def _status(cycle: Cycle, rep: User) -> str:
    submission = Submission.objects(cycle=cycle, rep=rep).only("status").first()
    return submission.status if submission else "draft"


def _pk(value: Any) -> ObjectId:
    return value if isinstance(value, ObjectId) else value.pk


def _ym(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def _column_sums(columns: Iterable[list[float | None]], horizon: int) -> list[float | None]:
    sums: list[float | None] = [None] * horizon
    for values in columns:
        for i, value in enumerate(values[:horizon]):
            if value is not None:
                sums[i] = (sums[i] or 0.0) + value
    return sums


def _sales_by_month(customer_id: ObjectId, product_ids: set[ObjectId]
                    ) -> dict[ObjectId, dict[str, float]]:
    """{product: {"YYYY-MM": cases}} of the customer's history, one query. Reads each
    bucket's packed fingerprint (kept in step with its months by every writer): half the cost
    of projecting the embedded months on the embedded server."""
    result: dict[ObjectId, dict[str, float]] = {}
    unpacked: list[ObjectId] = []
    # scoped by caller: the grid's customer, loaded through sop.security
    for doc in raw_collection(SalesHistory).find({"customer": customer_id},
                                                   {"product": 1, "fingerprint": 1}):
        if doc["product"] not in product_ids:
            continue
        if not doc.get("fingerprint"):
            unpacked.append(doc["_id"])
            continue
        result[doc["product"]] = {month: unpack_figures(figures)[0] or 0.0 for month, figures
                                  in read_fingerprint(bytes(doc["fingerprint"])).items()}
    if unpacked:  # written before fingerprints existed
        for doc in raw_collection(SalesHistory).find(
                {"_id": {"$in": unpacked}}, {"product": 1, "months.month": 1,
                                             "months.quantity": 1}):
            result[doc["product"]] = {m["month"]: m.get("quantity") or 0.0
                                      for m in doc.get("months") or []}
    return result


def _last_cycle_quantities(same: SameMonths, customer_id: ObjectId,
                           product_ids: set[ObjectId]) -> dict[ObjectId, list[float | None]]:
    """Last cycle's cases per product of the customer (any rep's line: the first one read),
    on this cycle's calendar months."""
    result: dict[ObjectId, list[float | None]] = {}
    for doc in same.documents({"customer": customer_id}, {"product": 1, "qty": 1}):
        if doc["product"] in product_ids and doc["product"] not in result:
            result[doc["product"]] = same.moved(doc.get("qty") or [])
    return result


def _budget(customer_id: ObjectId, months: list[date]
            ) -> tuple[list[float | None], list[float | None]]:
    wanted = {(m.year, m.month): i for i, m in enumerate(months)}
    cases: list[float | None] = [None] * len(months)
    dollars: list[float | None] = [None] * len(months)
    # scoped by caller: the grid's customer, loaded through sop.security
    for row in raw_collection(BudgetEntry).find(
            {"customer": customer_id, "year": {"$in": sorted({m.year for m in months})}},
            {"year": 1, "month": 1, "cases": 1, "sales": 1}):
        i = wanted.get((row["year"], row["month"]))
        if i is not None:
            cases[i] = (cases[i] or 0.0) + (row.get("cases") or 0.0)
            dollars[i] = (dollars[i] or 0.0) + (row.get("sales") or 0.0)
    return cases, dollars


# --- customers of a rep --------------------------------------------------------------------

def rep_customers(rep: User, text: str = "", limit: int | None = None) -> list[Customer]:
    """The rep's active customers by S&OP name, optionally filtered by a typed prefix."""
    customers = prefix_match(Customer.objects(sales_rep=rep, active=True), text,
                             ("sop_name_key", "code_lower", "name_lower"))
    customers = customers.only("code", "name", "sop_name").order_by("sop_name_key", "code")
    return list(customers.limit(limit) if limit else customers)


def sales_reps() -> list[User]:
    return list(User.objects(role="sales_rep").only("full_name", "email", "active")
                .order_by("full_name_lower"))


def customers_missing_months(cycle: Cycle, rep: User) -> set[ObjectId]:
    """Customers of the rep with a line whose mandatory month is blank: what submitting
    refuses (sop.submissions.services.missing_report). Matrix items without a line are not
    planned, not missing."""
    mandatory = cycle.mandatory_months
    missing: set[ObjectId] = set()
    # scoped by caller: the plan's rep, loaded by the route through sop.security
    for line in raw_collection(ForecastLine).find(
            {"cycle": cycle.pk, "rep": rep.pk}, {"customer": 1, "qty": 1}):
        if line["customer"] not in missing and missing_months(line.get("qty") or [],
                                                              mandatory):
            missing.add(line["customer"])
    return missing


def next_customer_missing(cycle: Cycle, rep: User, after: ObjectId | None
                          ) -> Customer | None:
    """The next customer (by S&OP name, wrapping around) with missing months."""
    missing = customers_missing_months(cycle, rep)
    ordered = [c for c in rep_customers(rep) if c.pk in missing]
    if not ordered:
        return None
    ids = [c.pk for c in rep_customers(rep)]
    position = ids.index(after) if after in ids else -1
    later = [c for c in ordered if ids.index(c.pk) > position]
    return (later or ordered)[0]



def month_names(cycle: Cycle) -> list[str]:
    return [month_label(m) for m in cycle.bucket_months]
