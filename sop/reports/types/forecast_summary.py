"""The forecast summary of a cycle: its plan by rep, customer, group, territory and month,
against budget and the previous cycle over the same calendar months. The plan is read as
planned (sop.plans.valued_plan_lines: the snapshot once closed, else the live lines valued
now)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from bson import ObjectId

from sop.db import raw_collection
from sop.models import BudgetEntry
from sop.plans import (
    Pair,
    PlanTotals,
    baseline_for,
    previous_over_same_months,
    total,
    valued_plan_lines,
)
from sop.reports.book import (
    EFFECTIVE_PRICE_NOTE,
    FORECAST_DOLLARS_NOTE,
    MONTHS_NOTE,
    ReportBook,
    ReportColumn,
    ReportSheet,
)
from sop.reports.registry import ReportContext, ReportType, register
from sop.reports.types.common import (
    PLAN_COLLECTIONS,
    TOTAL_MONTHS,
    change,
    line_filter,
    names_by_id,
    rep_query,
    report_cycle,
)

PROGRESS_EVERY = 2000
UNMATCHED = "(budget not matched to a customer)"


def _plan_lines(ctx: ReportContext, cycle_id: ObjectId, fields: tuple[str, ...]
                ) -> Iterable[Any]:
    """The scoped lines of a cycle as planned (sop.plans.ValuedLine)."""
    keep = line_filter(ctx)
    for line in valued_plan_lines(cycle_id, rep_query(ctx),
                                  (*fields, "rep", "customer", "product")):
        if keep is None or keep(line.raw):
            yield line


@dataclass
class ForecastSummaryRow(PlanTotals):
    """One row of the forecast summary: a cycle's plan, budget and previous cycle."""

    budget_cases: float | None = None  # over M1-M12 (None: no budget comparable)
    budget_dollars: float | None = None
    previous_cases: float | None = None  # the previous cycle over the same calendar months
    previous_dollars: float | None = None
    baseline_cases: float | None = None  # over M1-M12 of the row's pairs with a baseline
    baseline_planned: float = 0.0  # the plan of the row's lines with a baseline, M1-M12
    baseline_lines: int = 0  # the row's lines with a baseline

    @property
    def cases_12(self) -> float:
        return self.cases_through(TOTAL_MONTHS)

    @property
    def dollars_12(self) -> float:
        return self.dollars_through(TOTAL_MONTHS)

    def merge(self, other: ForecastSummaryRow) -> None:
        """Add another row's figures (a totals row, the month view)."""
        self.lines += other.lines
        self.cases = [a + b for a, b in zip(self.cases, other.cases, strict=True)]
        self.dollars = [a + b for a, b in zip(self.dollars, other.dollars, strict=True)]
        for name in ("budget_cases", "budget_dollars", "previous_cases", "previous_dollars",
                     "baseline_cases"):
            mine, theirs = getattr(self, name), getattr(other, name)
            if theirs is not None:
                setattr(self, name, (mine or 0.0) + theirs)
        self.baseline_planned += other.baseline_planned
        self.baseline_lines += other.baseline_lines

    def values(self) -> list[Any]:
        cases_vs_budget, cases_vs_budget_pct = change(self.cases_12, self.budget_cases)
        dollars_vs_budget, dollars_vs_budget_pct = change(self.dollars_12, self.budget_dollars)
        cases_vs_prev, cases_vs_prev_pct = change(self.cases_12, self.previous_cases)
        dollars_vs_prev, dollars_vs_prev_pct = change(self.dollars_12, self.previous_dollars)
        return [self.lines, *self.cases, self.cases_12, *self.dollars, self.dollars_12,
                self.budget_cases, cases_vs_budget, cases_vs_budget_pct,
                self.budget_dollars, dollars_vs_budget, dollars_vs_budget_pct,
                self.previous_cases, cases_vs_prev, cases_vs_prev_pct,
                self.previous_dollars, dollars_vs_prev, dollars_vs_prev_pct,
                self.baseline_cases, *change(self.baseline_planned, self.baseline_cases),
                self.baseline_lines]


