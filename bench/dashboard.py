"""The dashboards over real HTTP against gunicorn as production runs it (4 synchronous
workers), on the mid-size company with an open cycle of ~20,000 lines, the closed cycle before
it and a baseline for every line (bench/cycle_data.py):
- the manager's dashboard (plan vs budget vs last cycle vs actuals by month, progress by rep,
  biggest changes) and a rep's (own plan vs last year and baseline, customers not planned):
  a cold render just after a plan was written (every cached figure stale) and warm renders
  (p50/p95) while nothing is written.
Usage: python bench/dashboard.py [--renders N] [--cold N]"""

from __future__ import annotations

import argparse
import os
import statistics

from common import bench_services, gunicorn, print_result, print_table
from cycle_data import load_company_with_cycle
from grid import Session, percentile, plan_saves, timed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--renders", type=int, default=30, help="warm renders per dashboard")
    parser.add_argument("--cold", type=int, default=4, help="renders right after a write")
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
            for name, session in sessions.items():
                cold = []
                for _ in range(options.cold):  # a cell save makes every cached figure stale
                    step = next(steps)
                    data = {k: step[k] for k in ("cycle", "customer", "product", "field",
                                                 "bucket")}
                    data.update(line=str(step["line"]), value=f"{900 + step['number']}",
                                was="" if step["start"] is None else f"{step['start']:g}")
                    saved.append(sessions["rep"].htmx_post("/forecast/cell", data)[0])
                    step["start"] = 900 + step["number"]
                    cold.append(timed(session.get, "/")[0])
                for _ in range(4):  # every gunicorn worker computes once
                    session.get("/")
                warm = [timed(session.get, "/")[0] for _ in range(options.renders)]
                figures[name] = {"cold": cold, "warm": warm}
    load = os.getloadavg()
    rows = []
    for name, timing in figures.items():
        rows.append((f"{name} dashboard, just after a write",
                     f"mean {statistics.mean(timing['cold']):7.1f} ms   max "
                     f"{max(timing['cold']):7.1f} ms   n={len(timing['cold'])}"))
        rows.append((f"{name} dashboard, warm",
                     f"p50 {percentile(timing['warm'], .5):7.1f} ms   p95 "
                     f"{percentile(timing['warm'], .95):7.1f} ms   n={len(timing['warm'])}"))
    rows.append(("cell saves before the cold renders", f"{saved.count(200)} of {len(saved)} "
                                                        "saved (HTTP 200)"))
    rows.append(("load average", f"{load[0]:.2f} ({os.cpu_count()} cores, shared machine)"))
    print_table(rows)
    print_result({f"{name}_{kind}_{stat}_ms": round(value, 1)
                  for name, timing in figures.items()
                  for kind, stat, value in (
                      ("cold", "mean", statistics.mean(timing["cold"])),
                      ("warm", "p50", percentile(timing["warm"], .5)),
                      ("warm", "p95", percentile(timing["warm"], .95)))}
                 | {"load_avg_1m": round(load[0], 2)})


if __name__ == "__main__":
    main()
