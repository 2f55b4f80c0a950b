"""The cycles list and the cycle page: how the reps stand, and the mandatory months' plan
against budget and the previous cycle over the same calendar months (sop.plans)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sop.cycles.services import reps_with_customers
from sop.db import raw_collection
from sop.models import BudgetEntry, Cycle, Submission
from sop.plans import PlanTotals, plan_totals, previous_cycle, previous_over_same_months


@dataclass
class Progress:
    """How the reps with customers stand: submitted / approved / pending / missed."""

    reps: int = 0
    submitted: int = 0
    approved: int = 0
    pending: int = 0  # draft, rejected or not started
    missed: int = 0


def cycle_progress(cycle: Cycle) -> Progress:
    reps = {rep.pk for rep in reps_with_customers()}
    # not rep-scoped: the cycle page is for admins and managers
    statuses = {row["rep"]: row["status"] for row in raw_collection(Submission).find(
        {"cycle": cycle.pk}, {"rep": 1, "status": 1, "_id": 0})}
    progress = Progress(reps=len(reps))
    for rep_id in reps:
        status = statuses.get(rep_id)
        if status in ("submitted", "approved", "missed"):
            setattr(progress, status, getattr(progress, status) + 1)
        else:
            progress.pending += 1
    return progress


@dataclass
class MonthTotals:
    """One calendar month of the cycle: plan, budget and the previous cycle, cases and $."""

    bucket: int  # 1-based: M1, M2, ...
    month: date
    mandatory: bool
    cases: float = 0.0
    dollars: float = 0.0
    budget_cases: float = 0.0
    budget_dollars: float = 0.0
    previous_cases: float | None = None  # None: the previous cycle does not cover the month
    previous_dollars: float | None = None


def cycle_totals(cycle: Cycle) -> list[MonthTotals]:
    """Totals of the mandatory months (M1..M<mandatory>) at effective prices, with budget and
    the previous cycle (its snapshot when closed, else its lines) for the same calendar
    months."""
    months = cycle.bucket_months[:cycle.mandatory_months or cycle.horizon_months]
    rows = [MonthTotals(i + 1, month, i < cycle.mandatory_months)
            for i, month in enumerate(months)]
    plan = cycle_plan_totals(cycle, len(months))
    budget = budget_by_month(months)
    earlier = _previous_by_bucket(cycle, len(months))
    for row in rows:
        row.cases, row.dollars = plan.cases[row.bucket - 1], plan.dollars[row.bucket - 1]
        row.budget_cases, row.budget_dollars = budget.get(row.month, (0.0, 0.0))
        if row.bucket - 1 in earlier:
            row.previous_cases, row.previous_dollars = earlier[row.bucket - 1]
    return rows


def cycle_plan_totals(cycle: Cycle, horizon: int) -> PlanTotals:
    """Cases and $ per bucket over every line of the cycle."""
    return plan_totals({"cycle": cycle.pk}, horizon)


def budget_by_month(months: list[date]) -> dict[date, tuple[float, float]]:
    """Budget cases and $ summed over every rep and customer, per calendar month."""
    if not months:
        return {}
    wanted = [{"year": m.year, "month": m.month} for m in months]
    pipeline = [{"$match": {"$or": wanted}},
                {"$group": {"_id": {"year": "$year", "month": "$month"},
                            "cases": {"$sum": "$cases"}, "sales": {"$sum": "$sales"}}}]
    # not rep-scoped: the cycle page's budget of every rep (admins and managers)
    return {date(row["_id"]["year"], row["_id"]["month"], 1): (row["cases"] or 0.0,
                                                                row["sales"] or 0.0)
            for row in raw_collection(BudgetEntry).aggregate(pipeline)}


def _previous_by_bucket(cycle: Cycle, months: int) -> dict[int, tuple[float, float]]:
    """The previous cycle's cases and $ per (0-based) bucket of this cycle whose calendar
    month it planned: its frozen snapshot when closed, else its lines."""
    same = previous_over_same_months(cycle, months)
    if same is None:
        return {}
    cases, dollars = [0.0] * months, [0.0] * months
    for line in same.lines({}, ()):
        for i in range(months):
            cases[i] += line.cases[i]
            dollars[i] += line.dollars[i]
    return {i: (cases[i], dollars[i]) for i in range(months) if same.covers(i)}


def cycles_newest_first() -> list[Cycle]:
    return list(Cycle.objects.order_by("-year", "-month"))


def cycle_page(cycle: Cycle) -> dict[str, Any]:
    """Everything the cycle page shows besides the cycle itself."""
    rows = cycle_totals(cycle)
    return {"progress": cycle_progress(cycle), "totals": rows,
            "previous": previous_cycle(cycle),
            "sum": MonthTotals(0, cycle.planning_start, True,
                               sum(r.cases for r in rows), sum(r.dollars for r in rows),
                               sum(r.budget_cases for r in rows),
                               sum(r.budget_dollars for r in rows),
                               _sum_or_none(r.previous_cases for r in rows),
                               _sum_or_none(r.previous_dollars for r in rows))}


def _sum_or_none(values: Any) -> float | None:
    present = [v for v in values if v is not None]
    return sum(present) if present else None
