"""One series in, its baseline out: the competing methods are compared on the series' own
last months (rolling origin: refitted at 12 and 6 months before the end, each forecasting
to the end of the history), and the forecast is the mean of the best of them — up to
`MAX_MEMBERS` methods whose out-of-sample error is at most twice the best one's, so a
method that clearly wins stands alone and close ones are combined.

Pure over numpy arrays: the CSV command, the cycle job and the benchmark all call
`forecast_series`."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from sop.baseline.methods import METHODS
from sop.baseline.outliers import clip_outliers

log = logging.getLogger(__name__)

DEAD_MONTHS = 12  # no sales in the last 12 months: the series forecasts 0
ORIGINS_BEFORE_END = (12, 6)
MIN_FIT_MONTHS = 12  # an origin must leave at least this much history to fit on
MAX_MEMBERS = 3
MEMBER_ERROR_RATIO = 2.0
# Complex exponential smoothing competes from three seasons of history: below that it did
# not help (M3 monthly cut to 24 months: 14.56 with it, 14.53 without) and nearly doubled
# the fitting time of a 24-month series (4.3 ms more).
CES_MIN_SEASONS = 3
INTERMITTENT_ADI = 1.32  # average demand interval (Syntetos-Boylan): past it, Croston-type

CONTINUOUS_METHODS = ("naive", "seasonal_naive", "moving_average", "ses", "damped_trend",
                      "ets", "ces", "theta")
INTERMITTENT_METHODS = ("croston", "croston_sba", "tsb", "moving_average", "ses")


@dataclass(frozen=True)
class SeriesForecast:
    forecast: np.ndarray  # one value per future period, never negative
    method: str  # a method of METHODS, members joined by "+", or "dead"
    state: str = "forecast"  # or "dead"
    error: float | None = None  # out-of-sample WMAPE (%) of the chosen forecast
    outliers: list[int] = field(default_factory=list)  # positions in the history given


def forecast_series(history: Sequence[float], horizon: int, season: int = 12
                    ) -> SeriesForecast:
    """The baseline of one monthly history (oldest first; a month without sales is 0)."""
    y = np.maximum(np.asarray(history, dtype=float), 0)  # returns beyond sales are not demand
    if not len(y) or not y[-DEAD_MONTHS:].any():
        return SeriesForecast(np.zeros(horizon), "dead", "dead")
    start = int(np.flatnonzero(y)[0])  # months before the first sale are not history yet
    fitted, outliers = clip_outliers(y[start:], season)
    names = INTERMITTENT_METHODS if _is_intermittent(fitted) else CONTINUOUS_METHODS
    shortest_fit = len(fitted) - max(_origins(len(fitted)), default=0)
    names = [n for n in names if n != "seasonal_naive" or shortest_fit >= season]
    if len(fitted) < CES_MIN_SEASONS * season:
        names = [n for n in names if n != "ces"]
    errors, holdout = _rolling_origin_errors(fitted, names, season)
    if not errors:  # too short to compare anything: the mean of what there is
        return SeriesForecast(np.full(horizon, fitted[-season:].mean()), "moving_average",
                              outliers=[start + i for i in outliers])
    ranked = sorted(errors, key=errors.get)
    members = [n for n in ranked[:MAX_MEMBERS]
               if errors[n] <= errors[ranked[0]] * MEMBER_ERROR_RATIO]
    forecast = np.mean([METHODS[n](fitted, horizon, season) for n in members], axis=0)
    actual, combined = holdout[0], np.mean([holdout[1][n] for n in members], axis=0)
    return SeriesForecast(np.maximum(np.nan_to_num(forecast), 0), "+".join(members),
                          error=_wmape(actual, combined),
                          outliers=[start + i for i in outliers])


def _is_intermittent(y: np.ndarray) -> bool:
    return len(y) / max(np.count_nonzero(y), 1) >= INTERMITTENT_ADI


def _origins(n: int) -> list[int]:
    """Months before the end at which the methods are refitted for the comparison."""
    backs = [b for b in ORIGINS_BEFORE_END if n - b >= MIN_FIT_MONTHS]
    if not backs and n >= 3:
        backs = [max(1, n // 3)]
    return backs


def _rolling_origin_errors(y: np.ndarray, names: Sequence[str], season: int
                           ) -> tuple[dict[str, float], tuple[np.ndarray, dict[str, np.ndarray]]]:
    """({method: pooled out-of-sample WMAPE}, (the held-out actuals, each method's forecasts
    of them)); a method whose fit fails on this series drops out of the comparison."""
    backs = _origins(len(y))
    actual = np.concatenate([y[len(y) - b:] for b in backs]) if backs else np.zeros(0)
    forecasts: dict[str, np.ndarray] = {}
    for name in names:
        try:
            parts = [METHODS[name](y[:len(y) - b], b, season) for b in backs]
        except Exception as exc:  # a degenerate series some optimiser cannot fit
            log.debug("baseline: %s dropped out (%s)", name, exc)
            continue
        if parts:
            forecasts[name] = np.maximum(np.nan_to_num(np.concatenate(parts)), 0)
    errors = {name: _absolute_error(actual, f) for name, f in forecasts.items()}
    return errors, (actual, forecasts)


def _absolute_error(actual: np.ndarray, forecast: np.ndarray) -> float:
    return float(np.abs(actual - forecast).sum())


def _wmape(actual: np.ndarray, forecast: np.ndarray) -> float | None:
    total = float(np.abs(actual).sum())
    return None if total == 0 else round(_absolute_error(actual, forecast) / total * 100, 2)
