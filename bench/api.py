"""The JSON API with the mid-size company, over HTTP on gunicorn (one synchronous worker, so
its memory is the web process's):
  1. pull the whole open 20,000-line plan through GET /api/v1/cycles/{cycle}/lines in cursor
     pages (target ≤ 3 s; peak memory of the web process ≤ 300 MB);
  2. push the 480,000 months of sales history through POST /api/v1/sales/bulk in batches,
     into an empty history, against the Excel import of the same rows in the same run
     (bench/import_sales.py's path: upload, validation job, confirm, apply job), in wall
     time (the target) and in CPU time (client + web worker + database against the importing
     process + database: steadier on a busy machine);
  3. a token-authenticated request's overhead: p50 of GET /api/v1/health (token) against the
     bare GET /health doing the same checks.
Usage: python bench/api.py [--batch 20000] [--page 5000] [--skip-push]"""

from __future__ import annotations

import argparse
import http.client
import json
import statistics
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from common import (
    bench_app,
    bench_services,
    cpu_seconds,
    gunicorn,
    own_cpu_seconds,
    peak_rss_mb,
    print_result,
    print_table,
)
from cycle_data import CYCLE_LABEL, load_company_with_cycle
from gen_data import company, generate
from import_sales import in_child

from sop.db import raw_collection

HEALTH_SAMPLES = 200


class Http:
    """One keep-alive connection to the server, as an integration would hold."""

    def __init__(self, base: str, secret: str) -> None:
        parts = urlsplit(base)
        self.connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=600)
        self.headers = {"Authorization": f"Bearer {secret}", "Content-Type": "application/json"}

    def call(self, method: str, path: str, body: Any = None, auth: bool = True
             ) -> tuple[int, bytes]:
        headers = self.headers if auth else {}
        self.connection.request(method, path, None if body is None else json.dumps(body),
                                headers)
        response = self.connection.getresponse()
        return response.status, response.read()


def web_worker_pid(base: str) -> int:
    """The gunicorn worker serving `base`: the process with the bind address in its command
    line whose parent has it too (the master)."""
    bind = urlsplit(base).netloc.encode()

    def serving(pid: str) -> bool:
        try:
            return bind in Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            return False

    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            parent = stat.read_text().rsplit(")", 1)[1].split()[1]
        except (OSError, IndexError):
            continue
        if serving(stat.parent.name) and serving(parent):
            return int(stat.parent.name)
    raise SystemExit("no gunicorn worker found")


def pull_plan(client: Http, page: int) -> dict[str, Any]:
    started, cursor, lines, requests, pages = time.perf_counter(), None, 0, 0, []
    while True:
        path = f"/api/v1/cycles/{CYCLE_LABEL}/lines?limit={page}" + (
            f"&cursor={cursor}" if cursor else "")
        page_started = time.perf_counter()
        status, body = client.call("GET", path)
        pages.append(round(time.perf_counter() - page_started, 2))
        if status != 200:
            raise SystemExit(f"pull: {status} {body[:300]!r}")
        data = json.loads(body)
        lines, requests = lines + len(data["lines"]), requests + 1
        cursor = data["next_cursor"]
        if cursor is None:
            return {"lines": lines, "requests": requests, "page_seconds": pages,
                    "seconds": time.perf_counter() - started}


def sales_rows() -> list[dict[str, Any]]:
    """The rows of bench/data/sales_history.xlsx, as records (the same generator)."""
    return [{"customer_code": s.customer_code, "item_code": s.item_code, "year": s.year,
             "month": s.month, "quantity": s.quantity, "unit_price": s.unit_price,
             "sales": s.sales, "cogs": s.cogs, "gross_profit": s.gross_profit}
            for s in company().sales()]


def push_sales(client: Http, rows: list[dict[str, Any]], batch: int, pids: list[int]
               ) -> dict[str, Any]:
    """The batches one after the other; `cpu_seconds`: this process (the client) and `pids`
    (the web worker, the database server) meanwhile."""
    cpu = own_cpu_seconds() + sum(cpu_seconds(pid) for pid in pids)
    started, written, requests = time.perf_counter(), 0, 0
    for start in range(0, len(rows), batch):
        status, body = client.call("POST", "/api/v1/sales/bulk",
                                   {"rows": rows[start:start + batch]})
        if status != 200:
            raise SystemExit(f"push: {status} {body[:500]!r}")
        written += json.loads(body)["written"]
        requests += 1
    return {"rows": len(rows), "requests": requests, "written": written,
            "seconds": time.perf_counter() - started,
            "cpu_seconds": own_cpu_seconds() + sum(cpu_seconds(pid) for pid in pids) - cpu}


def p50_ms(client: Http, path: str, auth: bool) -> float:
    times = []
    for _ in range(HEALTH_SAMPLES):
        started = time.perf_counter()
        status, _body = client.call("GET", path, auth=auth)
        times.append((time.perf_counter() - started) * 1000)
        if status not in (200, 503):  # /health says 503 without a worker: the same checks
            raise SystemExit(f"{path}: {status}")
    return statistics.median(times)


