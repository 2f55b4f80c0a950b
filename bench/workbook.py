"""The rep workbook and the consolidated plan on the mid-size company with its open cycle
(bench/cycle_data.py: 10 reps, 20,000 lines x 16 months), through the service functions the
web and the command line use.

A benchmark rep is added for the workbook figures, shaped as the issue asks: 30 customers
(30 sheets), a catalog of 220 items (220 rows per sheet), a plan of about 2,200 lines, and a
statistical baseline for every customer x item of the catalog (issue 16: the workbook's
read-only baseline block is full, 6,600 rows). Measured:
- generate: plan from the database + the xlsx (sop.workbooks.download.generate_rep_workbook),
  without the per-process matrix and catalog copies, then again with them;
- import: safety checks, reading, storing and the preview (start_upload; for the edited
  workbook, the target's figure, the median of three uploads), then the confirm
  (confirm_upload: the change computed again and written in one transaction), for a workbook
  the rep edited (10% of the lines changed, some removed, new-item rows added), and for the
  same workbook into an empty plan (every line inserted);
- export-consolidated for the whole cycle, in its own process for its peak memory.
The largest generated rep of the mid-size company (about 23 sheets x 1,100 items) is timed too.
And the company's two real workbooks (../shared/workbooks, issue #15: preview ≤ 1 s): each
imported once with --create-missing by a rep of its own (its customers and items made), its
lines removed, then its upload previewed into that empty plan (start_upload: safety checks,
reading, storing, matching, the change) against a bare python-calamine pass over the file.
Usage: python bench/workbook.py"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import bench_app, bench_services, own_peak_rss_mb, print_result, print_table

from sop.db import raw_collection

BENCH_REP = ("wendy.bench@example.com", "Wendy Bench")  # initials WB
SHEETS = 30
CATALOG = 220
LINES_PER_SHEET = 73  # about 2,200 lines, as the mid-size reps have
TARGETS = {"generate": 1.0, "preview": 0.5, "import": 3.0, "consolidated": 15.0,
           "consolidated_mb": 400, "real_preview": 1.0}  # issue 15: generate, previews
REAL = Path(__file__).resolve().parents[2] / "shared" / "workbooks"
REAL_FILES = {"JR": "Consolidated Master File SOP_Nov25 - JR.xlsx",
              "DB": "Consolidated_Master File SOP_Nov25 - DB.xlsx"}


def add_bench_rep(services: dict) -> dict:
    """The benchmark rep: 30 customers buying from the same 220 items, lines for a third of
    the pairs (only what the workbook scenario needs on top of the shared loader)."""
    from cycle_data import CYCLE_LABEL

    from sop.clock import now
    from sop.cycles.services import cycle_by_label
    from sop.models import BaselineLine, Customer, ForecastLine, PriceEntry, Product
    from sop.users.services import create_user

    app = bench_app(services)
    rng = random.Random(20261124)
    shape = random.Random(16)  # the baselines' figures (the lines stay those of rng)
    with app.app_context():
        cycle = cycle_by_label(CYCLE_LABEL)
        rep = create_user(None, BENCH_REP[0], BENCH_REP[1], "sales_rep", "Bench-rep-2026")
        products = list(Product.objects.order_by("item_code").only("id", "list_price")[:CATALOG])
        stamp = now()
        prices, lines, baselines = [], [], []
        for number in range(1, SHEETS + 1):
            customer = Customer(code=f"BENCH-{number:04d}", name=f"Bench Market {number} LLC",
                                sop_name=f"BENCH MARKET {number:02d}", sales_rep=rep).save()
            for product in products:
                prices.append({"customer": customer.pk, "product": product.pk, "active": True,
                               "price": round(product.list_price * 0.95, 2)})
                baselines.append({"cycle": cycle.pk, "customer": customer.pk,
                                  "product": product.pk, "method": "theta",
                                  "state": "forecast", "error": 21.5, "computed_at": stamp,
                                  "qty": [round(shape.uniform(0, 300), 1)
                                          for _ in range(cycle.horizon_months)]})
            for index, product in enumerate(rng.sample(products, LINES_PER_SHEET)):
                qty = [float(rng.randint(0, 300)) for _ in range(cycle.horizon_months)]
                lines.append({"cycle": cycle.pk, "rep": rep.pk, "customer": customer.pk,
                              "product": product.pk, "probability": index % 4,
                              "new_item": False, "qty": qty,
                              "price": [round(product.list_price, 2)] * 3 + [None] * 13,
                              "source": "portal", "version": 1, "updated_at": stamp,
                              "created_at": stamp})
        raw_collection(PriceEntry).insert_many(prices)
        raw_collection(ForecastLine).insert_many(lines)
        raw_collection(BaselineLine).insert_many(baselines)
        return {"lines": len(lines), "pairs": len(prices)}


def edit_like_a_rep(data: bytes) -> bytes:
    """The generated workbook as a rep sends it back: 10% of the lines changed, 2 removed per
    sheet, 2 new-item rows per sheet (items outside the catalog)."""
    from sop.excel.rep_workbook import SheetLine, write_rep_workbook
    from sop.workbooks.download import workbook_plan

    del data  # the edit is made on the same plan the file was written from
    rng = random.Random(7)
    plan = workbook_plan(*_cycle_and_rep())
    from sop.models import Product

    outside = list(Product.objects.order_by("-item_code").scalar("item_code")[:SHEETS * 2])
    for number, sheet in enumerate(plan.customers):
        for line in sheet.lines:
            if rng.random() < 0.1:
                line.qty[0] = (line.qty[0] or 0) + 5
        del sheet.lines[:2]
        for code in outside[number * 2:number * 2 + 2]:
            sheet.lines.append(SheetLine(code, "", 1, [12.0] * 16, [None] * 16, new_item=True))
    return write_rep_workbook(plan)


def _cycle_and_rep():
    from cycle_data import CYCLE_LABEL

    from sop.cycles.services import cycle_by_label
    from sop.models import User

    return cycle_by_label(CYCLE_LABEL), User.objects.get(email=BENCH_REP[0])


def timed(step):
    started = time.perf_counter()
    result = step()
    return result, time.perf_counter() - started


def import_file(cycle, rep, data: bytes, previews: int = 1) -> dict:
    """Preview `data` (`previews` times, each upload replacing the one before, as a rep
    uploading again does: the median counts), then confirm the last preview."""
    from sop.workbooks.uploads import confirm_upload, start_upload

    runs = []
    for _ in range(previews):
        upload, preview_s = timed(lambda: start_upload(
            None, cycle, rep, "Consolidated Master File SOP_Nov26 - WB.xlsx", data,
            in_worker=False))
        runs.append(preview_s)
    if upload.counts.get("errors"):
        raise SystemExit(f"the workbook has errors: {[p.message for p in upload.problems[:5]]}")
    preview_s = statistics.median(runs)
    applied, confirm_s = timed(lambda: confirm_upload(None, upload))
    return {"preview_s": preview_s, "preview_runs_s": runs, "confirm_s": confirm_s,
            "seconds": preview_s + confirm_s, "counts": applied.counts}


def workbook_child(mongo: str, redis: str) -> dict:
    from sop.listing import computed_until_versions_move
    from sop.models import ForecastLine, User
    from sop.plans import raw_lines
    from sop.workbooks.download import generate_rep_workbook, workbook_plan

    app = bench_app({"mongo_uri": mongo, "redis_url": redis})
    with app.app_context():
        cycle, rep = _cycle_and_rep()
        plan = workbook_plan(cycle, rep)
        computed_until_versions_move.cache_clear()  # no per-process matrix or catalog copy
        data, generate_s = timed(lambda: generate_rep_workbook(None, cycle, rep))
        again, regenerate_s = timed(lambda: generate_rep_workbook(None, cycle, rep))
        unchanged = import_file(cycle, rep, data)
        edited = edit_like_a_rep(data)
        changed = import_file(cycle, rep, edited, previews=3)  # the target's figure
        ForecastLine.objects(cycle=cycle, rep=rep).delete()
        into_empty = import_file(cycle, rep, edited)
        rows = len(plan.catalog)
        # the largest rep of the generated company, as it comes
        sizes = {}
        for line in raw_lines({"cycle": cycle.pk}, ("rep",)):
            sizes[line["rep"]] = sizes.get(line["rep"], 0) + 1
        big = User.objects.get(id=max((r for r in sizes if r != rep.pk), key=sizes.get))
        big_plan = workbook_plan(cycle, big)
        big_data, big_generate_s = timed(lambda: generate_rep_workbook(None, cycle, big))
        big_import = import_file(cycle, big, big_data)
        real = real_files(cycle)
        return {
            "real": real,
            "sheets": len(plan.customers), "rows_per_sheet": rows,
            "lines": sum(len(s.lines) for s in plan.customers), "file_kb": len(data) // 1024,
            "generate_s": generate_s, "regenerate_s": regenerate_s,
            "import_unchanged": unchanged, "import_edited": changed,
            "import_into_empty": into_empty,
            "big_rep": {"sheets": len(big_plan.customers), "rows_per_sheet": len(
                big_plan.catalog), "lines": sizes[big.pk], "file_kb": len(big_data) // 1024,
                "generate_s": big_generate_s, "import_s": big_import["seconds"]},
            "peak_rss_mb": own_peak_rss_mb(), "file_bytes_again": len(again)}


def bare_calamine_pass(data: bytes) -> float:
    """Seconds to read every cell of every sheet with python-calamine and nothing else."""
    import io

    from python_calamine import CalamineWorkbook

    started = time.perf_counter()
    book = CalamineWorkbook.from_filelike(io.BytesIO(data))
    for name in book.sheet_names:
        book.get_sheet_by_name(name).to_python(skip_empty_area=False)
    return time.perf_counter() - started


def real_files(cycle) -> dict:
    """Each real workbook previewed into an empty plan of a rep whose customers it names."""
    from sop.models import ForecastLine, WorkbookUpload
    from sop.users.services import create_user
    from sop.workbooks.uploads import import_workbook, start_upload

    results = {}
    for code, name in REAL_FILES.items():
        data = (REAL / name).read_bytes()
        rep = create_user(None, f"real.{code.lower()}@example.com", f"Real {code}", "sales_rep",
                          "Bench-rep-2026")
        first = import_workbook(None, cycle, rep, name, data, create_missing=True)
        ForecastLine.objects(cycle=cycle, rep=rep).delete()
        previews = []
        for _ in range(3):
            upload, seconds = timed(lambda n=name, d=data, r=rep: start_upload(
                None, cycle, r, n, d, in_worker=False))
            previews.append(seconds)
        bare = min(bare_calamine_pass(data) for _ in range(3))
        counts = upload.counts
        WorkbookUpload.objects(rep=rep).delete()
        results[code] = {
            "kb": len(data) // 1024, "sheets": counts["sheets"], "lines": counts["kept"],
            "cases_m1_m12": counts["cases_after"], "revenue_m1_m12": first["total"][
                "revenue_m1_m12_entered"], "errors": counts["errors"],
            "warnings": counts["warnings"], "notes": counts["notes"],
            "preview_s": min(previews), "bare_calamine_s": bare}
    return results


def consolidated_child(mongo: str, redis: str, out: str) -> dict:
    from cycle_data import CYCLE_LABEL

    from sop.cycles.services import cycle_by_label
    from sop.models import ForecastLine
    from sop.workbooks.download import export_consolidated

    app = bench_app({"mongo_uri": mongo, "redis_url": redis})
    with app.app_context():
        cycle = cycle_by_label(CYCLE_LABEL)
        data, seconds = timed(lambda: export_consolidated(None, cycle))
        with open(out, "wb") as stream:
            stream.write(data)
        return {"seconds": seconds, "bytes": len(data), "peak_rss_mb": own_peak_rss_mb(),
                "lines": ForecastLine.objects(cycle=cycle, qty__gt=0).count()}


def in_child(*args: str) -> dict:
    done = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True,
                          check=False)
    if done.returncode != 0:
        raise SystemExit(f"{args[1]} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--child", choices=["workbook", "consolidated"])
    parser.add_argument("--mongo")
    parser.add_argument("--redis")
    parser.add_argument("--out", default=os.path.join(tempfile.gettempdir(),
                                                      "bench-consolidated.xlsx"))
    args = parser.parse_args()
    if args.child == "workbook":
        print(json.dumps(workbook_child(args.mongo, args.redis)))
        return
    if args.child == "consolidated":
        print(json.dumps(consolidated_child(args.mongo, args.redis, args.out)))
        return

    from cycle_data import load_company_with_cycle

    with bench_services() as services:
        load_company_with_cycle(services)
        added = add_bench_rep(services)
        uris = ("--mongo", services["mongo_uri"], "--redis", services["redis_url"])
        consolidated = in_child("--child", "consolidated", *uris, "--out", args.out)
        workbook = in_child("--child", "workbook", *uris)
    edited, empty = workbook["import_edited"], workbook["import_into_empty"]
    unchanged, big = workbook["import_unchanged"], workbook["big_rep"]

    def counts(result: dict) -> str:
        c = result["counts"]
        return (f"{c['added']:,} added, {c['changed']:,} changed, {c['removed']:,} removed, "
                f"{c['unchanged']:,} unchanged")

    print_table([
        ("benchmark rep", f"{workbook['sheets']} sheets x {workbook['rows_per_sheet']} rows, "
         f"{workbook['lines']:,} lines ({added['lines']:,} loaded), {workbook['file_kb']:,} KB"),
        ("generate", f"{workbook['generate_s']:.2f} s; again, no price or item written since: "
         f"{workbook['regenerate_s']:.2f} s  (target ≤ {TARGETS['generate']:g} s)"),
        ("import, edited", f"{edited['seconds']:.2f} s = preview {edited['preview_s']:.2f} s "
         f"(median of {', '.join(f'{r:.2f}' for r in edited['preview_runs_s'])}; target ≤ "
         f"{TARGETS['preview']:g} s) + confirm {edited['confirm_s']:.2f} s; "
         f"{counts(edited)}  (target ≤ {TARGETS['import']:g} s)"),
        ("import into an empty plan", f"{empty['seconds']:.2f} s = preview "
         f"{empty['preview_s']:.2f} s + confirm {empty['confirm_s']:.2f} s; {counts(empty)}"),
        ("import, unchanged", f"{unchanged['seconds']:.2f} s; {counts(unchanged)}"),
        ("workbook process peak", f"{workbook['peak_rss_mb']:.0f} MB"),
        ("largest generated rep", f"{big['sheets']} sheets x {big['rows_per_sheet']:,} rows, "
         f"{big['lines']:,} lines, {big['file_kb']:,} KB: generate {big['generate_s']:.2f} s, "
         f"import {big['import_s']:.2f} s"),
        *((f"real workbook {code}", f"{r['sheets']} sheets, {r['kb']:,} KB: preview "
           f"{r['preview_s']:.2f} s (bare calamine pass {r['bare_calamine_s']:.2f} s; target ≤ "
           f"{TARGETS['real_preview']:g} s); {r['lines']} lines, {r['cases_m1_m12']:,.0f} "
           f"cases M1-M12, ${r['revenue_m1_m12']:,.2f}; {r['errors']} errors, {r['warnings']} "
           f"warnings, {r['notes']} notes") for code, r in workbook["real"].items()),
        ("export-consolidated", f"{consolidated['seconds']:.2f} s for {consolidated['lines']:,} "
         f"lines, {consolidated['bytes'] / 1048576:.1f} MB  (target ≤ "
         f"{TARGETS['consolidated']:.0f} s)"),
        ("consolidated process peak", f"{consolidated['peak_rss_mb']:.0f} MB  (target ≤ "
         f"{TARGETS['consolidated_mb']} MB)"),
    ])
    print_result({
        "sheets": workbook["sheets"], "rows_per_sheet": workbook["rows_per_sheet"],
        "lines": workbook["lines"], "generate_s": round(workbook["generate_s"], 2),
        "regenerate_s": round(workbook["regenerate_s"], 2),
        "import_s": round(edited["seconds"], 2),
        "import_preview_s": round(edited["preview_s"], 2),
        "import_preview_runs_s": [round(r, 2) for r in edited["preview_runs_s"]],
        "import_confirm_s": round(edited["confirm_s"], 2),
        "import_empty_s": round(empty["seconds"], 2),
        "import_unchanged_s": round(unchanged["seconds"], 2),
        "big_rep_generate_s": round(big["generate_s"], 2),
        "big_rep_import_s": round(big["import_s"], 2),
        "consolidated_s": round(consolidated["seconds"], 2),
        "consolidated_lines": consolidated["lines"],
        "consolidated_peak_rss_mb": round(consolidated["peak_rss_mb"]),
        "workbook_peak_rss_mb": round(workbook["peak_rss_mb"]),
        **{f"real_{code.lower()}_preview_s": round(r["preview_s"], 2)
           for code, r in workbook["real"].items()},
        **{f"real_{code.lower()}_errors": r["errors"] for code, r in workbook["real"].items()},
    })


if __name__ == "__main__":
    main()
