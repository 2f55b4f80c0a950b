"""The dashboards' figures for one cycle, in the viewer's scope (sop.security): the plan by
month against budget, the previous cycle, actuals, the same month last year and the
statistical baseline; submission progress by rep; the biggest changes against the previous
cycle by customer and by item.

Everything is read in bulk and valued through sop.plans: one pass over the cycle's lines, one
over the previous cycle's, one aggregation each of budget and sales history, one read of the
baseline. Each is kept until its own collections are next written: a dashboard viewed again
costs nothing on the 20,000-line company, and after a cell save only the plan is read again
(not the 480,000 months of sales history, nor a frozen previous cycle)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from bson import ObjectId

from sop.db import raw_collection
from sop.listing import cached_until_written
from sop.models import (
    BaselineLine,
    BudgetEntry,
    Customer,
    Cycle,
    ForecastLine,
    SalesHistory,
    User,
)
from sop.models.sales import fingerprint_months
from sop.months import add_months
from sop.plans import (
    VALUED_LINE_COLLECTIONS,
    PlanTotals,
    cached_catalog,
    missing_months,
    previous_over_same_months,
    raw_lines,
    value_lines,
)
from sop.sales.services import months_between
from sop.security import SEES_ALL_ROLES, scoped_filter, scoped_query

# What each part is read from (a rep's scope hangs off "customers" too).
PLAN_SOURCES = (*VALUED_LINE_COLLECTIONS, "customers")
PREVIOUS_SOURCES = (*VALUED_LINE_COLLECTIONS, "forecast_snapshots", "cycles", "customers")
BUDGET_SOURCES = ("budget_entries",)
SALES_SOURCES = ("sales_history", "customers")
BASELINE_SOURCES = ("baseline_lines", "customers")
TOP_CHANGES = 5


@dataclass(frozen=True)
class Timeline:
    """Per calendar month (`before` months of history, then buckets M1..): figures in cases
    and $ (None where the source has no figure for the month)."""

    months: tuple[date, ...]
    before: int  # months shown before M1
    figures: Mapping[str, tuple[float | None, ...]]  # "plan_cases", "budget_dollars", ...

    def series(self, *names: tuple[str, str]) -> list[dict[str, Any]]:
        """line_chart series: (label, figure name) pairs."""
        return [{"name": label, "values": list(self.figures[name])} for label, name in names]

    @property
    def labels(self) -> list[str]:
        return [m.strftime("%b %y") for m in self.months]


@dataclass(frozen=True)
class Change:
    """A customer's or item's plan $ over the compared months against the previous cycle."""

    name: str
    code: str
    plan: float
    last: float | None

    @property
    def delta(self) -> float | None:
        return None if self.last is None else self.plan - self.last

    @property
    def percent(self) -> float | None:
        return None if not self.last else (self.plan - self.last) / abs(self.last) * 100.0


@dataclass(frozen=True)
class RepProgress:
    rep_id: ObjectId
    lines: int
    complete: int  # lines with every mandatory month filled

    @property
    def percent(self) -> float | None:
        return self.complete / self.lines * 100.0 if self.lines else None


@dataclass(frozen=True)
class CycleFigures:
    timeline: Timeline
    progress: Mapping[ObjectId, RepProgress] = field(default_factory=dict)
    customers: tuple[Change, ...] = ()
    items: tuple[Change, ...] = ()
    planned_customers: frozenset[ObjectId] = frozenset()


def cycle_figures(cycle: Cycle, viewer: User, buckets: int, before: int = 0,
                  rep_view: bool = False) -> CycleFigures:
    """The figures of `cycle`'s first `buckets` months that `viewer` may see. Actuals are read
    when `before` months of history are shown; the same months last year and the baseline
    for the rep's view (`rep_view`)."""
    scope = "all" if viewer.role in SEES_ALL_ROLES else str(viewer.pk)
    buckets = min(buckets, cycle.horizon_months)
    months = tuple(add_months(cycle.planning_start, i - before) for i in range(before + buckets))
    empty: tuple[None, ...] = (None,) * before

    def kept(part: str, sources: tuple[str, ...], compute: Any, *key: Any) -> Any:
        return cached_until_written(("dashboard", part, cycle.pk, scope, buckets, *key),
                                    sources, compute)

    plan, by_customer, by_item, progress = kept(
        "plan", PLAN_SOURCES, lambda: _plan_pass(cycle, viewer, buckets))
    last, last_by_customer, last_by_item = kept(
        "previous", PREVIOUS_SOURCES,
        lambda: _previous_pass(cycle, scoped_filter(ForecastLine, viewer), buckets))
    budget = kept("budget", BUDGET_SOURCES, lambda: _budget(viewer, months), before)
    figures = {
        "plan_cases": empty + tuple(plan.cases), "plan_dollars": empty + tuple(plan.dollars),
        "last_cycle_cases": empty + tuple(c for c, _ in last),
        "last_cycle_dollars": empty + tuple(d for _, d in last),
        "budget_cases": tuple(budget.get(m, (None, None))[0] for m in months),
        "budget_dollars": tuple(budget.get(m, (None, None))[1] for m in months),
    }
    if before:
        actual = kept("actuals", SALES_SOURCES,
                      lambda: _actuals(viewer, months[0], months[-1]), before)
        figures["actual_cases"] = tuple(a[0] for a in actual)
        figures["actual_dollars"] = tuple(a[1] for a in actual)
    if rep_view:
        year_ago = kept("last year", SALES_SOURCES, lambda: _actuals(
            viewer, add_months(months[0], -12), add_months(months[-1], -12)), before)
        figures["last_year_cases"] = tuple(a[0] for a in year_ago)
        figures["last_year_dollars"] = tuple(a[1] for a in year_ago)
        figures["baseline_cases"] = empty + tuple(kept(
            "baseline", BASELINE_SOURCES, lambda: _baseline(cycle, viewer, buckets)))
    customer_ids = frozenset(by_customer) | frozenset(last_by_customer or ())
    item_ids = frozenset(by_item) | frozenset(last_by_item or ())
    customers, items = _names(customer_ids, item_ids)
    return CycleFigures(
        Timeline(months, before, figures), progress,
        _biggest(by_customer, last_by_customer, customers),
        _biggest(by_item, last_by_item, items), frozenset(by_customer))


