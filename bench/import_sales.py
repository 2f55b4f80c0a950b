"""Import the mid-size 480,000-row sales history into an empty database through the same
code path as a web upload (GridFS upload, validation job, confirm, apply job), then import it
again unchanged. As in production, the upload is stored by one process (the web's part) and
the jobs run in another (the worker: the importing process, whose peak memory is the target);
the CPU of both counts. The database floor is the server alone inserting the documents the
import wrote, into an empty collection with the same indexes. Compares with a bare
python-calamine pass over the same file (the reader the import uses: `ratio_vs_bare_calamine`,
target ≤ 3, wall, and CPU of both processes plus the database server) and with a bare openpyxl
read-only pass (`ratio_vs_bare_openpyxl`).
Usage: python bench/import_sales.py [--skip-openpyxl]"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

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


def upload(mongo_uri: str, redis_url: str, path: Path) -> dict[str, Any]:
    """The web process's part: the upload checked, stored in GridFS and its validation job
    queued (services.start_import), as a web worker does it; prints the import's id."""
    from sop.imports import services
    from sop.models import User

    app = bench_app({"mongo_uri": mongo_uri, "redis_url": redis_url})
    with app.app_context():
        admin = User.objects.get(email="admin@example.com")
        started, cpu = time.perf_counter(), own_cpu_seconds()
        record = services.start_import(admin, "sales", path.name, path.read_bytes())
        return {"record": str(record.pk), "seconds": time.perf_counter() - started,
                "cpu_seconds": own_cpu_seconds() - cpu, "peak_rss_mb": own_peak_rss_mb()}


def import_once(mongo_uri: str, redis_url: str, record_id: str) -> dict[str, Any]:
    """The worker's part, in this process (the importing process): the validation job, the
    confirm, the apply job."""
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
        started, cpu = time.perf_counter(), own_cpu_seconds()
        worker.work(burst=True, logging_level="WARNING")
        validated = time.perf_counter()
        record = ImportLog.objects.get(id=record_id)
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


def imported(services: dict[str, Any]) -> dict[str, float]:
    """One import from upload to applied: the upload in a web-like process, then the jobs in
    a worker-like one (each its own peak memory), CPU of both plus the database server."""
    uris = ("--mongo", services["mongo_uri"], "--redis", services["redis_url"])
    web = in_child("--child", "upload", *uris, database_pid=services["mongo_pid"])
    work = in_child("--child", "import", *uris, "--record", web["record"],
                    database_pid=services["mongo_pid"])
    return {**work, "seconds": web["seconds"] + work["seconds"],
            "validate_seconds": web["seconds"] + work["validate_seconds"],
            "cpu_seconds": web["cpu_seconds"] + work["cpu_seconds"],
            "db_cpu_seconds": web["db_cpu_seconds"] + work["db_cpu_seconds"],
            "web_peak_rss_mb": web["peak_rss_mb"]}


