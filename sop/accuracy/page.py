"""The Accuracy page's use case: filters read from the query string, the measurement (kept
per process until its data changes) and what the page shows: the WMAPE trend over cycles,
the worst customers and items, the FVA table for the chosen grouping."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sop.accuracy.lags import LAGS
from sop.accuracy.service import (
    ACCURACY_COLLECTIONS,
    DIMENSIONS,
    LABEL_HEADERS,
    Accuracy,
    Row,
    closed_cycles,
    measure_accuracy,
)
from sop.clock import now
from sop.listing import cached_until_written
from sop.models import Cycle
from sop.security import visible_reps

DEFAULT_CYCLES = 12  # the last year of closed cycles
WORST = 10
TABLE_ROWS = 100


@dataclass(frozen=True)
class AccuracyFilters:
    lag: int = 1
    by: str = "customer"
    first: str = ""  # cycle label "YYYY-MM"
    last: str = ""
    problems: tuple[str, ...] = field(default=(), compare=False)

    @classmethod
    def from_args(cls, args: Mapping[str, str], cycles: list[Cycle]) -> AccuracyFilters:
        """Filters from the query string; anything unknown falls back to the default and is
        said (never an error page)."""
        problems = []
        labels = [cycle.label for cycle in cycles]
        lag_text = (args.get("lag") or "1").strip()
        lag = int(lag_text) if lag_text.isdigit() and int(lag_text) in LAGS else None
        if lag is None:
            problems.append(f"Lag {lag_text!r} is not offered; showing lag 1.")
        by = (args.get("by") or "customer").strip()
        if by not in DIMENSIONS:
            problems.append("That grouping is not offered; grouped by customer.")
            by = "customer"
        default_first = labels[-DEFAULT_CYCLES:][0] if labels else ""
        default_last = labels[-1] if labels else ""
        first, last = (args.get("first") or "").strip(), (args.get("last") or "").strip()
        unknown = [value for value in (first, last) if value and value not in labels]
        if unknown:
            problems.append(f"Cycle {unknown[0]} is not a closed cycle; showing the default "
                            "range.")
            first, last = "", ""
        first, last = first or default_first, last or default_last
        if first > last:
            first, last = last, first
        return cls(lag or 1, by, first, last, tuple(problems))

    def as_args(self) -> dict[str, str]:
        return {"lag": str(self.lag), "by": self.by, "first": self.first, "last": self.last}


@dataclass(frozen=True)
class AccuracyView:
    filters: AccuracyFilters
    cycles: list[Cycle]  # every closed cycle, for the range selects
    result: Accuracy
    dimension: str  # label of the grouping
    rows: tuple[Row, ...]  # the FVA table (at most TABLE_ROWS)
    more_rows: int  # rows left out of the table (all are in the report)
    worst_customers: tuple[Row, ...]
    worst_items: tuple[Row, ...]

    @property
    def headers(self) -> tuple[str, ...]:
        return LABEL_HEADERS[self.filters.by]

    @property
    def chart_labels(self) -> list[str]:
        return [cycle.target.cycle.name for cycle in self.result.cycles]

    @property
    def chart_series(self) -> list[dict[str, Any]]:
        """WMAPE (%) per cycle of the plan, the baseline and the naive forecast (gaps where
        a cycle is not measured yet or has no baseline)."""
        def percent(cycle: Any, name: str) -> float | None:
            tally = cycle.tally
            value = getattr(tally, name).wmape if tally is not None else None
            return None if value is None else value * 100
        return [{"name": title, "values": [percent(c, name) for c in self.result.cycles]}
                for name, title in (("plan", "Submitted plan"), ("baseline", "Baseline"),
                                    ("naive", "Naive"))]


def accuracy_view(viewer: Any, args: Mapping[str, str]) -> AccuracyView:
    cycles = closed_cycles()
    filters = AccuracyFilters.from_args(args, cycles)
    chosen = [cycle for cycle in cycles if filters.first <= cycle.label <= filters.last]
    result = cached_accuracy(viewer, filters.lag, chosen)
    rows = result.rows[filters.by]
    return AccuracyView(filters, cycles, result, DIMENSIONS[filters.by], rows[:TABLE_ROWS],
                        max(len(rows) - TABLE_ROWS, 0), result.rows["customer"][:WORST],
                        result.rows["item"][:WORST])


def cached_accuracy(viewer: Any, lag: int, cycles: list[Cycle]) -> Accuracy:
    """measure_accuracy, kept per process until a collection it reads is written (and for
    the current month only: a month becomes measurable when it is over)."""
    reps = visible_reps(viewer)
    scope = "all" if reps is None else tuple(str(rep) for rep in reps)
    key = ("accuracy", scope, lag, tuple(str(cycle.pk) for cycle in cycles),
           now().strftime("%Y-%m"))
    return cached_until_written(key, ACCURACY_COLLECTIONS,
                                lambda: measure_accuracy(viewer, lag, cycles))
