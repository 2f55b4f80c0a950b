"""Outliers of a monthly history: months far from the series' own level and season, found on
the residuals of a running median (after taking out the seasonal pattern when there is one)
with the 3 x IQR rule of R's `forecast::tsoutliers`, and only when the month is also far
from its level in relative terms and unlike the same month of the other years (a seasonal
peak the running median cuts off is not an outlier). They are clipped for fitting and
reported; the stored history is never changed."""

from __future__ import annotations

import numpy as np

from sop.baseline.methods import seasonal_indexes

MIN_MONTHS = 12  # fewer months say too little about what is normal
INTERMITTENT_ZERO_SHARE = 0.24  # past this share of empty months a spike is demand, not noise
WINDOW = 5
IQR_FACTOR = 3.0
MIN_RELATIVE_DEVIATION = 0.5  # at least half the level away
SAME_MONTH_RATIO = 2.0  # within a factor of 2 of the same month's other years: seasonal


def clip_outliers(y: np.ndarray, season: int) -> tuple[np.ndarray, list[int]]:
    """(the history with its outliers clipped to the nearest normal value, their positions)."""
    n = len(y)
    if n < MIN_MONTHS or np.mean(y == 0) > INTERMITTENT_ZERO_SHARE:
        return y, []
    indexes = seasonal_indexes(y, season)
    factors = np.ones(n) if indexes is None else indexes[np.arange(n) % season]
    adjusted = y / factors
    half = WINDOW // 2
    padded = np.pad(adjusted, half, mode="edge")
    level = np.median(np.lib.stride_tricks.sliding_window_view(padded, WINDOW), axis=1)
    residuals = adjusted - level
    q1, q3 = np.percentile(residuals, [25, 75])
    spread = IQR_FACTOR * (q3 - q1)
    low, high = q1 - spread, q3 + spread
    far = ((residuals < low) | (residuals > high)) & (
        np.abs(residuals) > MIN_RELATIVE_DEVIATION * np.abs(level))
    flagged = np.array([i for i in np.flatnonzero(far) if not _like_its_month(y, i, season)],
                       dtype=int)
    if not len(flagged):
        return y, []
    clipped = y.copy()
    clipped[flagged] = np.maximum(
        (level[flagged] + np.clip(residuals[flagged], low, high)) * factors[flagged], 0)
    return clipped, flagged.tolist()


def _like_its_month(y: np.ndarray, i: int, season: int) -> bool:
    """The same calendar month of the other years was about as high (or low)."""
    others = y[i % season::season]
    others = np.delete(others, i // season)
    if not len(others):
        return False
    typical = float(np.median(others))
    low, high = sorted((typical, float(y[i])))
    return high <= SAME_MONTH_RATIO * low
