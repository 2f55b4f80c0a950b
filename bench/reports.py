"""Reports on the mid-size company (bench/gen_data.py) with a CLOSED cycle of about 20,000
lines and its snapshot (planned from Nov 2025, closed through sop.cycles.services, so twelve of
its months have actual sales):

- consolidated plan report built through the worker's code path (request_report, then the
  RQ job sop.jobs.reports.build_report run by an in-process worker, file stored in GridFS), in
  its own process for its peak memory (target ≤ 400 MB), against a bare XlsxWriter pass
  (constant memory) writing the same cells with the same formats (values and looks read back
  from the report, in memory before the clock starts): `consolidated_ratio_vs_bare_xlsxwriter`
  (target ≤ 1.5), the best of --runs runs of each, alternately;
- sales vs forecast of that cycle for its 12 months with actuals, same path (≤ 20 s);
- the consolidated report requested again, unchanged data: served from the stored file
  (≤ 100 ms; median and worst of 5 requests);
- 300 deadline reminders queued and delivered to a local SMTP sink by one worker (≤ 30 s):
  `reminders()` below, bench/reminders.py's scenario (its own services).

The machine is shared: timings are wall times under whatever load there is; the JSON line
says how loaded it was (load average).
Usage: python bench/reports.py [--skip-reminders]"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from typing import Any

from common import bench_app, bench_services, peak_rss_mb, print_result, print_table
from flask import Flask

CLOSED_LABEL = "2025-11"  # Nov 2025..Feb 2027: Nov 2025..Oct 2026 have actual sales
SALES_MONTHS = ("2025-11", "2026-10")
TARGETS = {"consolidated_ratio_vs_bare_xlsxwriter": 1.5, "consolidated_peak_rss_mb": 400,
           "sales_vs_forecast_s": 20.0, "cached_serve_ms": 100.0, "reminders_wall_s": 30.0}


def load_company_with_closed_cycle(services: dict[str, Any]) -> dict[str, Any]:
    """The mid-size company, its generated plan for CLOSED_LABEL (about 20,000 lines, the wide
    customer included), the cycle opened and closed by the service (snapshot, missed plans)."""
    from cycle_data import BIG_CUSTOMER, BIG_ITEMS, insert_extra_lines, widen_customer
    from gen_data import company

    from sop.cycles.states import close_cycle
    from sop.dev.demo_seed import create_accounts, insert_cycle_lines, load_master_data
    from sop.models import Cycle, ForecastSnapshot, User
    from sop.months import month_label, parse_year_month

    started = time.perf_counter()
    generated = company()
    with bench_app(services).app_context():
        create_accounts(generated)
        counts = load_master_data(generated)
        counts["big customer items"] = widen_customer(generated, BIG_CUSTOMER, BIG_ITEMS)
        start = parse_year_month(CLOSED_LABEL)
        cycle = Cycle(year=start.year, month=start.month, name=month_label(start),
                      planning_start=start, status="open",
                      opened_at=datetime(start.year, start.month, 1)).save()
        counts["lines"] = (insert_cycle_lines(generated, cycle)
                           + insert_extra_lines(generated, cycle, BIG_CUSTOMER, 0))
        closing = time.perf_counter()
        close_cycle(None, cycle)
        counts["close seconds"] = round(time.perf_counter() - closing, 1)
        counts["snapshot lines"] = ForecastSnapshot.objects(cycle=cycle).count()
        admin = User.objects(role="admin").first()
        ids = {"cycle": str(cycle.pk), "admin": str(admin.pk)}
    counts["load seconds"] = round(time.perf_counter() - started, 1)
    print_table([(name, f"{n:,}") for name, n in counts.items()])
    return ids


def request(app: Flask, admin_id: str, kind: str, **filters: str) -> tuple[str, bool, float]:
    """request_report as the admin: (report id, served from the cache, seconds)."""
    from sop.models import User
    from sop.reports.registry import ReportFilters
    from sop.reports.services import request_report

    with app.app_context():
        admin = User.objects.get(id=admin_id)
        started = time.perf_counter()
        report = request_report(admin, kind, ReportFilters(**filters))
        seconds = time.perf_counter() - started
        return str(report.pk), bool(report.cached), seconds


def touch_cycle(app: Flask, cycle_id: str) -> None:
    """A write to the cycle (its updated_at): the data versions move, so the next identical
    request is built again instead of served from the stored file."""
    from sop.clock import now
    from sop.models import Cycle

    with app.app_context():
        Cycle.objects(id=cycle_id).update_one(set__updated_at=now())


def worker_child(mongo: str, redis: str, report_id: str, out: str) -> dict[str, Any]:
    """In a fresh process: one in-process RQ worker runs the queued report job (the worker's
    code path), then the stored file is copied to `out`. Peak memory is this process's."""
    from sop.extensions import redis_queues
    from sop.jobs.runner import InProcessWorker
    from sop.models import Report
    from sop.reports.services import open_report_file

    app = bench_app({"mongo_uri": mongo, "redis_url": redis})
    with app.app_context():
        worker = InProcessWorker([redis_queues.queue("reports")], connection=redis_queues.redis)
        worker.app = app
        started = time.perf_counter()
        worker.work(burst=True, logging_level="WARNING")
        seconds = time.perf_counter() - started
        report = Report.objects.get(id=report_id)
        if report.status != "done":
            raise SystemExit(f"report {report.kind} {report.status}: {report.error}")
        with open(out, "wb") as stream:
            stream.write(open_report_file(report.requested_by, report).read())
        return {"seconds": seconds, "build_seconds": (report.finished_at - report.started_at)
                .total_seconds(), "bytes": report.size, "peak_rss_mb": peak_rss_mb(os.getpid())}


