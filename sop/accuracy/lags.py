"""Which closed cycle forecast which month, at which lag (pure: cycles in, months out).

A cycle's plan is frozen when it closes (its snapshot), so what it knew is fixed by the month
it closed in, its *close month*: the month of `closed_at` (UTC), or of the close date for a
cycle closed before `closed_at` was kept. The forecast of a calendar month T made at lag k is
the plan of the cycle whose close month is T - k months, read in the bucket that holds T
(bucket = months from the cycle's planning start to T; M1 is bucket 0):

- lag 1: the cycle that closed in the month just before T (one month ahead);
- lag 3: the cycle that closed three months before T.

So each closed cycle forecasts exactly one month at a given lag. It forecasts none when that
month is not one of its buckets (planning started later, or the horizon ended earlier). When
two cycles closed in the same month, the one that closed last speaks for that month (it knew
the most). The month a cycle closed in is lag 0: the plan was still moving while that month's
sales came in, so it is never measured.

The naive forecast a cycle is compared with is the actual of the last complete month before
its close month (close month - 1), carried forward to every later month: the one number a
planner had for free when the plan froze (Gilliland's naive forecast for forecast value
added). It ignores season on purpose: the statistical baseline is the benchmark that models
season and trend."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sop.months import add_months, first_of_month, months_apart

LAGS = (1, 3)


def close_month(cycle: Any) -> date | None:
    """First day of the month the cycle's plan froze in (None: not known)."""
    moment = cycle.closed_at or cycle.close_date
    return first_of_month(moment) if moment is not None else None


@dataclass(frozen=True)
class LagTarget:
    """What a cycle forecast at one lag: the month, its bucket, the naive month."""

    cycle: Any  # sop.models.Cycle
    lag: int
    month: date  # first day of the forecast month T
    bucket: int  # 0-based bucket of T in the cycle (M1 = 0)
    naive_month: date  # the last complete month before the close month

    @property
    def month_key(self) -> str:
        return self.month.strftime("%Y-%m")

    @property
    def naive_key(self) -> str:
        return self.naive_month.strftime("%Y-%m")


def lag_target(cycle: Any, lag: int) -> LagTarget | None:
    """The month `cycle` forecast at `lag` months ahead of its close, or None when it has no
    close month or does not plan that month."""
    closed = close_month(cycle)
    if closed is None or lag < 1:
        return None
    month = add_months(closed, lag)
    bucket = months_apart(cycle.planning_start, month)
    if not 0 <= bucket < cycle.horizon_months:
        return None
    return LagTarget(cycle, lag, month, bucket, add_months(closed, -1))


def lag_targets(cycles: Iterable[Any], lag: int) -> list[LagTarget]:
    """One target per forecast month, in month order: of the cycles that forecast a month at
    `lag`, the one closed last (by `closed_at`, then by its own year and month)."""
    chosen: dict[date, LagTarget] = {}
    for cycle in cycles:
        target = lag_target(cycle, lag)
        if target is None:
            continue
        held = chosen.get(target.month)
        if held is None or _closed_order(cycle) > _closed_order(held.cycle):
            chosen[target.month] = target
    return [chosen[month] for month in sorted(chosen)]


def _closed_order(cycle: Any) -> tuple[datetime, int, int]:
    """Later closes sort last; a cycle without `closed_at` sorts first."""
    closed_at = cycle.closed_at.replace(tzinfo=None) if cycle.closed_at else datetime.min
    return closed_at, cycle.year, cycle.month