def _plan_pass(cycle: Cycle, viewer: User, buckets: int
               ) -> tuple[PlanTotals, dict[Any, float], dict[Any, float],
                          dict[ObjectId, RepProgress]]:
    """One pass over the cycle's visible lines at effective prices: totals per month, $ per
    customer and per item over the months, lines and complete lines per rep."""
    query = scoped_query(ForecastLine, viewer, {"cycle": cycle.pk})
    total = PlanTotals(buckets)
    by_customer: dict[Any, float] = {}
    by_item: dict[Any, float] = {}
    counts: dict[ObjectId, list[int]] = {}
    mandatory = cycle.mandatory_months
    for line in value_lines(raw_lines(query, ("rep", "customer", "product", "qty", "price"))):
        total.add(line)
        dollars = sum(line.revenue[:buckets])
        by_customer[line.raw["customer"]] = by_customer.get(line.raw["customer"], 0.0) + dollars
        by_item[line.raw["product"]] = by_item.get(line.raw["product"], 0.0) + dollars
        count = counts.setdefault(line.raw["rep"], [0, 0])
        count[0] += 1
        count[1] += not missing_months(line.qty, mandatory)
    return total, by_customer, by_item, {rep: RepProgress(rep, n, done)
                                         for rep, (n, done) in counts.items()}


def _previous_pass(cycle: Cycle, lines_scope: dict[str, Any], buckets: int
                   ) -> tuple[list[tuple[float | None, float | None]], dict[Any, float] | None,
                              dict[Any, float] | None]:
    """The previous cycle over the same calendar months (None where it planned no such
    month): cases and $ per month, $ per customer and per item (None: no previous cycle)."""
    same = previous_over_same_months(cycle, buckets)
    if same is None:
        return [(None, None)] * buckets, None, None
    cases, dollars = [0.0] * buckets, [0.0] * buckets
    by_customer: dict[Any, float] = {}
    by_item: dict[Any, float] = {}
    for line in same.lines(lines_scope, ("customer", "product")):
        for i in range(buckets):
            cases[i] += line.cases[i]
            dollars[i] += line.dollars[i]
        total = sum(line.dollars)
        by_customer[line.raw["customer"]] = by_customer.get(line.raw["customer"], 0.0) + total
        by_item[line.raw["product"]] = by_item.get(line.raw["product"], 0.0) + total
    months = [(cases[i], dollars[i]) if same.covers(i) else (None, None)
              for i in range(buckets)]
    return months, by_customer, by_item