def figure_columns(months: list[date]) -> list[ReportColumn]:
    twelve = f"M1-M{min(TOTAL_MONTHS, len(months))}"
    return [ReportColumn("Lines", "int", 8),
            *(ReportColumn(f"{m:%b-%y} cases", "cases", 11) for m in months),
            ReportColumn(f"Cases {twelve}", "cases", 13),
            *(ReportColumn(f"{m:%b-%y} $", "money", 13) for m in months),
            ReportColumn(f"$ {twelve}", "money", 15),
            ReportColumn(f"Budget cases {twelve}", "cases", 13),
            ReportColumn("Cases vs budget", "cases", 12),
            ReportColumn("Cases vs budget %", "percent", 10),
            ReportColumn(f"Budget $ {twelve}", "money", 15),
            ReportColumn("$ vs budget", "money", 14),
            ReportColumn("$ vs budget %", "percent", 10),
            ReportColumn("Previous cycle cases", "cases", 13),
            ReportColumn("Cases vs previous", "cases", 12),
            ReportColumn("Cases vs previous %", "percent", 10),
            ReportColumn("Previous cycle $", "money", 15),
            ReportColumn("$ vs previous", "money", 14),
            ReportColumn("$ vs previous %", "percent", 10),
            ReportColumn(f"Baseline cases {twelve}", "cases", 13),
            ReportColumn("Cases vs baseline", "cases", 12),
            ReportColumn("Cases vs baseline %", "percent", 10),
            ReportColumn("Lines with a baseline", "int", 10)]