def bare_child(source: str) -> dict[str, Any]:
    """In a fresh process: every cell of `source` read into memory with its look (number
    format, font, fill; not timed), then written again by a bare XlsxWriter pass in
    constant-memory mode, each cell with the same format (formulas stay formulas)."""
    import xlsxwriter
    from openpyxl import load_workbook

    def look(cell: Any) -> tuple[Any, ...]:
        font, fill = cell.font, cell.fill
        return (cell.number_format, bool(font.b), font.color.rgb if font.color is not None
                and font.color.type == "rgb" else None,
                fill.fgColor.rgb if fill.fill_type == "solid" else None)

    book = load_workbook(source, read_only=True)
    sheets = [(ws.title, [(cell.row - 1, cell.column - 1, cell.value, cell.data_type,
                           look(cell)) for row in ws.iter_rows() for cell in row
                          if cell.value is not None])
              for ws in book.worksheets]
    book.close()
    cells = sum(len(found) for _, found in sheets)
    with tempfile.TemporaryDirectory() as work:
        started = time.perf_counter()
        bare = xlsxwriter.Workbook(os.path.join(work, "bare.xlsx"), {
            "constant_memory": True, "strings_to_formulas": False, "strings_to_numbers": False,
            "strings_to_urls": False})
        formats: dict[tuple[Any, ...], Any] = {}
        for title, found in sheets:
            sheet = bare.add_worksheet(title)
            for row, column, value, kind, key in found:
                cell_format = formats.get(key)
                if cell_format is None:
                    number_format, bold, color, fill = key
                    cell_format = formats[key] = bare.add_format({
                        "num_format": number_format, "bold": bold,
                        **({"font_color": "#" + color[-6:]} if color else {}),
                        **({"pattern": 1, "bg_color": "#" + fill[-6:]} if fill else {})})
                if kind == "f":
                    sheet.write_formula(row, column, value, cell_format, "")
                elif kind == "s":
                    sheet.write_string(row, column, value, cell_format)
                elif kind == "b":
                    sheet.write_boolean(row, column, value, cell_format)
                elif kind == "d" or hasattr(value, "year"):
                    sheet.write_datetime(row, column, value, cell_format)
                else:
                    sheet.write_number(row, column, value, cell_format)
        bare.close()
        seconds = time.perf_counter() - started
    return {"seconds": seconds, "cells": cells,
            "rows": {title: len(found) for title, found in sheets}}


def in_child(*args: str) -> dict[str, Any]:
    done = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True,
                          check=False)
    if done.returncode != 0:
        raise SystemExit(f"{args[1]} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def run_report(app: Flask, services: dict[str, Any], admin_id: str, kind: str, out: str,
               **filters: str) -> dict[str, Any]:
    report_id, cached, _ = request(app, admin_id, kind, **filters)
    if cached:
        raise SystemExit(f"{kind}: served from the cache on a fresh database?")
    return in_child("--child", "worker", "--mongo", services["mongo_uri"], "--redis",
                    services["redis_url"], "--report", report_id, "--out", out)


