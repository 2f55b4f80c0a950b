"""The dashboards over real HTTP against gunicorn as production runs it (4 synchronous
workers), on the mid-size company with an open cycle of ~20,000 lines, the closed cycle before
it and a baseline for every line (bench/cycle_data.py). For the manager (plan vs budget vs
last cycle vs actuals by month, progress by rep, biggest changes) and a rep (own plan vs last
year and baseline, customers not planned):
- the first load of each part by every gunicorn worker (nothing computed yet): the page `/`,
  its figures (`/dashboard/figures`) and its accuracy tile (`/dashboard/accuracy`), which the
  page loads once shown;
- the figures just after a cell save (the plan is read again, the rest is kept);
- warm renders (p50/p95) while nothing is written.
Usage: python bench/dashboard.py [--renders N] [--cold N]"""

from __future__ import annotations

import argparse
import os

from common import bench_services, gunicorn, print_result, print_table
from cycle_data import load_company_with_cycle
from grid import Session, percentile, plan_saves, timed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--renders", type=int, default=30, help="warm renders per dashboard")
    parser.add_argument("--cold", type=int, default=4,
                        help="cell saves, each followed by 4 loads of the figures")
    options = parser.parse_args()
    with bench_services() as services:
        accounts = load_company_with_cycle(services, previous=True, baselines=True)
        _cycle_id, plans = plan_saves(services, accounts, options.cold * 2)
        with gunicorn(services) as base:
            passwords = {email: password for email, _, password in accounts}
            manager = next(email for email, role, _ in accounts if role == "manager")
            rep = next(iter(plans))
            sessions = {"manager": Session(base, manager, passwords[manager]),
                        "rep": Session(base, rep, passwords[rep])}
            steps = iter(plans[rep])
            figures: dict[str, dict[str, list[float]]] = {}
            saved: list[int] = []
            failed: list[str] = []

            def load(session: Session, path: str) -> float:
                took, (status, _body) = timed(get, session, path)
                if status != 200:
                    failed.append(f"{path} {status}")
                return took

            for name, session in sessions.items():
                first = {path: [load(session, path) for _ in range(4)]  # each worker once
                         for path in PARTS}
                after_save = []
                for _ in range(options.cold):  # a cell save makes the plan's figures stale
                    step = next(steps)
                    data = {k: step[k] for k in ("cycle", "customer", "product", "field",
                                                 "bucket")}
                    data.update(line=str(step["line"]), value=f"{900 + step['number']}",
                                was="" if step["start"] is None else f"{step['start']:g}")
                    saved.append(sessions["rep"].htmx_post("/forecast/cell", data)[0])
                    step["start"] = 900 + step["number"]
                    for _ in range(4):  # every worker reads the plan again
                        after_save.append(load(session, "/dashboard/figures"))
                figures[name] = {"first " + path: times for path, times in first.items()}
                figures[name]["figures after a save"] = after_save
                for path in PARTS:
                    figures[name]["warm " + path] = [load(session, path)
                                                     for _ in range(options.renders)]
    load_average = os.getloadavg()
    rows = [(f"{name}: {part}", f"p50 {percentile(times, .5):8.1f} ms   max "
                                f"{max(times):8.1f} ms   n={len(times)}")
            for name, parts in figures.items() for part, times in parts.items()]
    rows.append(("cell saves before the renders after a save",
                 f"{saved.count(200)} of {len(saved)} saved (HTTP 200)"))
    rows.append(("failed requests", ", ".join(failed) or "none"))
    rows.append(("load average", f"{load_average[0]:.2f} ({os.cpu_count()} cores, shared "
                                 "machine)"))
    print_table(rows)
    print_result({f"{name} {part}".replace(" ", "_").replace("/", "_") + "_ms":
                  [round(percentile(times, .5), 1), round(max(times), 1)]
                  for name, parts in figures.items() for part, times in parts.items()}
                 | {"failed": len(failed), "load_avg_1m": round(load_average[0], 2)})


PARTS = ("/", "/dashboard/figures", "/dashboard/accuracy")


def get(session: Session, path: str) -> tuple[int, bytes]:
    """A GET that answers an HTTP error's status instead of raising it."""
    import urllib.error

    try:
        return session.get(path)
    except urllib.error.HTTPError as error:
        return error.code, error.read()


if __name__ == "__main__":
    main()
