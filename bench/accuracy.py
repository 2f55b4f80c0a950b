"""Accuracy and FVA on the mid-size company (bench/gen_data.py, 24 months of sales to Oct
2026) with CYCLES closed cycles of about 20,000 lines each (planning Feb..Jul 2026, each
closed on the 20th of the month before it plans, through sop.cycles.services so its snapshot
is frozen as in production) and a baseline for every planned pair of every cycle (synthetic:
0.9 x the plan, written in bulk; the engine of issue 16 computes the real one, the read cost
is the same).

Measured: the first measurement (it packs the closed cycles, once: sop.accuracy.packs); then,
each the best of --runs: the service for lag 1 and lag 3 as an admin (every line
of every cycle) and as one rep; the Accuracy page as the admin, cold (nothing cached) and
again with the data unchanged (per-process cache); the "Accuracy and FVA" report built in
this process. Wall times on a shared, loaded machine.
Usage: python bench/accuracy.py [--runs N]"""

from __future__ import annotations

import argparse
import os
import re
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from common import bench_app, bench_services, own_peak_rss_mb, print_result, print_table

from sop.db import raw_collection

CYCLES = ("2026-02", "2026-03", "2026-04", "2026-05", "2026-06", "2026-07")


def load(app: Any) -> dict[str, Any]:
    from cycle_data import BIG_CUSTOMER, BIG_ITEMS, insert_extra_lines, widen_customer
    from gen_data import company

    from sop.cycles.states import close_cycle
    from sop.dev.demo_seed import create_accounts, insert_cycle_lines, load_master_data
    from sop.models import BaselineLine, Cycle, ForecastSnapshot, User
    from sop.months import add_months, month_label, parse_year_month

    started = time.perf_counter()
    generated = company()
    with app.app_context():
        accounts = create_accounts(generated)
        counts: dict[str, Any] = load_master_data(generated)
        counts["big customer items"] = widen_customer(generated, BIG_CUSTOMER, BIG_ITEMS)
        for revision, label in enumerate(CYCLES):
            start = parse_year_month(label)
            cycle = Cycle(year=start.year, month=start.month, name=month_label(start),
                          planning_start=start, status="open").save()
            lines = (insert_cycle_lines(generated, cycle, revision=revision)
                     + insert_extra_lines(generated, cycle, BIG_CUSTOMER, revision))
            close_cycle(None, cycle)
            before = add_months(start, -1)
            closed_at = datetime(before.year, before.month, 20, 17)
            Cycle.objects(id=cycle.pk).update_one(set__closed_at=closed_at,
                                                  set__snapshot_at=closed_at)
            baseline = [{"cycle": cycle.pk, "customer": doc["customer"],
                         "product": doc["product"], "method": "synthetic", "state": "forecast",
                         "qty": [round((q or 0) * 0.9, 1) for q in doc.get("qty") or []]}
                        for doc in raw_collection(ForecastSnapshot).find(
                            {"cycle": cycle.pk}, {"customer": 1, "product": 1, "qty": 1})]
            raw_collection(BaselineLine).insert_many(baseline)
            counts[f"lines {label}"] = lines
        counts["snapshot lines"] = ForecastSnapshot.objects.count()
        counts["baseline lines"] = BaselineLine.objects.count()
        rep = User.objects(role="sales_rep").first()
        admin_email, _, password = next(a for a in accounts if a[1] == "admin")
        ids = {"admin": User.objects.get(email=admin_email).pk, "rep": rep.pk,
               "password": password}
    counts["load seconds"] = round(time.perf_counter() - started, 1)
    print_table([(name, f"{n:,}") for name, n in counts.items()])
    return ids


def best(runs: int, work: Any) -> tuple[float, Any]:
    seconds, result = [], None
    for _ in range(runs):
        started = time.perf_counter()
        result = work()
        seconds.append(time.perf_counter() - started)
    return min(seconds), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=2)
    runs = parser.parse_args().runs
    from sop.accuracy.service import closed_cycles, measure_accuracy
    from sop.listing import forget_choices
    from sop.models import User

    with bench_services() as services:
        app = bench_app(services)
        ids = load(app)
        figures: dict[str, Any] = {}
        with app.app_context():
            admin, rep = User.objects.get(id=ids["admin"]), User.objects.get(id=ids["rep"])
            cycles = closed_cycles()
            started = time.perf_counter()
            measure_accuracy(admin, 1, cycles)  # packs the cycles (once: sop.accuracy.packs)
            figures["first_admin_lag1_with_packing_s"] = round(time.perf_counter() - started, 2)
            for name, viewer, lag in (("admin_lag1", admin, 1), ("admin_lag3", admin, 3),
                                      ("rep_lag1", rep, 1)):
                seconds, result = best(runs, lambda v=viewer, k=lag: measure_accuracy(
                    v, k, cycles))
                figures[f"{name}_s"] = round(seconds, 2)
                figures[f"{name}_cells"] = result.total.cells
                print(f"{name}: {seconds:.2f} s, {result.total.cells:,} cells", flush=True)
            figures["plan_wmape_lag1"] = round(result.total.plan.wmape or 0, 4)
        client = app.test_client()
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"',
                          client.get("/login").get_data(as_text=True)).group(1)
        client.post("/login", data={"email": admin.email, "password": ids["password"],
                                    "csrf_token": token})

        def page() -> int:
            response = client.get("/accuracy?lag=1&by=customer")
            assert response.status_code == 200, response.status_code
            return len(response.data)

        cold = []
        for _ in range(runs):
            forget_choices()
            started = time.perf_counter()
            page()
            cold.append(time.perf_counter() - started)
        figures["page_cold_s"] = round(min(cold), 2)
        figures["page_cached_s"] = round(best(runs, page)[0], 3)
        with app.app_context():
            figures["report_s"] = round(build_report(admin), 2)
        figures["peak_rss_mb"] = round(own_peak_rss_mb())
        figures["load_average"] = round(os.getloadavg()[0], 1)
    print_table([(name, str(value)) for name, value in figures.items()])
    print_result(figures)


def build_report(admin: Any) -> float:
    from sop.clock import now
    from sop.reports.registry import REPORT_TYPES, ReportContext, ReportFilters

    with tempfile.TemporaryDirectory() as work:
        ctx = ReportContext(ReportFilters(), admin, Path(work) / "accuracy.xlsx",
                            lambda *_: None, now())
        started = time.perf_counter()
        REPORT_TYPES["accuracy_fva"].build(ctx)
        return time.perf_counter() - started


if __name__ == "__main__":
    main()
