"""The submission board managers review from: per rep, status, lines and cases / $ for
M1-M12 against budget and the previous cycle over the same calendar months
(sop.plans.over_same_months), and a rep's plan per customer against the previous cycle."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from bson import ObjectId
from cachetools import FIFOCache

from sop.caches import remembering
from sop.db import raw_collection
from sop.listing import cached_choices, cached_until_written
from sop.models import (
    BudgetEntry,
    Customer,
    Cycle,
    ForecastLine,
    Submission,
    User,
)
from sop.plans import (
    VALUED_LINE_COLLECTIONS,
    over_same_months,
    previous_cycle,
    totals_by,
)
from sop.submissions.services import STATUS_LABELS, status_label

BOARD_MONTHS = 12  # the board compares M1-M12 with budget and the previous cycle


@dataclass
class CasesAndDollars:
    cases: float = 0.0
    dollars: float = 0.0

    def add(self, cases: float, dollars: float) -> None:
        self.cases += cases
        self.dollars += dollars


@dataclass
class Versus:
    """A figure against a base: the difference with its sign and in % of the base."""

    value: float
    base: float | None

    @property
    def delta(self) -> float | None:
        return None if self.base is None else self.value - self.base

    @property
    def percent(self) -> float | None:
        if self.base is None or not self.base:
            return None
        return (self.value - self.base) / abs(self.base) * 100.0


@dataclass
class BoardRow:
    cycle: Cycle
    rep: User
    submission: Submission | None
    lines: int = 0
    plan: CasesAndDollars = field(default_factory=CasesAndDollars)
    budget: CasesAndDollars | None = None
    last: CasesAndDollars | None = None

    @property
    def status(self) -> str:
        return self.submission.status if self.submission else "draft"

    @property
    def status_label(self) -> str:
        return status_label(self.status)

    def versus(self, base: str, measure: str) -> Versus:
        other = getattr(self, base)
        return Versus(getattr(self.plan, measure),
                      None if other is None else getattr(other, measure))


def board_cycle(cycle_id: str | None = None) -> Cycle | None:
    """The cycle the board shows: the one asked for, else the open one, else the latest one
    that was ever opened, else the latest."""
    if cycle_id:
        if not ObjectId.is_valid(cycle_id):
            return None
        return Cycle.objects(id=cycle_id).first()
    return (Cycle.objects(status="open").first()
            or Cycle.objects(status__in=("closed", "archived")).order_by("-year", "-month").first()
            or Cycle.objects.order_by("-year", "-month").first())


def _customer_rep_ids() -> set[ObjectId]:
    # not rep-scoped: the board is for managers and admins
    return set(raw_collection(Customer).distinct("sales_rep", {"active": True,
                                                                 "sales_rep": {"$ne": None}}))


def _line_rep_ids(cycle: Cycle) -> set[ObjectId]:
    """Reps with lines in the cycle; a minute per process (a scan of the cycle's lines, and a
    rep starting a plan almost always owns customers, who already put them on the board)."""
    # not rep-scoped: the board is for managers and admins
    return cached_choices(("board-line-reps", cycle.pk), lambda: set(
        raw_collection(ForecastLine).distinct("rep", {"cycle": cycle.pk})))


def board_rep_ids(cycle: Cycle) -> list[ObjectId]:
    """Reps on the board: owners of active customers, anyone with lines in the cycle, and
    anyone with a submission for it."""
    # not rep-scoped: the board is for managers and admins
    ids = _customer_rep_ids() | _line_rep_ids(cycle)
    ids |= set(raw_collection(Submission).distinct("rep", {"cycle": cycle.pk}))
    return [rep_id for rep_id in ids if rep_id is not None]


def board_statuses(cycle: Cycle, rep_ids: Iterable[ObjectId] | None = None
                   ) -> list[tuple[User, Submission | None]]:
    """Each rep on the board with their submission (None: never started), by name."""
    ids = board_rep_ids(cycle) if rep_ids is None else list(rep_ids)
    reps = User.objects(id__in=ids).order_by("full_name_lower")
    submissions = {s.rep.pk: s for s in Submission.objects(cycle=cycle, rep__in=ids)
                   .select_related(max_depth=1)} if ids else {}
    return [(rep, submissions.get(rep.pk)) for rep in reps]


def board_rows(cycle: Cycle, rep_ids: list[ObjectId] | None = None) -> list[BoardRow]:
    """Per rep: status, lines, cases and $ for M1-M12 against budget and the previous cycle
    over the same calendar months. The whole board (`rep_ids` None) reads the cycle's lines
    once: the reps with lines come out of that same pass."""
    # not rep-scoped: the board is for managers and admins
    if rep_ids is None:  # the whole cycle's lines (seconds at 20,000): kept until written
        plans = cached_until_written(
            ("board-plans", cycle.pk, cycle.horizon_months), VALUED_LINE_COLLECTIONS,
            lambda: totals_by({"cycle": cycle.pk}, cycle.horizon_months, "rep"))
        ids = _customer_rep_ids() | set(plans)
        ids |= set(raw_collection(Submission).distinct("rep", {"cycle": cycle.pk}))
    else:
        plans = totals_by({"cycle": cycle.pk, "rep": {"$in": rep_ids}}, cycle.horizon_months,
                          "rep")
        ids = set(rep_ids)
    statuses = board_statuses(cycle, ids)
    if not statuses:
        return []
    months = min(BOARD_MONTHS, cycle.horizon_months)
    budgets = budget_by_rep(cycle, [rep.pk for rep, _ in statuses])
    last = last_cycle_figures(cycle, "rep", rep_ids)
    rows = []
    for rep, submission in statuses:
        row = BoardRow(cycle, rep, submission, budget=budgets.get(rep.pk, CasesAndDollars()),
                       last=None if last is None else last.get(rep.pk, CasesAndDollars()))
        plan = plans.get(rep.pk)
        if plan is not None:
            row.lines = plan.lines
            row.plan = CasesAndDollars(plan.cases_through(months), plan.dollars_through(months))
        rows.append(row)
    return rows


def rows_summary(rows: list[BoardRow]) -> dict[str, int]:
    """How many reps of the board are in each status."""
    counts = dict.fromkeys(STATUS_LABELS, 0)
    for row in rows:
        counts[row.status] += 1
    return counts


def board_row(cycle: Cycle, rep: User) -> BoardRow:
    return board_rows(cycle, [rep.pk])[0]


def board_calendar(cycle: Cycle) -> list[date]:
    """The calendar months the board compares: M1..M12."""
    return cycle.bucket_months[:BOARD_MONTHS]


def budget_by_rep(cycle: Cycle, rep_ids: list[ObjectId]) -> dict[ObjectId, CasesAndDollars]:
    """Each rep's budget (cases, $) over the cycle's first 12 calendar months."""
    wanted = [{"year": m.year, "month": m.month} for m in board_calendar(cycle)]
    pipeline = [{"$match": {"rep": {"$in": rep_ids}, "$or": wanted}},
                {"$group": {"_id": "$rep", "cases": {"$sum": "$cases"},
                            "sales": {"$sum": "$sales"}}}]
    # not rep-scoped: the board is for managers and admins
    return {row["_id"]: CasesAndDollars(row["cases"] or 0.0, row["sales"] or 0.0)
            for row in raw_collection(BudgetEntry).aggregate(pipeline)}


def last_cycle_figures(cycle: Cycle, key: str, rep_ids: list[ObjectId] | None = None
                       ) -> dict[Any, CasesAndDollars] | None:
    """Cases and $ of the previous cycle over this cycle's M1-M12 calendar months, per `key`
    ("rep" or "customer") for the given reps (all when None): its frozen snapshot when there
    is one, else its lines. None when there is no previous cycle. A frozen snapshot never
    changes, so its figures for the whole board are computed once per process."""
    previous = previous_cycle(cycle)
    if previous is None:
        return None
    if previous.snapshot_at is not None and rep_ids is None:
        return frozen_figures((previous.pk, cycle.planning_start, key),
                              lambda: _previous_figures(cycle, previous, key, None))
    return _previous_figures(cycle, previous, key, rep_ids)


FROZEN_CACHE_SIZE = 16
frozen_figures = remembering(FIFOCache(maxsize=FROZEN_CACHE_SIZE))


def _previous_figures(cycle: Cycle, previous: Cycle, key: str,
                      rep_ids: list[ObjectId] | None) -> dict[Any, CasesAndDollars]:
    same = over_same_months(cycle, previous, len(board_calendar(cycle)))
    query: dict[str, Any] = {} if rep_ids is None else {"rep": {"$in": rep_ids}}
    result: dict[Any, CasesAndDollars] = {}
    for line in same.lines(query, (key,)):
        result.setdefault(line.raw[key], CasesAndDollars()).add(sum(line.cases), sum(line.dollars))
    return result


@dataclass
class CustomerVersusLastCycle:
    customer_id: ObjectId
    name: str
    code: str
    plan: CasesAndDollars
    last: CasesAndDollars | None

    def versus(self, measure: str) -> Versus:
        return Versus(getattr(self.plan, measure),
                      None if self.last is None else getattr(self.last, measure))


def customer_changes(cycle: Cycle, rep: User) -> list[CustomerVersusLastCycle]:
    """The rep's plan per customer for M1-M12 against the previous cycle, biggest $ change
    first."""
    months = min(BOARD_MONTHS, cycle.horizon_months)
    plans = totals_by({"cycle": cycle.pk, "rep": rep.pk}, cycle.horizon_months, "customer")
    last = last_cycle_figures(cycle, "customer", [rep.pk])
    ids = set(plans) | set(last or {})
    # not rep-scoped: the board is for managers and admins
    customers = {row["_id"]: row for row in raw_collection(Customer).find(
        {"_id": {"$in": list(ids)}}, {"sop_name": 1, "code": 1})}
    changes = []
    for customer_id in ids:
        plan = plans.get(customer_id)
        info = customers.get(customer_id, {})
        changes.append(CustomerVersusLastCycle(
            customer_id, info.get("sop_name") or "(unknown customer)", info.get("code") or "",
            CasesAndDollars(plan.cases_through(months), plan.dollars_through(months)) if plan
            else CasesAndDollars(),
            None if last is None else last.get(customer_id, CasesAndDollars())))
    changes.sort(key=lambda c: (-abs(c.versus("dollars").delta or c.plan.dollars), c.name))
    return changes


def board_summary(cycle: Cycle) -> dict[str, int]:
    """How many reps on the board are in each status (never started counts as draft)."""
    counts = dict.fromkeys(STATUS_LABELS, 0)
    for _, submission in board_statuses(cycle):
        counts[submission.status if submission else "draft"] += 1
    return counts
