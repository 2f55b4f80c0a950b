"""The measures on cells worked out by hand (sop.accuracy.measures, no database)."""

from __future__ import annotations

import pytest

from sop.accuracy.measures import ForecastError, Tally

approx = pytest.approx


def test_wmape_bias_and_mape_of_three_cells():
    # A 100 F 80, A 50 F 60, A 0 F 10: |A-F| 20 + 10 + 10 = 40 of sum A 150 -> WMAPE 0.2667;
    # F-A -20 + 10 + 10 = 0 -> bias 0; MAPE over the two cells that sold: (0.2 + 0.2) / 2.
    error = ForecastError()
    for actual, forecast in ((100, 80), (50, 60), (0, 10)):
        error.add(actual, forecast)
    assert error.wmape == approx(40 / 150)
    assert error.bias == approx(0)
    assert error.mape == approx(0.2)


def test_nothing_sold_has_no_ratio_rather_than_a_zero():
    error = ForecastError()
    error.add(0, 5)
    assert (error.wmape, error.bias, error.mape) == (None, None, None)
    assert error.abs_error == 5


def test_returns_count_in_the_bias_as_sold_and_in_wmape_by_size():
    # A 100 F 100, A -20 (a credit note) F 0: |A-F| 0 + 20 = 20 of sum |A| 120 -> 1/6;
    # F-A 0 + 20 = 20 of sum A 80 -> bias 0.25; MAPE over A > 0 only: 0.
    error = ForecastError()
    error.add(100, 100)
    error.add(-20, 0)
    assert error.wmape == approx(20 / 120)
    assert error.bias == approx(20 / 80)
    assert error.mape == approx(0)


def test_value_added_compares_the_plan_with_the_baseline_on_the_cells_that_have_one():
    # Cells (A, plan, naive, baseline): (100, 90, 70, 80), (40, 40, 60, None).
    # Plan |A-F| 10 + 0 = 10 of 140; naive 30 + 20 = 50 of 140 -> FVA vs naive 40/140.
    # Baseline only on cell 1: 20 of 100; the plan there 10 of 100 -> FVA vs baseline 0.1.
    tally = Tally()
    tally.add(100, 90, 70, 80)
    tally.add(40, 40, 60, None)
    assert tally.plan.wmape == approx(10 / 140)
    assert tally.value_added_vs_naive == approx(50 / 140 - 10 / 140)
    assert tally.value_added_vs_baseline == approx(0.2 - 0.1)
    assert tally.adds_value is True
    assert (tally.cells, tally.cells_without_baseline, tally.baseline.actual) == (2, 1, 100)
    merged = Tally()
    merged.merge(tally)
    merged.merge(tally)
    assert merged.plan.wmape == approx(10 / 140) and merged.cells == 4


def test_no_baseline_anywhere_says_nothing_about_value_added():
    tally = Tally()
    tally.add(10, 12, 9, None)
    assert tally.value_added_vs_baseline is None and tally.adds_value is None