def build_forecast_summary(ctx: ReportContext) -> None:
    cycle = report_cycle(ctx)
    months = cycle.bucket_months
    horizon = len(months)
    twelve = months[:TOTAL_MONTHS]
    customers, products, users = names_by_id()
    same = previous_over_same_months(cycle, len(twelve))
    previous = same.previous if same is not None else None
    budget_comparable = not (ctx.filters.item or ctx.filters.group)
    views: dict[str, dict[Any, ForecastSummaryRow]] = {name: {} for name in (
        "rep", "customer", "group", "territory")}
    by_month = ForecastSummaryRow(horizon)  # the month view: plan per bucket
    month_budget: list[float | None] = [None] * len(twelve)
    month_previous: list[float | None] = [None] * len(twelve)
    month_budget_dollars: list[float | None] = [None] * len(twelve)
    month_previous_dollars: list[float | None] = [None] * len(twelve)

    def keys(rep: Any, customer: Any, product: Any) -> dict[str, Any]:
        found = customers.get(customer, {})
        return {"rep": rep, "customer": customer,
                "group": products.get(product, {}).get("group_description") or "",
                "territory": found.get("territory") or ""}

    def rows_for(view: str, key: Any) -> ForecastSummaryRow:
        row = views[view].get(key)
        if row is None:  # 0 where there is something to compare with, else blank
            budget = 0.0 if budget_comparable and view != "group" else None
            earlier = 0.0 if previous is not None else None
            row = views[view][key] = ForecastSummaryRow(horizon, budget_cases=budget,
                                             budget_dollars=budget, previous_cases=earlier,
                                             previous_dollars=earlier)
        return row

    planned: list[tuple[Pair, dict[str, Any], list[float | None]]] = []
    for done, line in enumerate(_plan_lines(ctx, cycle.pk, ()), start=1):
        raw = line.raw
        qty = line.qty
        line_keys = keys(raw["rep"], raw["customer"], raw["product"])
        planned.append(((raw["customer"], raw["product"]), line_keys, qty))
        for view, key in line_keys.items():
            row = rows_for(view, key)
            row.lines += 1
            for i in range(min(horizon, len(qty))):
                row.cases[i] += qty[i] or 0.0
                row.dollars[i] += line.revenue[i]
        if done % PROGRESS_EVERY == 0:
            ctx.progress("Reading the plan", done, None)

    ctx.progress("Reading the baseline", 0, None)
    month_baseline = _add_baselines(cycle.pk, planned, views, horizon)
    del planned

    if same is not None:
        ctx.progress("Reading the previous cycle", 0, None)
        month_previous = [0.0] * len(twelve)
        month_previous_dollars = [0.0] * len(twelve)
        keep = line_filter(ctx)
        for line in same.lines(rep_query(ctx), ("rep", "customer", "product")):
            raw = line.raw
            if keep is not None and not keep(raw):
                continue
            for target in range(len(twelve)):  # the same calendar months as this cycle's
                month_previous[target] += line.cases[target]
                month_previous_dollars[target] += line.dollars[target]
            cases, dollars = sum(line.cases), sum(line.dollars)
            for view, key in keys(raw["rep"], raw["customer"], raw["product"]).items():
                row = rows_for(view, key)
                row.previous_cases = (row.previous_cases or 0.0) + cases
                row.previous_dollars = (row.previous_dollars or 0.0) + dollars

    if budget_comparable:
        ctx.progress("Reading the budget", 0, None)
        month_budget = [0.0] * len(twelve)
        month_budget_dollars = [0.0] * len(twelve)
        index = {(m.year, m.month): i for i, m in enumerate(twelve)}
        for entry in _budget_entries(ctx, twelve):
            cases, dollars = entry.get("cases") or 0.0, entry.get("sales") or 0.0
            position = index[(entry["year"], entry["month"])]
            month_budget[position] += cases
            month_budget_dollars[position] += dollars
            customer = entry.get("customer")
            territory = (customers.get(customer, {}).get("territory") or "") if customer \
                else UNMATCHED
            for view, key in (("rep", entry["rep"]), ("customer", customer or UNMATCHED),
                              ("territory", territory)):
                row = rows_for(view, key)
                row.budget_cases = (row.budget_cases or 0.0) + cases
                row.budget_dollars = (row.budget_dollars or 0.0) + dollars

    columns = figure_columns(months)
    book = ReportBook(ctx, f"Forecast summary {cycle.name}", _summary_about(
        cycle, previous, budget_comparable))
    _figure_sheet(book, "By rep", [ReportColumn("Sales rep", width=24)], columns,
                  {key: [users.get(key, "")] for key in views["rep"]}, views["rep"])
    _figure_sheet(book, "By customer", [
        ReportColumn("Customer code", width=16), ReportColumn("Customer S&OP", width=28),
        ReportColumn("Territory", width=16), ReportColumn("Customer's rep", width=22)],
        columns, {key: _customer_keys(customers, users, key) for key in views["customer"]},
        views["customer"])
    _figure_sheet(book, "By group", [ReportColumn("Product group", width=24)], columns,
                  {key: [key] for key in views["group"]}, views["group"])
    _figure_sheet(book, "By territory", [ReportColumn("Territory", width=20)], columns,
                  {key: [key] for key in views["territory"]}, views["territory"])

    for row in views["rep"].values():
        by_month.merge(ForecastSummaryRow(horizon, row.lines, row.cases, row.dollars))
    sheet = book.sheet("By month", [
        ReportColumn("Bucket", width=8), ReportColumn("Month", "month"),
        ReportColumn("Cases", "cases"), ReportColumn("$", "money", 15),
        ReportColumn("Budget cases", "cases"), ReportColumn("Cases vs budget", "cases"),
        ReportColumn("Cases vs budget %", "percent"), ReportColumn("Budget $", "money", 15),
        ReportColumn("$ vs budget", "money", 14), ReportColumn("$ vs budget %", "percent"),
        ReportColumn("Previous cycle cases", "cases"),
        ReportColumn("Cases vs previous", "cases"),
        ReportColumn("Cases vs previous %", "percent"),
        ReportColumn("Previous cycle $", "money", 15), ReportColumn("$ vs previous", "money"),
        ReportColumn("$ vs previous %", "percent"), ReportColumn("Baseline cases", "cases"),
        ReportColumn("Cases vs baseline", "cases"),
        ReportColumn("Cases vs baseline %", "percent")])

    def month_values(cases: float, dollars: float, budget: float | None,
                     budget_dollars: float | None, prev: float | None,
                     prev_dollars: float | None, baseline: tuple[float, float] | None
                     ) -> list[Any]:
        base, planned = baseline if baseline is not None else (None, 0.0)
        return [cases, dollars, budget, *change(cases, budget), budget_dollars,
                *change(dollars, budget_dollars), prev, *change(cases, prev), prev_dollars,
                *change(dollars, prev_dollars), base, *change(planned, base)]

    for i, month in enumerate(months):
        inside = i < len(twelve)
        sheet.row([f"M{i + 1}", month, *month_values(
            by_month.cases[i], by_month.dollars[i],
            month_budget[i] if inside else None, month_budget_dollars[i] if inside else None,
            month_previous[i] if inside else None,
            month_previous_dollars[i] if inside else None,
            month_baseline[i] if month_baseline else None)])

    def total_or_none(values: list[float | None]) -> float | None:
        return None if values[0] is None else sum(v or 0.0 for v in values)

    baseline_12 = None if month_baseline is None else (
        sum(base for base, _ in month_baseline[:len(twelve)]),
        sum(planned for _, planned in month_baseline[:len(twelve)]))
    sheet.total_row(f"M1-M{len(twelve)}", [None, *month_values(
        by_month.cases_12, by_month.dollars_12, total_or_none(month_budget),
        total_or_none(month_budget_dollars), total_or_none(month_previous),
        total_or_none(month_previous_dollars), baseline_12)])
    if horizon > len(twelve):
        sheet.total_row(f"M1-M{horizon}", [None, sum(by_month.cases), sum(by_month.dollars)])
    book.save()


