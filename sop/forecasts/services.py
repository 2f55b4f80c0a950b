"""The forecast grid: a rep plans one customer at a time (DOMAIN.md §3-4).

Reads are bulk: one grid of 200 items is a handful of queries (lines, matrix, items, sales
history, budget, last cycle), never one per row. Every write is a compare-and-set: a cell
save carries the value the client loaded and only lands if the cell still holds it, so two
people never silently overwrite each other; different cells of one line both land."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from bson import ObjectId
from markupsafe import Markup
from pymongo import InsertOne, UpdateOne
from pymongo.errors import BulkWriteError, DuplicateKeyError

from sop.audit import record_audit, record_audits
from sop.clock import now
from sop.db import retry_write_conflicts
from sop.listing import prefix_match
from sop.models import (
    PROBABILITIES,
    AuditEntry,
    BudgetEntry,
    Customer,
    Cycle,
    ForecastLine,
    PriceEntry,
    Product,
    SalesHistory,
    Submission,
    User,
)
from sop.models.sales import read_fingerprint, unpack_figures
from sop.months import add_months, month_label
from sop.plans import (
    PriceBook,
    SameMonths,
    cached_catalog,
    customer_matrix,
    customer_price_book,
    effective_prices,
    is_empty,
    matrix,
    missing_months,
    pad,
    previous_over_same_months,
    rolled_forward,
    total,
    value_lines,
)
from sop.submissions.services import plan_is_editable
from sop.user_input import NumberRefused, parse_number

FIELDS = {"qty": "qty", "price": "price"}
FIELD_LABELS = {"qty": "qty", "price": "price"}
LINE_PROJECTION = {"product": 1, "customer": 1, "qty": 1, "price": 1, "probability": 1,
                   "new_item": 1, "version": 1, "updated_by": 1, "updated_at": 1}
ACTUAL_MONTHS = 3


class GridError(ValueError):
    """A refused edit the user can fix (bad number, unknown item...): HTTP 422."""


class PlanLocked(Exception):
    """The plan may not change (cycle not open, plan submitted or approved, not the rep's)."""


@dataclass
class Conflict(Exception):
    """The cell changed since the client loaded it: the value it holds now, and who set it."""

    value: Any
    by: str | None
    at: datetime | None


# --- values -------------------------------------------------------------------------------

def parse_value(raw: str | None, what: str = "qty") -> float | None:
    """A cell as typed: blank → not entered; else a number ≥ 0 (fractions allowed), finite
    and at most sop.user_input.MAX_AMOUNT."""
    try:
        return parse_number(raw, "Cases" if what == "qty" else "A price",
                            "12 or 12.5" if what == "qty" else "42.50")
    except NumberRefused as exc:
        raise GridError(str(exc)) from None


def show(value: float | None) -> str:
    """A stored value as the input shows it; parse_value(show(v)) == v exactly."""
    if value is None:
        return ""
    return str(int(value)) if float(value).is_integer() and abs(value) < 1e15 else repr(value)


def short(value: float | None) -> str:
    """A figure shown, not edited: thousands separated, one decimal when not whole."""
    if value is None:
        return "\u2013"
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


def bucket_label(bucket: int, what: str) -> str:
    return f"M{bucket + 1} {FIELD_LABELS[what]}"


# --- reading the grid ----------------------------------------------------------------------

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
    # What the template prints, prepared in one pass (200 rows x 32 cells: Jinja filters and
    # escaping per cell would cost more than every query of the grid together).
    shown_qty: list[str] = field(default_factory=list)
    shown_price: list[str] = field(default_factory=list)
    placeholders: list[str] = field(default_factory=list)
    refs: list[str] = field(default_factory=list)
    code: str = ""

    def prepare_display(self) -> None:
        self.code = Markup.escape(self.item_code)
        self.shown_qty = [_number_text(show(v)) for v in self.qty]
        self.shown_price = [_number_text(show(v)) for v in self.price]
        self.placeholders = [_number_text(f"{p:,.2f}") for p in self.effective] or [""] * len(
            self.qty)
        self.refs = [_number_text(f"{short(a)} · {short(b)}")
                     for a, b in zip(self.last_year, self.last_cycle, strict=False)]

    @property
    def average(self) -> float | None:
        known = [a for a in self.actuals if a is not None]
        return sum(known) / len(self.actuals) if known else None

    @property
    def key(self) -> str:
        return str(self.product_id)


def _number_text(text: str) -> Markup:
    """Text formatted here from numbers only (digits, separators, dashes): nothing to escape,
    so the template does not escape it again in each of thousands of cells."""
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

    @property
    def mandatory(self) -> int:
        return self.cycle.mandatory_months


def customer_totals(cycle: Cycle, rep: User | ObjectId, customer: Customer | ObjectId,
                    lines: Iterable[Mapping[str, Any]] | None = None) -> Totals:
    """Cases and $ at effective price per bucket over the rep's lines of the customer."""
    horizon, mandatory = cycle.horizon_months, cycle.mandatory_months
    if lines is None:  # whole documents: a projection costs the embedded server more
        # scoped by caller: the route loads `rep` and `customer` through sop.security
        lines = list(ForecastLine._get_collection().find(
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
    lines = list(ForecastLine._get_collection().find(
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
    )


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
    for doc in SalesHistory._get_collection().find({"customer": customer_id},
                                                   {"product": 1, "fingerprint": 1}):
        if doc["product"] not in product_ids:
            continue
        if not doc.get("fingerprint"):
            unpacked.append(doc["_id"])
            continue
        result[doc["product"]] = {month: unpack_figures(figures)[0] or 0.0 for month, figures
                                  in read_fingerprint(bytes(doc["fingerprint"])).items()}
    if unpacked:  # written before fingerprints existed
        for doc in SalesHistory._get_collection().find(
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
    for row in BudgetEntry._get_collection().find(
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
    for line in ForecastLine._get_collection().find(
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


# --- saving one cell -----------------------------------------------------------------------

@dataclass
class CellSaved:
    line: dict[str, Any]
    what: str
    bucket: int
    value: Any
    totals: Totals


def _require_editable(cycle: Cycle, actor: User, fresh: bool = True) -> None:
    """`fresh=False` for a write followed by `_take_back_if_locked_meanwhile`."""
    if actor.role != "sales_rep" or not plan_is_editable(cycle, actor, fresh=fresh):
        raise PlanLocked("This plan cannot be changed now (cycle not open, or plan "
                         "submitted or approved).")


def _who(line: Mapping[str, Any]) -> str | None:
    user_id = line.get("updated_by")
    if user_id is None:
        return None
    user = User.objects(id=user_id).only("full_name").first()
    return user.full_name if user else None


def _new_line(cycle: Cycle, actor: User, customer: Customer, product: Product,
              stamp: datetime, source: str = "portal") -> dict[str, Any]:
    in_matrix = PriceEntry.objects(customer=customer, product=product,
                                   active=True).only("id").first() is not None
    horizon = cycle.horizon_months
    return {"_id": ObjectId(), "cycle": cycle.pk, "rep": actor.pk, "customer": customer.pk,
            "product": product.pk, "probability": None, "new_item": not in_matrix,
            "qty": [None] * horizon, "price": [None] * horizon, "source": source,
            "version": 1, "updated_by": actor.pk, "updated_at": stamp, "created_at": stamp}


def _compare_and_set(actor: User, cycle: Cycle, customer: Customer, product: Product,
                     path: str, value: Any, loaded: Any,
                     line_id: ObjectId | None = None) -> dict[str, Any]:
    """Set `path` of the rep's line to `value` only if it still holds `loaded`: one atomic
    update_one with the old value in its filter (and $inc version), so of two saves of the
    same cell the second finds another value and gets a Conflict, while saves of different
    cells of one line both land. The line is created when it does not exist yet; a
    duplicate-key race compares again with the line the other save created.
    `line_id`, when the page knows it, saves the read before the write: the filter still
    names the rep, customer and item, so another rep's line id matches nothing.
    Returns the line's id and version after the change."""
    # scoped by caller: the acting rep's own line of a customer the route loaded scoped
    collection = ForecastLine._get_collection()
    key = {"cycle": cycle.pk, "rep": actor.pk, "customer": customer.pk, "product": product.pk}
    stamp = now()
    update = {"$set": {path: value, "updated_by": actor.pk, "updated_at": stamp,
                       "source": "portal"}, "$inc": {"version": 1}}
    if line_id is not None and retry_write_conflicts(lambda: collection.update_one(
            {"_id": line_id, **key, path: loaded}, update)).matched_count:
        return {"_id": line_id}
    for _attempt in range(3):
        current = collection.find_one(key, {"_id": 1, "version": 1, "updated_by": 1,
                                            "updated_at": 1, path.partition(".")[0]: 1})
        if current is None:
            if loaded is not None:  # the line was removed meanwhile
                raise Conflict(None, None, None)
            doc = _new_line(cycle, actor, customer, product, stamp)
            field_name, _, index = path.partition(".")
            if index:
                doc[field_name][int(index)] = value
            else:
                doc[field_name] = value
            try:
                collection.insert_one(doc)
            except DuplicateKeyError:
                continue  # created by another save a moment ago: compare with it
            return {"_id": doc["_id"], "version": 1}
        found = _read_path(current, path)
        if found != loaded:
            raise Conflict(found, _who(current), current.get("updated_at"))
        # The filter by _id (not by the unique key) keeps the embedded server on an index.
        if retry_write_conflicts(lambda current=current: collection.update_one(
                {"_id": current["_id"], path: loaded}, update)).matched_count:
            return {"_id": current["_id"], "version": current.get("version", 1) + 1}
    raise Conflict(None, None, None)


def _take_back_if_locked_meanwhile(actor: User, cycle: Cycle, line_id: ObjectId, path: str,
                                   value: Any, loaded: Any) -> None:
    """A submit that landed between the editable check and the write has locked the plan: the
    write is taken back, compare-and-set to what the cell held, and refused, so a submitted
    plan never changes under its frozen totals."""
    if plan_is_editable(cycle, actor):
        return
    ForecastLine._get_collection().update_one(
        {"_id": line_id, path: value}, {"$set": {path: loaded}, "$inc": {"version": 1}})
    raise PlanLocked("The plan was submitted while this was being saved: the change was "
                     "not kept.")


def _read_path(line: Mapping[str, Any], path: str) -> Any:
    field_name, _, index = path.partition(".")
    if not index:
        return line.get(field_name)
    values = line.get(field_name) or []
    return values[int(index)] if int(index) < len(values) else None


def save_cell(actor: User, cycle: Cycle, customer: Customer, product: Product, what: str,
              bucket: int, raw_value: str | None, raw_loaded: str | None,
              line_id: str | None = None) -> CellSaved:
    """One quantity or price typed in the grid, saved if the cell still holds what the
    client loaded (else Conflict), audited, with the customer's fresh totals."""
    if what not in FIELDS or not 0 <= bucket < cycle.horizon_months:
        raise GridError("Unknown cell.")
    _require_editable(cycle, actor, fresh=False)
    value = parse_value(raw_value, what)
    try:
        loaded = parse_value(raw_loaded, what)
    except GridError:
        raise GridError("The page is out of date: reload it.") from None
    path = f"{FIELDS[what]}.{bucket}"
    if value == loaded:
        # scoped by caller: the acting rep's own line of a customer the route loaded scoped
        line = ForecastLine._get_collection().find_one(
            {"cycle": cycle.pk, "rep": actor.pk, "customer": customer.pk,
             "product": product.pk}, LINE_PROJECTION)
        current = _read_path(line, path) if line else None
        if current != loaded:
            raise Conflict(current, _who(line) if line else None,
                           line.get("updated_at") if line else None)
    else:
        known = ObjectId(line_id) if line_id and ObjectId.is_valid(line_id) else None
        line = _compare_and_set(actor, cycle, customer, product, path, value, loaded, known)
        _take_back_if_locked_meanwhile(actor, cycle, line["_id"], path, value, loaded)
        label = bucket_label(bucket, what)
        _audit_many(actor, [(line["_id"], f"{label} of item {product.item_code} for "
                                         f"{customer.code} changed from {show(loaded) or 'blank'} "
                                         f"to {show(value) or 'blank'}.",
                             {label: {"before": loaded, "after": value}})])
    # Totals read after the write: they include this save and every one before it.
    return CellSaved(line or {}, what, bucket, value,
                     customer_totals(cycle, actor, customer))


def save_probability(actor: User, cycle: Cycle, customer: Customer, product: Product,
                     raw_value: str | None, raw_loaded: str | None) -> int | None:
    """The line's probability category (blank allowed), compare-and-set like a cell; returns
    the value the line now holds."""
    _require_editable(cycle, actor, fresh=False)
    value, loaded = _parse_probability(raw_value), _parse_probability(raw_loaded)
    if value == loaded:
        return value
    line = _compare_and_set(actor, cycle, customer, product, "probability", value, loaded)
    _take_back_if_locked_meanwhile(actor, cycle, line["_id"], "probability", value, loaded)
    _audit_many(actor, [(line["_id"], f"Probability of item {product.item_code} for "
                                     f"{customer.code} set to {PROBABILITIES.get(value, 'blank')}.",
                         {"probability": {"before": loaded, "after": value}})])
    return value


def _parse_probability(raw: str | None) -> int | None:
    text = (raw or "").strip()
    if not text:
        return None
    if text not in {str(code) for code in PROBABILITIES}:
        raise GridError("Choose a probability from the list.")
    return int(text)


# --- row and bulk actions ------------------------------------------------------------------

def catalog_suggestions(cycle: Cycle, rep: User, customer: Customer, text: str,
                        limit: int = 10) -> list[Product]:
    """Active catalog items not yet in the customer's grid, by code or description prefix."""
    if not text.strip():
        return []
    present = set(PriceEntry.objects(customer=customer, active=True)
                  .no_dereference().scalar("product"))
    present |= set(ForecastLine.objects(cycle=cycle, rep=rep, customer=customer)
                   .no_dereference().scalar("product"))
    ids = [getattr(p, "id", p) for p in present]
    matches = prefix_match(Product.objects(active=True, id__nin=ids), text,
                           ("item_code", "description_lower"))
    return list(matches.only("item_code", "description").order_by("item_code").limit(limit))


def add_item(actor: User, cycle: Cycle, customer: Customer, item_code: str) -> dict[str, Any]:
    """A catalog item the customer will buy: an empty line, flagged "new item" when the pair
    is not in the customer's price matrix."""
    _require_editable(cycle, actor)
    code = (item_code or "").strip().split(" ")[0]
    product = Product.objects(item_code=code, active=True).first()
    if product is None:
        raise GridError(f"No active item {code!r} in the catalog.")
    if PriceEntry.objects(customer=customer, product=product, active=True).first():
        raise GridError(f"Item {product.item_code} is already in this customer's grid.")
    doc = _new_line(cycle, actor, customer, product, now())
    try:
        ForecastLine._get_collection().insert_one(doc)
    except DuplicateKeyError:
        raise GridError(f"Item {product.item_code} is already in this customer's grid.") \
            from None
    record_audit("forecast_line_added",
                 f"Item {product.item_code} added to the plan of {customer.code}"
                 f"{' (new item)' if doc['new_item'] else ''}.", actor=actor,
                 entity_type="forecast_line", entity_id=doc["_id"],
                 changes={"item": {"before": None, "after": product.item_code},
                          "new item": {"before": None, "after": doc["new_item"]}})
    return doc


def remove_line(actor: User, cycle: Cycle, customer: Customer, product: Product) -> None:
    """Remove a line without any quantity or price (blank or 0)."""
    _require_editable(cycle, actor)
    # scoped by caller: the acting rep's own line of a customer the route loaded scoped
    collection = ForecastLine._get_collection()
    line = collection.find_one({"cycle": cycle.pk, "rep": actor.pk, "customer": customer.pk,
                                "product": product.pk}, LINE_PROJECTION)
    if line is None:
        raise GridError("That line does not exist (any more).")
    if not is_empty(line):
        raise GridError(f"Item {product.item_code} has quantities or prices: clear them "
                        "first.")
    deleted = collection.delete_one({"_id": line["_id"], "version": line.get("version")})
    if not deleted.deleted_count:
        raise GridError("The line changed meanwhile: reload and try again.")
    record_audit("forecast_line_removed",
                 f"Empty line of item {product.item_code} removed from the plan of "
                 f"{customer.code}.", actor=actor, entity_type="forecast_line",
                 entity_id=line["_id"], changes={"item": {"before": product.item_code,
                                                          "after": None}})


def fill_row(actor: User, cycle: Cycle, customer: Customer, product: Product,
             raw_value: str | None, scope: str) -> int:
    """Every bucket (scope "all") or every mandatory bucket of the row set to one quantity;
    returns how many buckets changed. One audit entry with every changed bucket."""
    _require_editable(cycle, actor)
    value = parse_value(raw_value, "qty")
    if value is None:
        raise GridError("Enter the quantity to fill the row with.")
    # scoped by caller: the acting rep's own line of a customer the route loaded scoped
    collection = ForecastLine._get_collection()
    key = {"cycle": cycle.pk, "rep": actor.pk, "customer": customer.pk, "product": product.pk}
    count = cycle.horizon_months if scope == "all" else cycle.mandatory_months
    line = collection.find_one(key, LINE_PROJECTION)
    before = pad(line.get("qty") if line else None, cycle.horizon_months)
    after = [value if i < count else before[i] for i in range(cycle.horizon_months)]
    changes = {bucket_label(i, "qty"): {"before": before[i], "after": after[i]}
               for i in range(cycle.horizon_months) if before[i] != after[i]}
    if not changes:
        return 0
    stamp = now()
    if line is None:
        doc = _new_line(cycle, actor, customer, product, stamp)
        doc["qty"] = after
        try:
            collection.insert_one(doc)
        except DuplicateKeyError:
            raise GridError("The line changed meanwhile: reload and try again.") from None
        line_id = doc["_id"]
    else:
        result = collection.update_one(
            {"_id": line["_id"], "version": line.get("version")},
            {"$set": {"qty": after, "updated_by": actor.pk, "updated_at": stamp,
                      "source": "portal"}, "$inc": {"version": 1}})
        if not result.modified_count:
            raise GridError("The line changed meanwhile: reload and try again.")
        line_id = line["_id"]
    _audit_many(actor, [(line_id, f"Item {product.item_code} of {customer.code} filled with "
                                  f"{show(value)} cases ({len(changes)} month(s)).", changes)])
    return len(changes)


@dataclass
class CopyResult:
    copied: int = 0
    kept: int = 0  # lines that already held numbers: never overwritten
    last_cycle: Cycle | None = None


def copy_last_cycle(actor: User, cycle: Cycle, customers: list[Customer]) -> CopyResult:
    """Last cycle's numbers of these customers rolled forward onto this cycle's months, in
    bulk. Lines that already hold a quantity or price are left as they are."""
    _require_editable(cycle, actor)
    ids = [c.pk for c in customers]
    rolled = rolled_forward(cycle, actor.pk, ids)
    if rolled is None:
        raise GridError("There is no earlier cycle to copy from.")
    last, offset = rolled.cycle, rolled.last.offset
    result = CopyResult(last_cycle=last)
    horizon = cycle.horizon_months
    codes = {c.pk: c.code for c in customers}
    # scoped by caller: the acting rep's own lines of customers the route loaded scoped
    collection = ForecastLine._get_collection()
    existing = {(d["customer"], d["product"]): d for d in collection.find(
        {"cycle": cycle.pk, "rep": actor.pk, "customer": {"$in": ids}}, LINE_PROJECTION)}
    active = {pair for pair, entry in matrix(ids).items() if entry.active}
    sources = rolled.lines
    item_codes = dict(Product.objects(id__in=list({p for _, p in sources})).scalar(
        "id", "item_code"))
    stamp = now()
    operations, audits = [], []
    for pair, source in sources.items():
        qty, price = pad(source["qty"], horizon), pad(source["price"], horizon)
        target = existing.get(pair)
        if target is not None and not is_empty(target):
            result.kept += 1
            continue
        before_qty = pad(target.get("qty") if target else None, horizon)
        before_price = pad(target.get("price") if target else None, horizon)
        probability = source.get("probability")
        changes = {bucket_label(i, what): {"before": old[i], "after": new[i]}
                   for what, old, new in (("qty", before_qty, qty),
                                          ("price", before_price, price))
                   for i in range(horizon) if old[i] != new[i]}
        fields = {"qty": qty, "price": price, "source": "copy", "updated_by": actor.pk,
                  "updated_at": stamp}
        if target is None or target.get("probability") is None:
            fields["probability"] = probability
            if probability is not None and (target or {}).get("probability") != probability:
                changes["probability"] = {"before": None, "after": probability}
        if target is None:
            line_id = ObjectId()
            operations.append(InsertOne({
                "_id": line_id, "cycle": cycle.pk, "rep": actor.pk, "customer": pair[0],
                "product": pair[1], "new_item": pair not in active, "version": 1,
                "created_at": stamp, **fields}))
        else:
            line_id = target["_id"]
            operations.append(UpdateOne({"_id": line_id, "version": target.get("version")},
                                        {"$set": fields, "$inc": {"version": 1}}))
        audits.append((line_id, f"Item {item_codes.get(pair[1], '?')} of "
                                f"{codes.get(pair[0], '?')} copied from {last.name}, rolled "
                                f"forward {offset} month(s).", changes))
    if operations:
        try:
            collection.bulk_write(operations, ordered=False)
            result.copied = len(operations)
        except BulkWriteError as exc:  # a line created meanwhile by another save: kept
            failed = {e["index"] for e in exc.details.get("writeErrors", [])}
            result.copied = len(operations) - len(failed)
            result.kept += len(failed)
            audits = [a for i, a in enumerate(audits) if i not in failed]
    _audit_many(actor, audits)
    return result


def _audit_many(actor: User, entries: list[tuple[ObjectId, str, dict[str, Any]]]) -> None:
    """One "forecast_line_updated" entry per line, inserted in one bulk write."""
    record_audits("forecast_line_updated", entries, actor=actor, entity_type="forecast_line")


def line_history(cycle: Cycle, rep: User, customer: Customer, product: Product
                 ) -> tuple[dict[str, Any] | None, list[AuditEntry]]:
    """The line (if it exists) and every audited change of it, newest first."""
    # scoped by caller: the route loads rep, customer and item through sop.security
    line = ForecastLine._get_collection().find_one(
        {"cycle": cycle.pk, "rep": rep.pk, "customer": customer.pk, "product": product.pk},
        {"_id": 1, "version": 1})
    if line is None:
        return None, []
    entries = AuditEntry.objects(entity_type="forecast_line", entity_id=str(line["_id"]))
    return line, list(entries.order_by("-at").limit(200))


def month_names(cycle: Cycle) -> list[str]:
    return [month_label(m) for m in cycle.bucket_months]