def _budget(viewer: User, months: tuple[date, ...]) -> dict[date, tuple[float, float]]:
    """Budget cases and $ per calendar month, over the viewer's budget."""
    wanted = [{"year": m.year, "month": m.month} for m in months]
    match = scoped_query(BudgetEntry, viewer, {"$or": wanted})
    pipeline = [{"$match": match},
                {"$group": {"_id": {"year": "$year", "month": "$month"},
                            "cases": {"$sum": "$cases"}, "sales": {"$sum": "$sales"}}}]
    return {date(row["_id"]["year"], row["_id"]["month"], 1): (row["cases"] or 0.0,
                                                                row["sales"] or 0.0)
            for row in raw_collection(BudgetEntry).aggregate(pipeline)}


def _actuals(viewer: User, first: date, last: date) -> list[tuple[float | None, float | None]]:
    """Cases and $ sold per month from `first` to `last` in the viewer's history, read from
    each bucket's packed fingerprint (sop.models.sales: an aggregation unwinding 480,000
    embedded months takes the embedded server far longer); None after the last month with
    any sale (a month not invoiced yet is not a month of zero sales)."""
    months = months_between(first.strftime("%Y-%m"), last.strftime("%Y-%m"))
    wanted = {month.encode(): month for month in months}
    sums = {month: [0.0, 0.0] for month in months}
    collection = raw_collection(SalesHistory)
    unpacked: list[ObjectId] = []
    for doc in collection.find(scoped_query(SalesHistory, viewer, {}), {"fingerprint": 1}):
        if not doc.get("fingerprint"):
            unpacked.append(doc["_id"])
            continue
        for month, figures in fingerprint_months(doc["fingerprint"], wanted):
            sums[month][0] += figures[0] or 0.0
            sums[month][1] += figures[2] or 0.0
    if unpacked:  # written before fingerprints existed
        # scoped by caller: ids of the scoped read above
        for doc in collection.find({"_id": {"$in": unpacked}}, {"months": 1}):
            for month in doc.get("months") or []:
                if month["month"] in sums:
                    sums[month["month"]][0] += month.get("quantity") or 0.0
                    sums[month["month"]][1] += month.get("sales") or 0.0
    sold = [i for i, month in enumerate(months) if any(sums[month])]
    end = sold[-1] if sold else -1
    return [(sums[m][0], sums[m][1]) if i <= end else (None, None) for i, m in enumerate(months)]


def _baseline(cycle: Cycle, viewer: User, buckets: int) -> list[float | None]:
    """The statistical baseline in cases per month over the viewer's customers (None when no
    pair has one)."""
    sums: list[float | None] = [None] * buckets
    for doc in raw_collection(BaselineLine).find(
            scoped_query(BaselineLine, viewer, {"cycle": cycle.pk}), {"qty": 1, "_id": 0}):
        for i, value in enumerate((doc.get("qty") or [])[:buckets]):
            sums[i] = (sums[i] or 0.0) + value
    return sums


def _names(customer_ids: frozenset[Any], product_ids: frozenset[Any]
           ) -> tuple[dict[Any, tuple[str, str]], dict[Any, tuple[str, str]]]:
    # scoped by caller: ids of lines read in the viewer's scope
    customers = {row["_id"]: (row.get("sop_name") or "(unknown customer)", row.get("code", ""))
                 for row in raw_collection(Customer).find(
                     {"_id": {"$in": list(customer_ids)}}, {"sop_name": 1, "code": 1})}
    items = {pid: (row.get("description") or "", row.get("item_code") or "")
             for pid, row in cached_catalog(product_ids).items()}
    return customers, items


def _biggest(plan: Mapping[Any, float], last: Mapping[Any, float] | None,
             names: Mapping[Any, tuple[str, str]]) -> tuple[Change, ...]:
    """The TOP_CHANGES largest $ changes against the previous cycle, either way (without a
    previous cycle: the largest plans)."""
    changes = [Change(*names.get(key, ("(unknown)", "")), plan.get(key, 0.0),
                      None if last is None else last.get(key, 0.0))
               for key in set(plan) | set(last or ())]
    changes.sort(key=lambda c: (-abs(c.delta if c.delta is not None else c.plan), c.name))
    return tuple(changes[:TOP_CHANGES])
