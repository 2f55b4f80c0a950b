"""Accuracy and forecast value added of closed cycles (issue 16): the plan frozen at close,
the naive forecast and the statistical baseline, each against the actual sales, per cycle
and per rep, customer, item, product group and territory.

Which cycle forecast which month at which lag, and what the naive forecast is, is said in
sop.accuracy.lags; the measures in sop.accuracy.measures. Rows are labelled as things are
today: a customer's rep and territory are its current ones, an item's group its current one.
A rep sees the cells of own customers, with own plan lines."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sop.accuracy.lags import LagTarget, lag_targets
from sop.accuracy.measures import Tally
from sop.accuracy.reading import Names, Pair, Restriction, actuals, baselines, names, planned
from sop.clock import now
from sop.models import Cycle
from sop.months import first_of_month

SNAPSHOT_STATUSES = ("closed", "archived")
DIMENSIONS = {"rep": "Sales rep", "customer": "Customer", "item": "Item",
              "group": "Product group", "territory": "Territory"}
LABEL_HEADERS = {"rep": ("Sales rep",), "customer": ("Customer code", "Customer S&OP", "Rep",
                                                   "Territory"),
                 "item": ("Item code", "Description", "Group"), "group": ("Product group",),
                 "territory": ("Territory",)}
NO_REP = "(no rep)"
NO_TERRITORY = "(no territory)"
NO_GROUP = "(no group)"
ACCURACY_COLLECTIONS = ("forecast_snapshots", "sales_history", "baseline_lines", "cycles",
                        "customers", "products", "users")


@dataclass(frozen=True)
class CycleAccuracy:
    """One cycle's forecast of its target month; `tally` None while that month's actuals are
    not in (`waiting` says why)."""

    target: LagTarget
    tally: Tally | None
    waiting: str | None = None


@dataclass(frozen=True)
class Row:
    """One rep, customer, item, group or territory over every cycle measured."""

    key: Any
    labels: tuple[str, ...]
    tally: Tally


@dataclass(frozen=True)
class Accuracy:
    """Everything the page and the report show for one lag."""

    lag: int
    cycles: tuple[CycleAccuracy, ...]
    total: Tally
    rows: dict[str, tuple[Row, ...]]  # DIMENSIONS key -> rows, largest plan error first
    latest_sales: str | None  # last month the sales history in view holds

    @property
    def measured(self) -> list[CycleAccuracy]:
        return [cycle for cycle in self.cycles if cycle.tally is not None]


def closed_cycles() -> list[Cycle]:
    """Cycles whose snapshot is frozen, oldest first: the ones accuracy can measure."""
    return list(Cycle.objects(status__in=SNAPSHOT_STATUSES, snapshot_at__ne=None)
                .order_by("year", "month"))


def measure_accuracy(viewer: Any, lag: int, cycles: Iterable[Cycle],
                     restriction: Restriction | None = None) -> Accuracy:
    """Plan, naive and baseline against the actuals for the months `cycles` forecast at
    `lag`, in `viewer`'s scope (and `restriction`'s, for a report's filters)."""
    restriction = restriction or Restriction()
    targets = lag_targets(cycles, lag)
    sales = actuals(viewer, {key for t in targets for key in (t.month_key, t.naive_key)},
                    restriction)
    current_month = first_of_month(now()).strftime("%Y-%m")
    ready = [t for t in targets if t.month_key < current_month
             and sales.latest is not None and t.month_key <= sales.latest]
    plans = planned(viewer, ready, restriction)
    baseline = baselines(viewer, ready, restriction)
    labels = names(viewer, {pair[1] for per_cycle in (*plans.values(), *baseline.values(),
                                                      *sales.by_month.values())
                            for pair in per_cycle})
    by_pair: dict[Pair, Tally] = defaultdict(Tally)
    ready_months = {target.month for target in ready}
    results = []
    for target in targets:
        if target.month not in ready_months:
            results.append(CycleAccuracy(target, None, _waiting(target, current_month)))
            continue
        results.append(CycleAccuracy(target, _tally_cycle(
            target, plans[target.cycle.pk], baseline[target.cycle.pk], sales.by_month,
            labels, by_pair)))
    total = Tally()
    for cycle in results:
        if cycle.tally is not None:
            total.merge(cycle.tally)
    return Accuracy(lag, tuple(results), total, _rows(by_pair, labels), sales.latest)


def _waiting(target: LagTarget, current_month: str) -> str:
    if target.month_key >= current_month:
        return f"{target.month:%b %Y} is not over yet."
    return f"The sales of {target.month:%b %Y} are not imported yet."


def _tally_cycle(target: LagTarget, plan: dict[Pair, float], baseline: dict[Pair, float],
                 sales: dict[str, dict[Pair, float]], labels: Names,
                 by_pair: dict[Pair, Tally]) -> Tally:
    """The cycle's tally over every in-view pair that sold, was planned, had a naive or a
    baseline figure for the month; each cell also added to its pair's tally."""
    sold, naive = sales[target.month_key], sales[target.naive_key]
    tally = Tally()
    for pair in plan.keys() | baseline.keys() | sold.keys() | naive.keys():
        if pair[0] not in labels.customers:  # a customer no longer in the viewer's scope
            continue
        actual, planned_cases = sold.get(pair, 0.0), plan.get(pair, 0.0)
        naive_cases, baseline_cases = naive.get(pair, 0.0), baseline.get(pair)
        if not (actual or planned_cases or naive_cases or baseline_cases):
            continue
        tally.add(actual, planned_cases, naive_cases, baseline_cases)
        by_pair[pair].add(actual, planned_cases, naive_cases, baseline_cases)
    return tally


def _rows(by_pair: dict[Pair, Tally], labels: Names) -> dict[str, tuple[Row, ...]]:
    """Pair tallies rolled up into every dimension, largest plan error first."""
    grouped: dict[str, dict[Any, Tally]] = {name: defaultdict(Tally) for name in DIMENSIONS}
    row_labels: dict[str, dict[Any, tuple[str, ...]]] = {name: {} for name in DIMENSIONS}
    for (customer_id, product_id), tally in by_pair.items():
        customer = labels.customers[customer_id]
        product = labels.products.get(product_id, {})
        rep = labels.reps.get(customer.get("sales_rep"), NO_REP)
        territory = customer.get("territory") or NO_TERRITORY
        group = product.get("group_description") or NO_GROUP
        keys = {
            "rep": (customer.get("sales_rep"), (rep,)),
            "customer": (customer_id, (customer.get("code", ""), customer.get("sop_name")
                                       or customer.get("name", ""), rep, territory)),
            "item": (product_id, (product.get("item_code", ""),
                                  product.get("description", ""), group)),
            "group": (group, (group,)),
            "territory": (territory, (territory,)),
        }
        for name, (key, texts) in keys.items():
            grouped[name][key].merge(tally)
            row_labels[name][key] = texts
    return {name: tuple(sorted(
        (Row(key, row_labels[name][key], tally) for key, tally in grouped[name].items()),
        key=lambda row: (-row.tally.plan.abs_error, row.labels)))
        for name in DIMENSIONS}

