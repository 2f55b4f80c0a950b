"""Golden figures of the accuracy service on the company of tests/accuracy/conftest.py,
worked out by hand below (never by calling the code under test).

Lag 1: each cycle's M1 against the sales of that month; naive = the sales of the month before
the close month.

  cycle Jan 2026 (month Jan 2026, naive Nov 2025)   A    plan  naive  baseline
    C1 P1                                          100   110   100     95
    C1 P2                                           50    30     0     (none)
    C2 P1                                           40    40    30     35
    sum A 190; plan |A-F| 10+20+0 = 30, F-A +10-20+0 = -10;
    naive |A-F| 0+50+10 = 60; baseline (2 cells, A 140) |A-F| 5+5 = 10, plan there 10+0 = 10
    MAPE plan = (10/100 + 20/50 + 0/40) / 3 = 0.5/3
  cycle Feb 2026 (month Feb 2026, naive Dec 2025)
    C1 P1                                          120   100    80    110
    C1 P2                                            0    10    20      5
    C2 P1                                           60    50    30     45
    sum A 180; plan |A-F| 20+10+10 = 40, F-A -20+10-10 = -20; naive 40+20+30 = 90;
    baseline (3 cells, A 180) 10+5+15 = 30, plan there 40
    MAPE plan = (20/120 + 10/60) / 2 (C1 P2 sold nothing: no percentage error) = 1/6
  cycle Mar 2026 (month Mar 2026, naive Jan 2026)
    C1 P1                                           90    90   100    100
    C1 P2                                           40     0    50     30     (no plan line)
    C2 P1                                           20    30    40    (none)
    sum A 150; plan |A-F| 0+40+10 = 50, F-A 0-40+10 = -30; naive 10+10+20 = 40;
    baseline (2 cells, A 130) 10+10 = 20, plan there 0+40 = 40
    MAPE plan = (0 + 40/40 + 10/20) / 3 = 0.5

  all cycles: sum A 520; plan |A-F| 120, F-A -60; naive 190; baseline (A 450) 60, plan there
  90; 9 cells, 2 without a baseline; plan percentage errors 0.5 + 1/3 + 1.5 over 8 sold cells.
"""

from __future__ import annotations

import pytest

from sop.accuracy.service import closed_cycles, measure_accuracy

approx = pytest.approx


@pytest.fixture
def admin(make_user):
    return make_user("admin")


def test_lag_1_per_cycle_plan_naive_and_baseline(golden, admin):
    result = measure_accuracy(admin, 1, closed_cycles())
    assert [(c.target.cycle.label, c.target.month_key, c.target.bucket) for c in result.cycles] \
        == [("2026-01", "2026-01", 0), ("2026-02", "2026-02", 0), ("2026-03", "2026-03", 0)]
    jan, feb, mar = (cycle.tally for cycle in result.cycles)
    assert (jan.actual, jan.plan.abs_error, jan.plan.signed) == (190, 30, -10)
    assert jan.plan.wmape == approx(30 / 190) and jan.plan.bias == approx(-10 / 190)
    assert jan.plan.mape == approx(0.5 / 3)
    assert jan.naive.wmape == approx(60 / 190)
    assert jan.baseline.wmape == approx(10 / 140) and jan.plan_on_baseline.wmape == approx(
        10 / 140)
    assert (jan.cells, jan.cells_without_baseline) == (3, 1)
    assert jan.value_added_vs_naive == approx(60 / 190 - 30 / 190)
    assert jan.value_added_vs_baseline == approx(0) and jan.adds_value is False

    assert feb.plan.wmape == approx(40 / 180) and feb.plan.bias == approx(-20 / 180)
    assert feb.plan.mape == approx(1 / 6) and feb.plan.sold_cells == 2
    assert feb.naive.wmape == approx(0.5)
    assert feb.baseline.wmape == approx(30 / 180) and feb.cells_without_baseline == 0
    assert feb.value_added_vs_baseline == approx(30 / 180 - 40 / 180)  # the plan lost value

    assert mar.plan.wmape == approx(50 / 150) and mar.plan.bias == approx(-0.2)
    assert mar.plan.mape == approx(0.5)
    assert mar.naive.wmape == approx(40 / 150)
    assert mar.value_added_vs_naive == approx(40 / 150 - 50 / 150)  # worse than naive
    assert mar.baseline.wmape == approx(20 / 130)
    assert mar.plan_on_baseline.wmape == approx(40 / 130)

    total = result.total
    assert (total.actual, total.plan.abs_error, total.naive.abs_error) == (520, 120, 190)
    assert total.plan.wmape == approx(120 / 520) and total.plan.bias == approx(-60 / 520)
    assert total.plan.mape == approx((0.5 + 1 / 3 + 1.5) / 8)
    assert total.baseline.wmape == approx(60 / 450)
    assert total.plan_on_baseline.wmape == approx(90 / 450)
    assert (total.cells, total.cells_without_baseline) == (9, 2)