def reminders() -> dict[str, Any]:
    """The reminder e-mails part (bench/reminders.py: 300 reps, one worker, SMTP sink)."""
    from reminders import REPS, reminder_benchmark

    return reminder_benchmark(REPS)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--child", choices=["worker", "bare"])
    parser.add_argument("--mongo")
    parser.add_argument("--redis")
    parser.add_argument("--report")
    parser.add_argument("--out")
    parser.add_argument("--skip-reminders", action="store_true")
    parser.add_argument("--runs", type=int, default=3,
                        help="consolidated and bare runs, alternately (the best of each)")
    args = parser.parse_args()
    if args.child == "worker":
        print(json.dumps(worker_child(args.mongo, args.redis, args.report, args.out)))
        return
    if args.child == "bare":
        print(json.dumps(bare_child(args.out)))
        return

    figures: dict[str, Any] = {"load_average_1m": round(os.getloadavg()[0], 2),
                               "cpus": os.cpu_count()}
    with bench_services() as services, tempfile.TemporaryDirectory() as work:
        ids = load_company_with_closed_cycle(services)
        app = bench_app(services)
        consol_file = os.path.join(work, "consolidated.xlsx")
        # Alternately, so that both sides see the same load: the report (the cycle touched
        # before each run, so the request is not served from the cache) and the bare pass.
        runs, bares = [], []
        for _ in range(args.runs):
            touch_cycle(app, ids["cycle"])
            runs.append(run_report(app, services, ids["admin"], "consolidated", consol_file,
                                   cycle=ids["cycle"]))
            bares.append(in_child("--child", "bare", "--out", consol_file))
        consolidated = min(runs, key=lambda run: run["seconds"])
        bare = min(bares, key=lambda run: run["seconds"])
        served = [request(app, ids["admin"], "consolidated", cycle=ids["cycle"])
                  for _ in range(5)]
        if not all(cached for _, cached, _ in served):
            raise SystemExit("the identical consolidated request was not served from cache")
        svf = run_report(app, services, ids["admin"], "sales_vs_forecast",
                         os.path.join(work, "svf.xlsx"), cycle=ids["cycle"],
                         month_from=SALES_MONTHS[0], month_to=SALES_MONTHS[1])
        figures["load_average_after_1m"] = round(os.getloadavg()[0], 2)
    serve_ms = [seconds * 1000 for _, _, seconds in served]
    figures.update({
        "consolidated_s": round(consolidated["seconds"], 2),
        "consolidated_build_s": round(consolidated["build_seconds"], 2),
        "consolidated_bytes": consolidated["bytes"],
        "consolidated_peak_rss_mb": round(max(run["peak_rss_mb"] for run in runs), 1),
        "consolidated_runs_s": [round(run["seconds"], 2) for run in runs],
        "bare_s": round(bare["seconds"], 2), "bare_cells": bare["cells"],
        "bare_runs_s": [round(run["seconds"], 2) for run in bares],
        "consolidated_ratio_vs_bare_xlsxwriter": round(consolidated["seconds"] / bare["seconds"],
                                                       2),
        "sales_vs_forecast_s": round(svf["seconds"], 2),
        "sales_vs_forecast_peak_rss_mb": round(svf["peak_rss_mb"], 1),
        "cached_serve_ms": round(statistics.median(serve_ms), 1),
        "cached_serve_worst_ms": round(max(serve_ms), 1)})
    if not args.skip_reminders:
        figures.update(reminders())
    rows = [("consolidated report (worker job, GridFS)", f"{figures['consolidated_s']} s "
             f"(build {figures['consolidated_build_s']} s, {figures['consolidated_bytes']:,} "
             "bytes)"),
            ("bare XlsxWriter pass, same cells and formats", f"{figures['bare_s']} s "
             f"({figures['bare_cells']:,} cells)"),
            ("consolidated_ratio_vs_bare_xlsxwriter",
             f"{figures['consolidated_ratio_vs_bare_xlsxwriter']} "
             f"(target ≤ 1.5; best of {args.runs} each: {figures['consolidated_runs_s']} s "
             f"vs {figures['bare_runs_s']} s)"),
            ("worker peak memory", f"{figures['consolidated_peak_rss_mb']} MB (target ≤ 400)"),
            ("sales vs forecast, 12 months", f"{figures['sales_vs_forecast_s']} s "
             "(target ≤ 20)"),
            ("cached report served", f"{figures['cached_serve_ms']} ms median, "
             f"{figures['cached_serve_worst_ms']} ms worst (target ≤ 100)")]
    if "reminders_wall_s" in figures:
        rows.append(("300 reminders queued to delivered", f"{figures['reminders_wall_s']} s "
                     f"({figures['reminders_delivered']} delivered, target ≤ 30)"))
    rows.append(("load average (1 min) before / after",
                 f"{figures['load_average_1m']} / {figures['load_average_after_1m']} on "
                 f"{figures['cpus']} CPUs"))
    print_table(rows)
    print_result(figures)


if __name__ == "__main__":
    main()