def _add_baselines(cycle_id: ObjectId, planned: list[tuple[Pair, dict[str, Any], list]],
                   views: dict[str, dict[Any, ForecastSummaryRow]], horizon: int
                   ) -> list[tuple[float, float]] | None:
    """The statistical baseline (sop.plans.baseline_for) of the plan's lines into the rows of
    every view, each customer x item once per row; per bucket, the baseline of those pairs and
    the plan of their lines (the month view). None when no line has a baseline."""
    baselines = baseline_for(cycle_id, (pair for pair, _, _ in planned))
    if not baselines:
        return None
    month_baseline, month_planned = [0.0] * horizon, [0.0] * horizon
    counted: set[tuple[str, Any, Pair]] = set()
    for pair, line_keys, qty in planned:
        found = baselines.get(pair)
        if found is None:
            continue
        for view, key in line_keys.items():
            row = views[view][key]
            row.baseline_lines += 1
            row.baseline_planned += total(qty, TOTAL_MONTHS)
            if (view, key, pair) not in counted:
                counted.add((view, key, pair))
                row.baseline_cases = (row.baseline_cases or 0.0) + sum(
                    found.qty[:TOTAL_MONTHS])
        for i, cases in enumerate(qty[:horizon]):
            month_planned[i] += cases or 0.0
        if ("", None, pair) not in counted:
            counted.add(("", None, pair))
            for i, cases in enumerate(found.qty[:horizon]):
                month_baseline[i] += cases
    return list(zip(month_baseline, month_planned, strict=True))


