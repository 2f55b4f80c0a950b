"""Budget views: per rep and customer S&OP name, per month, scoped; unmatched names shown."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from bson import ObjectId

from sop.excel.writer import CASES_FORMAT, MONEY_FORMAT, Column, table_workbook
from sop.listing import export_about
from sop.models import BudgetEntry, User, name_key
from sop.security import scoped
from sop.user_input import parse_whole

EXPORT_COLUMNS = (Column("Sales Rep Email", 28), Column("Customer S&OP", 28), Column("Year", 7),
                  Column("Month", 7), Column("Cases", 10, CASES_FORMAT),
                  Column("Sales", 13, MONEY_FORMAT))


@dataclass
class BudgetFilters:
    rep: str = ""
    customer: str = ""  # S&OP name prefix
    year: str = ""
    unmatched: str = ""  # "yes": names that matched no customer

    def as_args(self) -> dict[str, str]:
        return {"rep": self.rep, "customer": self.customer, "year": self.year,
                "unmatched": self.unmatched}


@dataclass
class BudgetLine:
    rep: User
    sop_name: str
    customer: Any
    cells: dict[tuple[int, int], tuple[float, float]] = field(default_factory=dict)

    def cases(self, month: tuple[int, int]) -> float | None:
        return self.cells[month][0] if month in self.cells else None

    @property
    def total_cases(self) -> float:
        return sum(c for c, _ in self.cells.values())

    @property
    def total_sales(self) -> float:
        return sum(s for _, s in self.cells.values())


def filtered_budget(viewer: User, filters: BudgetFilters):
    queryset = scoped(BudgetEntry, viewer)
    if filters.rep and ObjectId.is_valid(filters.rep):
        queryset = queryset.filter(rep=ObjectId(filters.rep))
    if filters.customer.strip():
        queryset = queryset.filter(sop_name_key__startswith=name_key(filters.customer))
    year = parse_whole(filters.year)
    if year is not None:
        queryset = queryset.filter(year=year)
    if filters.unmatched == "yes":
        queryset = queryset.filter(customer=None)
    return queryset.order_by("rep", "sop_name_key", "year", "month")


def budget_table(viewer: User, filters: BudgetFilters, limit: int = 500
                 ) -> tuple[list[tuple[int, int]], list[BudgetLine], dict[str, float]]:
    """(months, lines, totals): one line per rep and S&OP name, one column per month."""
    lines: dict[tuple[Any, str], BudgetLine] = {}
    months: set[tuple[int, int]] = set()
    totals: dict[str, float] = defaultdict(float)
    for entry in filtered_budget(viewer, filters).select_related(max_depth=1):
        key = (entry.rep.pk, entry.sop_name_key)
        line = lines.get(key)
        if line is None:
            if len(lines) >= limit:
                continue
            line = lines[key] = BudgetLine(entry.rep, entry.sop_name, entry.customer)
        month = (entry.year, entry.month)
        line.cells[month] = (entry.cases, entry.sales)
        months.add(month)
        totals["cases"] += entry.cases
        totals["sales"] += entry.sales
    return sorted(months), list(lines.values()), dict(totals)


def year_choices(viewer: User) -> list[int]:
    return sorted(scoped(BudgetEntry, viewer).distinct("year"))


def export_budget(viewer: User, filters: BudgetFilters) -> bytes:
    """The filtered budget in the flat import format (it can be imported again)."""
    rows = ((e.rep.email, e.sop_name, e.year, e.month, e.cases, e.sales)
            for e in filtered_budget(viewer, filters).select_related(max_depth=1))
    return table_workbook("Budget", EXPORT_COLUMNS, rows,
                          export_about("Budget", viewer, filters.as_args()))
