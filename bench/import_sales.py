"""Import the mid-size 480,000-row sales history into an empty database through the same
code path as a web upload (GridFS upload, validation job, confirm, apply job), then import it
again unchanged. Compares with a bare python-calamine pass over the same file (the reader the
import uses: `ratio_vs_bare_calamine`, target ≤ 3, wall and CPU of the importing process plus
the database server) and with a bare openpyxl read-only pass (`ratio_vs_bare_openpyxl`).
Usage: python bench/import_sales.py [--skip-openpyxl]"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

from common import (
    DATA_DIR,
    bench_app,
    bench_services,
    cpu_seconds,
    own_cpu_seconds,
    own_peak_rss_mb,
    peak_rss_mb,
    print_result,
    print_table,
)

SALES_FILE = DATA_DIR / "sales_history.xlsx"  # gen_data.FILES["sales"]; gen_data is imported
# only by the parent: it writes with openpyxl, which (with numpy) would add ~35 MB to the
# measured children that a worker does not have


def bare_pass(path: Path, library: str) -> dict[str, float]:
    """Only iterate the rows of the first sheet, as cheaply as `library` allows."""
    started, cpu = time.perf_counter(), own_cpu_seconds()
    if library == "calamine":
        from python_calamine import CalamineWorkbook

        with CalamineWorkbook.from_path(str(path)) as workbook:
            sheet = workbook.get_sheet_by_index(0)
            rows = sum(1 for _ in sheet.iter_rows()) - 1
    else:
        from openpyxl import load_workbook

        workbook = load_workbook(path, read_only=True)
        rows = sum(1 for _ in workbook.active.iter_rows(values_only=True)) - 1
        workbook.close()
    return {"rows": rows, "seconds": time.perf_counter() - started,
            "cpu_seconds": own_cpu_seconds() - cpu, "peak_rss_mb": own_peak_rss_mb()}


def import_once(mongo_uri: str, redis_url: str, path: Path) -> dict[str, float]:
    """One import, upload to applied, in this process (the importing process)."""
    import logging

    from sop.extensions import redis_queues
    from sop.imports import services
    from sop.jobs.runner import InProcessWorker
    from sop.models import ImportLog, User

    app = bench_app({"mongo_uri": mongo_uri, "redis_url": redis_url})
    logging.getLogger("sop.imports").setLevel(logging.INFO)
    with app.app_context():
        admin = User.objects.get(email="admin@example.com")
        worker = InProcessWorker([redis_queues.queue("imports")], connection=redis_queues.redis)
        worker.app = app
        data = path.read_bytes()
        started, cpu = time.perf_counter(), own_cpu_seconds()
        record = services.start_import(admin, "sales", path.name, data)
        del data  # the web process hands the upload over and forgets it
        worker.work(burst=True, logging_level="WARNING")
        validated = time.perf_counter()
        record.reload()
        if record.status != "validated":
            raise SystemExit(f"validation ended {record.status}: {record.error_message} "
                             f"{[p.message for p in record.problems[:5]]}")
        services.confirm_import(admin, record)
        worker.work(burst=True, logging_level="WARNING")
        finished = time.perf_counter()
        record = ImportLog.objects.get(id=record.pk)
        if record.status != "applied":
            raise SystemExit(f"apply ended {record.status}: {record.error_message}")
        return {"status": record.status, "rows": record.counts["rows"],
                "writes": record.counts["writes"], "seconds": finished - started,
                "validate_seconds": validated - started, "apply_seconds": finished - validated,
                "cpu_seconds": own_cpu_seconds() - cpu, "peak_rss_mb": own_peak_rss_mb()}


def in_child(*args: str, database_pid: int | None = None) -> dict:
    """Run a step in its own process, so its peak memory is its own; with `database_pid`, the
    CPU time the database server spent meanwhile is added as `db_cpu_seconds`."""
    before = cpu_seconds(database_pid) if database_pid else 0.0
    done = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True,
                          check=False)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(args[:2])} failed:\n{done.stderr[-3000:]}")
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    if database_pid:
        figures["db_cpu_seconds"] = cpu_seconds(database_pid) - before
    return figures


def prepare_database(services: dict) -> None:
    """Accounts, customers and items the sales rows refer to (loaded directly), and an upload
    limit that admits the 22 MB file (the default is 10 MB)."""
    from gen_data import company

    from sop.dev.demo_seed import create_accounts, load_master_data
    from sop.settings import store_value

    app = bench_app(services)
    with app.app_context():
        generated = company()
        create_accounts(generated)
        load_master_data(generated, with_sales=False)
        store_value("max_upload_mb", 50, "bench")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--child", choices=["calamine", "openpyxl", "import"])
    parser.add_argument("--mongo")
    parser.add_argument("--redis")
    parser.add_argument("--skip-openpyxl", action="store_true",
                        help="no bare openpyxl pass (about 90 s of CPU)")
    args = parser.parse_args()
    if args.child in ("calamine", "openpyxl"):
        print(json.dumps(bare_pass(SALES_FILE, args.child)))
        return
    if args.child == "import":
        print(json.dumps(import_once(args.mongo, args.redis, SALES_FILE)))
        return

    from gen_data import FILES, generate

    assert DATA_DIR / FILES["sales"] == SALES_FILE
    generate()
    bare = in_child("--child", "calamine")
    stock = None if args.skip_openpyxl else in_child("--child", "openpyxl")
    with bench_services() as services:
        prepare_database(services)
        uris = ("--mongo", services["mongo_uri"], "--redis", services["redis_url"])
        first = in_child("--child", "import", *uris, database_pid=services["mongo_pid"])
        again = in_child("--child", "import", *uris, database_pid=services["mongo_pid"])
        database_peak = peak_rss_mb(services["mongo_pid"])
    ratio = first["seconds"] / bare["seconds"]
    import_cpu = first["cpu_seconds"] + first["db_cpu_seconds"]
    cpu_ratio = import_cpu / bare["cpu_seconds"]
    reimport_cpu = again["cpu_seconds"] + again["db_cpu_seconds"]
    print_table([
        ("file", f"{SALES_FILE.name} ({SALES_FILE.stat().st_size / 1048576:.1f} MB)"),
        ("rows", f"{first['rows']:,}"),
        ("bare calamine pass", f"{bare['seconds']:.1f} s ({bare['cpu_seconds']:.1f} s CPU), "
         f"peak {bare['peak_rss_mb']:.0f} MB"),
        ("bare openpyxl pass", "skipped" if stock is None else
         f"{stock['seconds']:.1f} s ({stock['cpu_seconds']:.1f} s CPU), peak "
         f"{stock['peak_rss_mb']:.0f} MB"),
        ("import (upload→applied)", f"{first['seconds']:.1f} s = validate "
         f"{first['validate_seconds']:.1f} s + apply {first['apply_seconds']:.1f} s; "
         f"{first['writes']:,} documents written"),
        ("import CPU", f"{import_cpu:.1f} s = importing process {first['cpu_seconds']:.1f} s + "
         f"database server {first['db_cpu_seconds']:.1f} s"),
        ("rows per second", f"{first['rows'] / first['seconds']:,.0f}"),
        ("ratio_vs_bare_calamine", f"{ratio:.2f} wall; CPU {cpu_ratio:.2f}  (target ≤ 3)"),
        ("ratio_vs_bare_openpyxl", "-" if stock is None else
         f"{first['seconds'] / stock['seconds']:.2f} wall; CPU "
         f"{import_cpu / stock['cpu_seconds']:.2f}"),
        ("importing process peak", f"{first['peak_rss_mb']:.0f} MB  (target ≤ 400)"),
        ("database server peak", f"{database_peak:.0f} MB"),
        ("re-import, unchanged", f"{again['seconds']:.1f} s ({reimport_cpu:.1f} s CPU), "
         f"{again['writes']} writes (target ≤ first import)"),
    ])
    print_result({
        "rows": first["rows"], "seconds": round(first["seconds"], 2),
        "validate_seconds": round(first["validate_seconds"], 2),
        "apply_seconds": round(first["apply_seconds"], 2),
        "rows_per_s": round(first["rows"] / first["seconds"]),
        "bare_calamine_seconds": round(bare["seconds"], 2),
        "bare_calamine_cpu_seconds": round(bare["cpu_seconds"], 2),
        "ratio_vs_bare_calamine": round(ratio, 2), "cpu_seconds": round(import_cpu, 2),
        "cpu_ratio_vs_bare_calamine": round(cpu_ratio, 2),
        "importing_cpu_seconds": round(first["cpu_seconds"], 2),
        "db_cpu_seconds": round(first["db_cpu_seconds"], 2),
        **({} if stock is None else {
            "bare_openpyxl_seconds": round(stock["seconds"], 2),
            "bare_openpyxl_cpu_seconds": round(stock["cpu_seconds"], 2),
            "ratio_vs_bare_openpyxl": round(first["seconds"] / stock["seconds"], 2),
            "cpu_ratio_vs_bare_openpyxl": round(import_cpu / stock["cpu_seconds"], 2)}),
        "peak_rss_mb": round(first["peak_rss_mb"]), "bare_peak_rss_mb": round(
            bare["peak_rss_mb"]), "db_peak_rss_mb": round(database_peak),
        "reimport_seconds": round(again["seconds"], 2), "reimport_writes": again["writes"],
        "reimport_cpu_seconds": round(reimport_cpu, 2),
    })


if __name__ == "__main__":
    main()
