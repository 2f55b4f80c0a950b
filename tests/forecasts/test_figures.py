"""The arithmetic of a forecast line: what a rep sees as $ and what "rolled forward" means."""

from sop.forecasts.figures import effective_prices, missing_months, revenue, roll_forward, total


def test_effective_price_carries_the_last_entered_price_forward():
    assert effective_prices([None, 12.0, 0, None, 11.5], 9.0, 8.0) == [9.0, 12.0, 12.0, 12.0, 11.5]


def test_effective_price_falls_back_to_matrix_then_list_price_then_zero():
    assert effective_prices([None, 0], None, 8.0) == [8.0, 8.0]
    assert effective_prices([None], 0, None) == [0.0]
    assert effective_prices([None], 7.5, 8.0) == [7.5]


def test_revenue_and_totals_count_blanks_as_nothing():
    assert revenue([2, None, 1.5], [10.0, 10.0, 4.0]) == [20.0, 0.0, 6.0]
    assert total([1, None, 2, 5], 3) == 3.0
    assert total([1, None, 2, 5]) == 8.0


def test_roll_forward_moves_every_month_and_leaves_the_new_last_month_blank():
    assert roll_forward([1, 2, 3, 4], 1, 4) == [2, 3, 4, None]
    assert roll_forward([1, 2, 3, 4], 0, 4) == [1, 2, 3, 4]
    assert roll_forward([1, 2], -1, 3) == [None, 1, 2]


def test_missing_months_treats_zero_as_a_value():
    assert missing_months([0, None, 3, None], 3) == [2]
    assert missing_months([1], 3) == [2, 3]
