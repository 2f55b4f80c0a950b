"""Each method family on small series where the right answer is known."""

from __future__ import annotations

import numpy as np
import pytest

from sop.baseline.engine import INTERMITTENT_METHODS, forecast_series

PATTERN = np.array([10, 12, 15, 20, 30, 45, 50, 42, 30, 20, 14, 11], dtype=float)


def members(result) -> set[str]:
    return set(result.method.split("+"))


def test_a_seasonal_series_is_forecast_by_a_seasonal_method_repeating_its_year():
    result = forecast_series(np.tile(PATTERN, 3), horizon=16)
    assert "seasonal_naive" in members(result) and "naive" not in members(result)
    assert result.state == "forecast"
    np.testing.assert_allclose(result.forecast[:12], PATTERN, rtol=0.02)
    assert result.error is not None and result.error < 2


def test_a_trend_is_followed_where_a_mean_would_lag():
    history = 100 + 5 * np.arange(36) + np.tile([1.0, -1.0], 18)
    result = forecast_series(history, horizon=6)
    assert not members(result) & {"moving_average", "naive"}
    assert result.forecast[-1] > history[-1] + 10


def test_intermittent_demand_is_forecast_by_a_croston_type_method():
    rng = np.random.default_rng(7)
    history = np.where(rng.random(48) < 0.3, rng.integers(5, 9, 48), 0).astype(float)
    history[-1] = 6
    result = forecast_series(history, horizon=12)
    assert members(result) <= set(INTERMITTENT_METHODS)
    assert members(result) & {"croston", "croston_sba", "tsb"}
    rate = history.mean()
    assert 0.4 * rate < result.forecast[0] < 2.5 * rate
    assert np.allclose(result.forecast, result.forecast[0])  # a rate, not a pattern


def test_a_series_without_sales_for_twelve_months_is_dead_and_forecasts_zero():
    history = np.concatenate([np.tile(PATTERN, 2), np.zeros(12)])
    result = forecast_series(history, horizon=16)
    assert (result.state, result.method) == ("dead", "dead")
    assert result.forecast.tolist() == [0.0] * 16


@pytest.mark.parametrize("history", [
    200 - 9 * np.arange(24, dtype=float),  # falling fast: a trend would cross zero
    np.array([50, -30, 40, -20, 35, 0, 30, -10, 25, 5, 20, 1], dtype=float),  # returns
])
def test_forecasts_are_never_negative(history):
    result = forecast_series(history, horizon=18)
    assert np.all(result.forecast >= 0)
    assert len(result.forecast) == 18


def test_an_outlier_is_flagged_and_clipped_for_fitting():
    rng = np.random.default_rng(3)
    history = np.tile(PATTERN, 3) * rng.uniform(0.97, 1.03, 36)
    spike = history.copy()
    spike[29] = 900  # June of the last year, 18 times its usual level
    result = forecast_series(spike, horizon=12)
    clean = forecast_series(history, horizon=12)
    assert result.outliers == [29]
    assert clean.outliers == []
    np.testing.assert_allclose(result.forecast, clean.forecast, rtol=0.15)


def test_months_before_the_first_sale_are_not_history():
    history = np.concatenate([np.zeros(30), np.full(14, 40.0)])
    result = forecast_series(history, horizon=3)
    np.testing.assert_allclose(result.forecast, 40.0)


def test_a_history_of_two_months_still_gets_their_mean():
    result = forecast_series([4.0, 6.0], horizon=3)
    assert result.method == "moving_average"
    np.testing.assert_allclose(result.forecast, 5.0)
    assert result.error is None


def test_complex_exponential_smoothing_competes_from_three_years_of_history():
    rng = np.random.default_rng(3)
    years, two_years = [], []
    for _ in range(12):
        history = np.tile(PATTERN, 4) * rng.uniform(0.8, 1.2, 48) + np.arange(48)
        years.append(members(forecast_series(history, horizon=12)))
        two_years.append(members(forecast_series(history[-24:], horizon=12)))
    assert any("ces" in chosen for chosen in years)
    assert not any("ces" in chosen for chosen in two_years)