def test_lag_1_rows_per_rep_customer_item_group_and_territory(golden, admin):
    # Rep A = C1: A 310 (P1) + 90 (P2) = 400; plan |A-F| P1 10+20+0, P2 20+10+40 = 100;
    # F-A P1 +10-20+0, P2 -20+10-40 = -60. Rep B = C2: A 120, |A-F| 0+10+10 = 20, F-A 0.
    # Item P1 (C1 + C2): A 430, |A-F| 30 + 20 = 50; P2: A 90, |A-F| 70.
    rows = measure_accuracy(admin, 1, closed_cycles()).rows
    by_rep = {row.labels: row.tally for row in rows["rep"]}
    assert by_rep[("Rep A",)].plan.wmape == approx(100 / 400)
    assert by_rep[("Rep A",)].plan.bias == approx(-60 / 400)
    assert by_rep[("Rep B",)].plan.wmape == approx(20 / 120)
    assert by_rep[("Rep B",)].plan.bias == approx(0)
    assert [row.labels[0] for row in rows["rep"]] == ["Rep A", "Rep B"]  # worst first
    assert [row.labels for row in rows["customer"]] == [
        ("C1", "CUSTOMER ONE", "Rep A", "East"), ("C2", "CUSTOMER TWO", "Rep B", "West")]
    by_item = {row.labels[0]: row.tally for row in rows["item"]}
    assert by_item["110001"].plan.wmape == approx(50 / 430)
    assert by_item["110002"].plan.wmape == approx(70 / 90)
    # P2's naive: Jan |50-0|, Feb |0-20|, Mar |40-50| = 80 of 90; baseline Feb 5 vs 0 and
    # Mar 30 vs 40 = 15 over A 40 (Jan has none); the plan there: Feb 10, Mar 40 = 50.
    assert by_item["110002"].naive.wmape == approx(80 / 90)
    assert by_item["110002"].baseline.wmape == approx(15 / 40)
    assert by_item["110002"].plan_on_baseline.wmape == approx(50 / 40)
    assert by_item["110002"].cells_without_baseline == 1
    assert [row.labels for row in rows["group"]] == [("Shallot",), ("Garlic",)]
    assert {row.labels: row.tally.actual for row in rows["territory"]} == {
        ("East",): 400, ("West",): 120}


def test_lag_3_reads_the_third_bucket_and_waits_for_missing_actuals(golden, admin):
    # Cycle Jan 2026 closed in Dec 2025: lag 3 = Mar 2026 = its M3; plan C1 P1 70 (blank
    # elsewhere = 0): |90-70| + |40-0| + |20-0| = 80 of A 150. Naive (Nov 2025) 100, 0, 30:
    # 10 + 40 + 10 = 60. Cycle Feb 2026: Apr 2026 (M3): C1 P1 130 vs 100, C1 P2 0 vs 10,
    # C2 P1 0 vs 30: 70 of A 140. Cycle Mar 2026: May 2026, no sales history yet.
    result = measure_accuracy(admin, 3, closed_cycles())
    jan, feb, mar = result.cycles
    assert (jan.target.month_key, jan.target.bucket) == ("2026-03", 2)
    assert jan.tally.plan.wmape == approx(80 / 150)
    assert jan.tally.naive.wmape == approx(60 / 150)
    assert feb.target.month_key == "2026-04" and feb.tally.plan.wmape == approx(70 / 140)
    assert mar.target.month_key == "2026-05" and mar.tally is None
    assert mar.waiting == "The sales of May 2026 are not imported yet."
    assert result.latest_sales == "2026-04"
    assert result.total.actual == 150 + 140


def test_a_rep_measures_own_customers_and_own_plan_only(golden):
    # Rep A sees C1 only: lag 1 A 400, plan |A-F| 100 (as Rep A's row above); Rep B's C2
    # is in no cycle, no row and no total.
    result = measure_accuracy(golden["rep_a"], 1, closed_cycles())
    assert result.total.actual == 400 and result.total.plan.abs_error == 100
    assert [row.labels for row in result.rows["rep"]] == [("Rep A",)]
    assert [row.labels[0] for row in result.rows["customer"]] == ["C1"]
    assert [c.tally.actual for c in result.cycles] == [150, 120, 130]
    result_b = measure_accuracy(golden["rep_b"], 1, closed_cycles())
    assert [row.labels[0] for row in result_b.rows["customer"]] == ["C2"]
    assert result_b.total.actual == 120 and result_b.total.plan.abs_error == 20