def database_floor(services: dict[str, Any]) -> dict[str, float]:
    """What the database server alone costs for the import's writes: the documents the import
    wrote, inserted again into an empty collection with the same indexes, in chunks of the
    apply's size, by a bare client (wall, and the server's CPU)."""
    from pymongo import MongoClient

    from sop.imports.services import STAGING_CHUNK
    from sop.models import SalesHistory

    database = MongoClient(services["mongo_uri"]).get_default_database()
    documents = list(database[SalesHistory.COLLECTION].find({}, {"_id": 0}))
    scratch = database["bench_database_floor"]
    scratch.drop()
    for index in database[SalesHistory.COLLECTION].list_indexes():
        if index["name"] != "_id_":
            scratch.create_index(list(index["key"].items()), unique=index.get("unique", False))
    started, before = time.perf_counter(), cpu_seconds(services["mongo_pid"])
    for first in range(0, len(documents), STAGING_CHUNK):
        scratch.insert_many(documents[first:first + STAGING_CHUNK], ordered=False)
    figures = {"documents": len(documents), "seconds": time.perf_counter() - started,
               "db_cpu_seconds": cpu_seconds(services["mongo_pid"]) - before}
    scratch.drop()
    return figures


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
    parser.add_argument("--child", choices=["calamine", "openpyxl", "upload", "import"])
    parser.add_argument("--mongo")
    parser.add_argument("--redis")
    parser.add_argument("--record")
    parser.add_argument("--skip-openpyxl", action="store_true",
                        help="no bare openpyxl pass (about 90 s of CPU)")
    args = parser.parse_args()
    if args.child in ("calamine", "openpyxl"):
        print(json.dumps(bare_pass(SALES_FILE, args.child)))
        return
    if args.child == "upload":
        print(json.dumps(upload(args.mongo, args.redis, SALES_FILE)))
        return
    if args.child == "import":
        print(json.dumps(import_once(args.mongo, args.redis, args.record)))
        return

    from gen_data import FILES, generate

    assert DATA_DIR / FILES["sales"] == SALES_FILE
    generate()
    bare = in_child("--child", "calamine")
    stock = None if args.skip_openpyxl else in_child("--child", "openpyxl")
    with bench_services() as services:
        prepare_database(services)
        first = imported(services)
        floor = database_floor(services)
        again = imported(services)
        database_peak = peak_rss_mb(services["mongo_pid"])
    ratio = first["seconds"] / bare["seconds"]
    import_cpu = first["cpu_seconds"] + first["db_cpu_seconds"]
    cpu_ratio = import_cpu / bare["cpu_seconds"]
    reimport_cpu = again["cpu_seconds"] + again["db_cpu_seconds"]
    # the lowest ratio any import could show here: the bare pass plus the server's writes
    floor_ratio = (bare["seconds"] + floor["seconds"]) / bare["seconds"]
    floor_cpu_ratio = (bare["cpu_seconds"] + floor["db_cpu_seconds"]) / bare["cpu_seconds"]
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
        ("import CPU", f"{import_cpu:.1f} s = web and importing process "
         f"{first['cpu_seconds']:.1f} s + database server {first['db_cpu_seconds']:.1f} s"),
        ("database floor", f"the {floor['documents']:,} documents inserted alone: "
         f"{floor['seconds']:.1f} s, server CPU {floor['db_cpu_seconds']:.1f} s; bare pass + "
         f"floor = {floor_ratio:.2f} wall, {floor_cpu_ratio:.2f} CPU of the bare pass"),
        ("rows per second", f"{first['rows'] / first['seconds']:,.0f}"),
        ("ratio_vs_bare_calamine", f"{ratio:.2f} wall; CPU {cpu_ratio:.2f}  (target ≤ 3)"),
        ("ratio_vs_bare_openpyxl", "-" if stock is None else
         f"{first['seconds'] / stock['seconds']:.2f} wall; CPU "
         f"{import_cpu / stock['cpu_seconds']:.2f}"),
        ("importing process peak", f"{first['peak_rss_mb']:.0f} MB  (target ≤ 400); web "
         f"process storing the upload {first['web_peak_rss_mb']:.0f} MB"),
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
        "floor_seconds": round(floor["seconds"], 2),
        "floor_db_cpu_seconds": round(floor["db_cpu_seconds"], 2),
        "floor_ratio_vs_bare_calamine": round(floor_ratio, 2),
        "floor_cpu_ratio_vs_bare_calamine": round(floor_cpu_ratio, 2),
        **({} if stock is None else {
            "bare_openpyxl_seconds": round(stock["seconds"], 2),
            "bare_openpyxl_cpu_seconds": round(stock["cpu_seconds"], 2),
            "ratio_vs_bare_openpyxl": round(first["seconds"] / stock["seconds"], 2),
            "cpu_ratio_vs_bare_openpyxl": round(import_cpu / stock["cpu_seconds"], 2)}),
        "peak_rss_mb": round(first["peak_rss_mb"]),
        "web_peak_rss_mb": round(first["web_peak_rss_mb"]), "bare_peak_rss_mb": round(
            bare["peak_rss_mb"]), "db_peak_rss_mb": round(database_peak),
        "reimport_seconds": round(again["seconds"], 2), "reimport_writes": again["writes"],
        "reimport_cpu_seconds": round(reimport_cpu, 2),
    })


if __name__ == "__main__":
    main()