def empty_sales_history(services: dict[str, Any]) -> None:
    from sop.models import SalesHistory

    with bench_app(services).app_context():
        raw_collection(SalesHistory).delete_many({})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--batch", type=int, default=20_000, help="rows per bulk request")
    parser.add_argument("--page", type=int, default=5000, help="lines per page")
    parser.add_argument("--skip-push", action="store_true")
    args = parser.parse_args()
    generate()
    with bench_services() as services:
        load_company_with_cycle(services)
        with bench_app(services).app_context():
            from sop.api.tokens import create_token
            from sop.models import User
            from sop.settings import store_value

            store_value("api_rate_limit_per_minute", 100000, "bench")
            store_value("api_max_request_mb", 50, "bench")
            store_value("max_upload_mb", 50, "bench")
            admin = User.objects.get(email="admin@example.com")
            secret = create_token(None, admin, "bench", ["read", "write", "admin"], 1).secret
        with gunicorn(services, workers=1) as base:
            client = Http(base, secret)
            client.call("GET", "/api/v1/me")  # warm: imports, caches
            worker = web_worker_pid(base)
            pull = pull_plan(client, args.page)
            pull_peak = peak_rss_mb(worker)
            bare_p50 = p50_ms(client, "/health", auth=False)
            token_p50 = p50_ms(client, "/api/v1/health", auth=True)
            again = pull_plan(client, args.page)  # warm: the price book and names are kept
            print(f"pulled {pull['lines']:,} lines in {pull['seconds']:.2f} s (again: "
                  f"{again['seconds']:.2f} s), web peak "
                  f"{pull_peak:.0f} MB; /health p50 {bare_p50:.1f} ms, token {token_p50:.1f} ms",
                  flush=True)
            push: dict[str, Any] = {}
            if not args.skip_push:
                rows = sales_rows()
                empty_sales_history(services)
                push = push_sales(client, rows, args.batch, [worker, services["mongo_pid"]])
                push_peak = peak_rss_mb(worker)
        excel: dict[str, Any] = {}
        if not args.skip_push:
            empty_sales_history(services)
            excel = in_child("--child", "import", "--mongo", services["mongo_uri"], "--redis",
                             services["redis_url"], database_pid=services["mongo_pid"])
    table = [
        ("plan pulled", f"{pull['lines']:,} lines in {pull['requests']} pages of "
         f"{args.page:,}: {pull['seconds']:.2f} s (target ≤ 3 s)"),
        ("  pulled again", f"{again['seconds']:.2f} s (price book and names kept)"),
        ("  per page", ", ".join(f"{t:.2f} s" for t in pull["page_seconds"])),
        ("web process peak", f"{pull_peak:.0f} MB after the pull (target ≤ 300 MB)"),
        ("GET /health p50 (bare)", f"{bare_p50:.1f} ms"),
        ("GET /api/v1/health p50 (token)", f"{token_p50:.1f} ms: overhead "
         f"{token_p50 - bare_p50:+.1f} ms, ratio {token_p50 / bare_p50:.2f}"),
    ]
    if push:
        excel_cpu = excel["cpu_seconds"] + excel["db_cpu_seconds"]
        table += [
            ("actuals pushed", f"{push['rows']:,} months in {push['requests']} requests of "
             f"{args.batch:,}: {push['seconds']:.1f} s, {push['written']:,} documents"),
            ("Excel import, same rows", f"{excel['seconds']:.1f} s (upload → applied)"),
            ("push vs Excel import", f"{push['seconds'] / excel['seconds']:.2f} (target ≤ 1)"),
            ("  in CPU time", f"push {push['cpu_seconds']:.1f} s (client, web, database) vs "
             f"Excel {excel_cpu:.1f} s (importing process, database): "
             f"{push['cpu_seconds'] / excel_cpu:.2f}"),
            ("web process peak", f"{push_peak:.0f} MB after the push"),
        ]
    print_table(table)
    result = {"pull_lines": pull["lines"], "pull_seconds": round(pull["seconds"], 2),
              "pull_pages": pull["requests"], "web_peak_rss_mb": round(pull_peak),
              "pull_again_seconds": round(again["seconds"], 2),
              "health_p50_ms": round(bare_p50, 2), "token_health_p50_ms": round(token_p50, 2),
              "token_overhead_ms": round(token_p50 - bare_p50, 2)}
    if push:
        result.update({"push_rows": push["rows"], "push_seconds": round(push["seconds"], 1),
                       "push_requests": push["requests"],
                       "excel_import_seconds": round(excel["seconds"], 1),
                       "push_ratio_vs_excel": round(push["seconds"] / excel["seconds"], 2),
                       "push_cpu_seconds": round(push["cpu_seconds"], 1),
                       "excel_import_cpu_seconds": round(excel_cpu, 1),
                       "push_cpu_ratio_vs_excel": round(push["cpu_seconds"] / excel_cpu, 2),
                       "web_peak_after_push_mb": round(push_peak)})
    print_result(result)


if __name__ == "__main__":
    main()