def _budget_entries(ctx: ReportContext, months: list[date]) -> Iterable[dict[str, Any]]:
    """Budget rows of the calendar months, scoped like the plan (rep; territory/customer)."""
    query: dict[str, Any] = {"$or": [{"year": m.year, "month": m.month} for m in months]}
    query.update(rep_query(ctx))
    filters = ctx.filters
    customers = set(ctx.customer_ids() or ()) if (filters.territory or filters.customer) \
        else None
    # scoped by caller: `query` holds the report context's reps (_rep_query)
    for entry in raw_collection(BudgetEntry).find(query, {
            "rep": 1, "customer": 1, "year": 1, "month": 1, "cases": 1, "sales": 1}):
        if customers is None or entry.get("customer") in customers:
            yield entry


def _customer_keys(customers: dict, users: dict, key: Any) -> list[Any]:
    if key == UNMATCHED:
        return [None, UNMATCHED, None, None]
    found = customers.get(key, {})
    return [found.get("code"), found.get("sop_name"), found.get("territory"),
            users.get(found.get("sales_rep"))]


def _figure_sheet(book: ReportBook, title: str, key_columns: list[ReportColumn],
                  columns: list[ReportColumn], labels: dict[Any, list[Any]],
                  rows: dict[Any, ForecastSummaryRow]) -> ReportSheet:
    """One view: a row per key (sorted by its labels), then the total."""
    sheet = book.sheet(title, [*key_columns, *columns])
    grand: ForecastSummaryRow | None = None
    for key in sorted(rows, key=lambda k: [str(v or "").casefold() for v in labels[k]]):
        figures = rows[key]
        sheet.row([*labels[key], *figures.values()])
        if grand is None:
            grand = ForecastSummaryRow(figures.horizon)
        grand.merge(figures)
    if grand is not None:
        sheet.total_row("Total", [None] * (len(key_columns) - 1) + grand.values())
    return sheet


def _summary_about(cycle: Any, previous: Any, budget_comparable: bool) -> list[str]:
    lines = [
        f"The plan of cycle {cycle.name} (status {cycle.status}), one sheet per view: by "
        "sales rep (the rep who owns the line), by customer, by product group, by territory "
        "(the customer's), and by month.", MONTHS_NOTE, FORECAST_DOLLARS_NOTE,
        EFFECTIVE_PRICE_NOTE, "Lines: forecast lines of the row (with or without volume).",
        "Variance vs budget = plan - budget over M1-M12 (positive: the plan is above "
        "budget); % = variance / |budget|, blank when the budget is 0.",
        "Budget: the budget of the same calendar months as M1-M12 (by the budget's rep and "
        f"customer; budget rows whose customer name matched no customer appear as "
        f"\"{UNMATCHED}\")."]
    lines.append(
        "Baseline: the statistical baseline of the row's lines (computed from the sales "
        "history), cases over M1-M12, each customer x item once; blank where none of the "
        "row's lines has one (a pair without history has no baseline, not 0). Cases vs "
        "baseline = the plan of the lines with a baseline - their baseline; % = that / "
        "baseline. Lines with a baseline: how many of the row's lines have one.")
    if previous is not None:
        lines.append(
            f"Previous cycle: {previous.name}, as planned (its snapshot once closed), over the "
            "same calendar months as this cycle's M1-M12 (months it did not plan count as "
            "0). Variance vs previous = this plan - previous; % = variance / |previous|.")
    else:
        lines.append("Previous cycle: none before this one, so those columns are blank.")
    if not budget_comparable:
        lines.append("The budget is kept per customer, not per item: with an item or group "
                     "filter the budget columns are blank.")
    else:
        lines.append("By product group: the budget has no item, so its budget columns are "
                     "blank.")
    return lines


FORECAST_SUMMARY = register(ReportType(
    key="forecast_summary", title="Forecast summary",
    description="A cycle's plan by rep, customer, group, territory and month, against budget "
                "and the previous cycle.",
    filters=("cycle", "rep", "territory", "customer", "item", "group"), required=("cycle",),
    collections=(*PLAN_COLLECTIONS, "budget_entries", "baseline_lines"),
    build=build_forecast_summary))
