"""The previous cycle, and its plan over the same calendar months as this cycle's: what the
grid shows under each month, the cycle page and the submission board compare with, and the
forecast summary report's "vs previous" columns.

A cycle's buckets start at its own planning month, so bucket b of this cycle is bucket
b + offset of the previous one (offset = months between their planning starts); months the
previous cycle does not cover have no figure."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from sop.models import Cycle
from sop.months import months_apart
from sop.plans.arithmetic import roll_forward
from sop.plans.lines import plan_source, valued_plan_lines


def previous_cycle(cycle: Cycle) -> Cycle | None:
    """The latest cycle before `cycle` that was ever opened: where "last cycle" numbers come
    from."""
    return Cycle.objects(
        status__in=("open", "closed", "archived"),
        __raw__={"$or": [{"year": {"$lt": cycle.year}},
                         {"year": cycle.year, "month": {"$lt": cycle.month}}]},
    ).order_by("-year", "-month").first()


@dataclass
class ShiftedLine:
    """A previous cycle's line on this cycle's first buckets: cases and $ at its effective
    prices (0 where the previous cycle does not cover the month)."""

    raw: Mapping[str, Any]
    cases: list[float]
    dollars: list[float]


@dataclass
class SameMonths:
    """The previous cycle's plan over this cycle's first `months` buckets."""

    previous: Cycle
    months: int
    offset: int  # previous bucket = this bucket + offset

    def covers(self, bucket: int) -> bool:
        """Whether the previous cycle planned this (0-based) bucket's calendar month."""
        return 0 <= bucket + self.offset < self.previous.horizon_months

    def moved(self, values: Iterable[Any]) -> list[Any]:
        """Per-bucket values of a previous line moved onto this cycle's buckets (blank where
        the previous cycle has no bucket)."""
        return roll_forward(list(values)[:self.previous.horizon_months], self.offset,
                            self.months)

    def lines(self, query: Mapping[str, Any], fields: Iterable[str]) -> Iterator[ShiftedLine]:
        """The previous cycle's lines matching `query` (scoped by the caller), as planned,
        moved onto this cycle's buckets."""
        for line in valued_plan_lines(self.previous.pk, query, fields):
            cases = [q or 0.0 for q in self.moved(line.qty)]
            dollars = [d or 0.0 for d in self.moved(line.revenue)]
            yield ShiftedLine(line.raw, cases, dollars)

    def documents(self, query: Mapping[str, Any], fields: Mapping[str, int]
                  ) -> Iterator[dict[str, Any]]:
        """The previous cycle's raw lines as planned (not valued, not moved)."""
        # scoped by caller: `query` names the customers or reps in scope
        return plan_source(self.previous.pk).find({"cycle": self.previous.pk, **query},
                                                  dict(fields))


def over_same_months(cycle: Cycle, previous: Cycle, months: int) -> SameMonths:
    """`previous`'s plan over `cycle`'s first `months` buckets."""
    return SameMonths(previous, months, months_apart(previous.planning_start,
                                                     cycle.planning_start))


def previous_over_same_months(cycle: Cycle, months: int | None = None) -> SameMonths | None:
    """The previous cycle's plan over this cycle's first `months` buckets (all when None);
    None when there is no previous cycle."""
    previous = previous_cycle(cycle)
    if previous is None:
        return None
    return over_same_months(cycle, previous, cycle.horizon_months if months is None else months)
