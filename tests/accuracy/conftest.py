"""A small company whose accuracy is worked out by hand (tests/accuracy/test_golden.py says
every figure). Three closed cycles, each planning from the month after it closed:

  cycle     planning  closed      lag 1 month (bucket)  lag 3 month (bucket)  naive month
  Jan 2026  2026-01   2025-12-20  Jan 2026 (M1)         Mar 2026 (M3)         Nov 2025
  Feb 2026  2026-02   2026-01-20  Feb 2026 (M1)         Apr 2026 (M3)         Dec 2025
  Mar 2026  2026-03   2026-02-20  Mar 2026 (M1)         May 2026 (M3)         Jan 2026

Customers: C1 (Rep A, East) and C2 (Rep B, West); items P1 (group Garlic), P2 (Shallot).

Sales (cases)   Nov25 Dec25 Jan26 Feb26 Mar26 Apr26   (nothing later: May 2026 is "not in")
  C1 P1          100    80   100   120    90   100
  C1 P2            -    20    50     -    40    10
  C2 P1           30    30    40    60    20    30

Plan (snapshot) M1, and M3 where lag 3 reads it (blank elsewhere):
  Jan 2026: C1 P1 110 (M3 70), C1 P2 30, C2 P1 40        (C1 by Rep A, C2 by Rep B)
  Feb 2026: C1 P1 100 (M3 130), C1 P2 10, C2 P1 50
  Mar 2026: C1 P1 90, C2 P1 30                            (no line for C1 P2)

Baseline M1 (M3 = M1): Jan 2026: C1 P1 95, C2 P1 35 (none for C1 P2);
  Feb 2026: C1 P1 110, C1 P2 5, C2 P1 45; Mar 2026: C1 P1 100, C1 P2 30 (none for C2 P1)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

SALES = {
    ("C1", "P1"): {"2025-11": 100, "2025-12": 80, "2026-01": 100, "2026-02": 120,
                   "2026-03": 90, "2026-04": 100},
    ("C1", "P2"): {"2025-12": 20, "2026-01": 50, "2026-03": 40, "2026-04": 10},
    ("C2", "P1"): {"2025-11": 30, "2025-12": 30, "2026-01": 40, "2026-02": 60,
                   "2026-03": 20, "2026-04": 30},
}
PLANS = {  # cycle -> {(customer, item): {bucket index: cases}}
    "2026-01": {("C1", "P1"): {0: 110, 2: 70}, ("C1", "P2"): {0: 30}, ("C2", "P1"): {0: 40}},
    "2026-02": {("C1", "P1"): {0: 100, 2: 130}, ("C1", "P2"): {0: 10}, ("C2", "P1"): {0: 50}},
    "2026-03": {("C1", "P1"): {0: 90}, ("C2", "P1"): {0: 30}},
}
BASELINES = {
    "2026-01": {("C1", "P1"): 95, ("C2", "P1"): 35},
    "2026-02": {("C1", "P1"): 110, ("C1", "P2"): 5, ("C2", "P1"): 45},
    "2026-03": {("C1", "P1"): 100, ("C1", "P2"): 30},
}
CLOSED = {"2026-01": datetime(2025, 12, 20, 17), "2026-02": datetime(2026, 1, 20, 17),
          "2026-03": datetime(2026, 2, 20, 17)}


@pytest.fixture
def golden(app_context, make_user, make_customer, make_product, make_cycle) -> dict[str, Any]:
    from sop.models import BaselineLine, ForecastSnapshot, SalesHistory
    from sop.models.sales import SalesMonth

    rep_a = make_user("sales_rep", full_name="Rep A")
    rep_b = make_user("sales_rep", full_name="Rep B")
    customers = {"C1": make_customer(rep_a, code="C1", sop_name="CUSTOMER ONE",
                                     territory="East"),
                 "C2": make_customer(rep_b, code="C2", sop_name="CUSTOMER TWO",
                                     territory="West")}
    products = {"P1": make_product("110001", "Garlic peeled", group_description="Garlic"),
                "P2": make_product("110002", "Shallot diced", group_description="Shallot")}
    owner = {"C1": rep_a, "C2": rep_b}
    cycles = {}
    for label, closed_at in CLOSED.items():
        cycle = make_cycle(label, status="closed", closed_at=closed_at, snapshot_at=closed_at)
        cycles[label] = cycle
        for (customer, item), buckets in PLANS[label].items():
            ForecastSnapshot(cycle=cycle, rep=owner[customer], customer=customers[customer],
                             product=products[item],
                             qty=[buckets.get(b) for b in range(16)]).save()
        for (customer, item), cases in BASELINES[label].items():
            BaselineLine(cycle=cycle, customer=customers[customer], product=products[item],
                         qty=[float(cases)] * 16, method="moving_average").save()
    for (customer, item), months in SALES.items():
        SalesHistory(customer=customers[customer], product=products[item], months=[
            SalesMonth(month=month, quantity=cases, sales=cases * 10.0)
            for month, cases in months.items()]).save()
    return {"rep_a": rep_a, "rep_b": rep_b, "customers": customers, "products": products,
            "cycles": cycles}
