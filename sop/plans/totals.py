"""Plan totals: cases and $ per bucket over a set of lines at effective prices."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sop.plans.lines import ValuedLine, raw_lines, value_lines


@dataclass
class PlanTotals:
    """Cases and $ per bucket over a set of lines, and how many lines."""

    horizon: int
    lines: int = 0
    cases: list[float] = field(default_factory=list)
    dollars: list[float] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.cases = self.cases or [0.0] * self.horizon
        self.dollars = self.dollars or [0.0] * self.horizon

    def add(self, line: ValuedLine) -> None:
        self.lines += 1
        for i, q in enumerate(line.qty[:self.horizon]):
            self.cases[i] += q or 0.0
            self.dollars[i] += line.revenue[i]

    def cases_through(self, months: int) -> float:
        return sum(self.cases[:months])

    def dollars_through(self, months: int) -> float:
        return sum(self.dollars[:months])


def plan_totals(query: Mapping[str, Any], horizon: int) -> PlanTotals:
    """Totals of the live lines matching `query` (scoped by the caller) at effective prices."""
    totals = PlanTotals(horizon)
    for line in value_lines(raw_lines(query, ("customer", "product", "qty", "price"))):
        totals.add(line)
    return totals


def totals_by(query: Mapping[str, Any], horizon: int, key: str) -> dict[Any, PlanTotals]:
    """Totals per value of `key` ("rep", "customer", "product") of the matching live lines."""
    result: dict[Any, PlanTotals] = {}
    for line in value_lines(raw_lines(query, ("customer", "product", "rep", "qty", "price"))):
        result.setdefault(line.raw[key], PlanTotals(horizon)).add(line)
    return result
