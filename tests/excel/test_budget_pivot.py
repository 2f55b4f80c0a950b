"""The budget pivot: rep groups, customers, Grand Total ignored, months from the headers."""

from __future__ import annotations

from datetime import date

import pytest

from sop.excel.budget import budget_year, read_budget
from sop.excel.masterdata import HeaderError, ProblemLog
from tests.excel.builders import workbook_bytes


def pivot(months: list[int]) -> bytes:
    q = [f"Sum of Q-{m}" for m in months]
    s = [f"Sum of Sales-{m}" for m in months]
    width = 2 + len(months)
    def line(left: list, right: list) -> list:
        return left + [None] * (width - len(left)) + [None] + right

    return workbook_bytes(("Budget", [
        ["Budget FY"], [],
        line(["Row Labels", "Customer S&OP", *q], ["Row Labels", "Customer S&OP", *s]),
        line(["Jordan Reyes", "BAYOU FOODS", *[100 + m for m in months]],
             ["Jordan Reyes", "BAYOU FOODS", *[1000 + m for m in months]]),
        line([None, "AVERRIT", *[10 for _ in months]], [None, "AVERRIT", *[99 for _ in months]]),
        line(["Lee Chen", None], ["Lee Chen", None]),
        line([None, "PRAIRIE GROCERS", *[5 for _ in months]],
             [None, "PRAIRIE GROCERS", *[50 for _ in months]]),
        line(["Grand Total", None, *[999 for _ in months]], ["Grand Total", None]),
    ]))


@pytest.mark.parametrize("months", [[11, 12], [11, 12, 1]])
def test_the_pivot_yields_one_row_per_rep_customer_and_month(months):
    problems = ProblemLog()
    rows = list(read_budget(pivot(months), problems, today=date(2026, 11, 24)))
    assert list(problems) == []
    assert len(rows) == 3 * len(months)  # Grand Total ignored
    first = rows[0].values
    assert first == {"rep_name": "Jordan Reyes", "sop_name": "BAYOU FOODS", "year": 2026,
                     "month": 11, "cases": 111.0, "sales": 1011.0}
    prairie = [r.values for r in rows if r.values["sop_name"] == "PRAIRIE GROCERS"]
    assert {r["rep_name"] for r in prairie} == {"Lee Chen"}
    if 1 in months:
        january = next(r.values for r in rows if r.values["month"] == 1)
        assert january["year"] == 2027  # months without a year: the coming ones


def test_budget_year_rolls_into_next_year():
    assert budget_year(12, date(2026, 11, 1)) == 2026
    assert budget_year(2, date(2026, 11, 1)) == 2027


def test_neither_flat_nor_pivot_says_both_were_looked_for():
    with pytest.raises(HeaderError, match="budget pivot"):
        list(read_budget(workbook_bytes(("X", [["Foo"], [1]])), ProblemLog()))
