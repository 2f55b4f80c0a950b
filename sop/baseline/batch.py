"""Many series at once: `forecast_many` spreads them over worker processes (the fits are
CPU-bound, one core each) and yields the results in the order given."""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Iterable, Iterator
from typing import TypeVar

import numpy as np

from sop.baseline.engine import SeriesForecast, forecast_series

Key = TypeVar("Key")
CHUNK = 64  # series per task handed to a process: few round trips, even spread


def default_processes() -> int:
    return max(1, min(os.cpu_count() or 1, 8))


def forecast_many(histories: Iterable[tuple[Key, np.ndarray]], horizon: int, season: int = 12,
                  processes: int = 1) -> Iterator[tuple[Key, SeriesForecast]]:
    """(key, forecast) for each (key, history), in order. With `processes` > 1 the fits run in
    spawned processes (never forked: the caller may hold database connections and threads)."""
    if processes <= 1:
        for key, history in histories:
            yield key, forecast_series(history, horizon, season)
        return
    with multiprocessing.get_context("spawn").Pool(processes) as pool:
        tasks = ((key, history, horizon, season) for key, history in histories)
        yield from pool.imap(_forecast_task, tasks, chunksize=CHUNK)


def _forecast_task(task: tuple[Key, np.ndarray, int, int]) -> tuple[Key, SeriesForecast]:
    key, history, horizon, season = task
    return key, forecast_series(history, horizon, season)
