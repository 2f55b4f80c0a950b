"""The forecast grid over real HTTP against gunicorn as production runs it (README: 4
synchronous workers), on the mid-size company with an open cycle of ~20,000 lines x 16 months
(bench/cycle_data.py):
- render of the grid of one customer with 200 items (p50/p95; target p95 ≤ 250 ms), each
  line with its baseline row, and the same grid without baselines (the ratio is the cost of
  the baseline rows, measured in the same run);
- cell-save round trip with 10 reps saving concurrently, each in its own session, at a
  typing pace (one cell every --pace-ms each; target p95 ≤ 40 ms) and then back to back
  (saturation); then the final values, versions and audit entries are checked in the
  database: no lost or duplicated save.
Usage: python bench/grid.py [--renders N] [--saves N] [--pace-ms MS]"""

from __future__ import annotations

import argparse
import os
import random
import re
import statistics
import sys
import threading
import time
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar
from typing import Any

from common import bench_app, bench_services, gunicorn, print_result, print_table
from cycle_data import BIG_CUSTOMER, BIG_ITEMS, CYCLE_LABEL, load_company_with_cycle

from sop.db import raw_collection

REPS = 10
TOKEN = re.compile(r'"X-CSRFToken": "([^"]+)"')


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


class Session:
    """One signed-in browser: cookies, and the CSRF token htmx sends as a header."""

    def __init__(self, base: str, email: str, password: str) -> None:
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(CookieJar()))
        page = self.opener.open(f"{base}/login").read().decode()
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        body = urllib.parse.urlencode({"csrf_token": token, "email": email,
                                       "password": password}).encode()
        self.opener.open(f"{base}/login", data=body).read()
        self.token = TOKEN.search(self.opener.open(f"{base}/profile").read().decode()).group(1)

    def get(self, path: str) -> tuple[int, bytes]:
        with self.opener.open(self.base + path) as response:
            return response.status, response.read()

    def htmx_post(self, path: str, data: dict[str, str]) -> tuple[int, bytes]:
        request = urllib.request.Request(  # noqa: S310 - our own http:// server
            self.base + path, data=urllib.parse.urlencode(data).encode(),
            headers={"HX-Request": "true", "X-CSRFToken": self.token})
        try:
            with self.opener.open(request) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()


def timed(call, *args) -> tuple[float, Any]:
    started = time.perf_counter()
    result = call(*args)
    return (time.perf_counter() - started) * 1000, result


def plan_saves(services: dict, accounts: list, saves: int) -> tuple[str, dict[str, list]]:
    """Per rep: `saves` cell edits over own lines of one customer: 8 lines x 4 buckets,
    each cell edited in turn (so many saves hit different cells of the same line at once
    across the round, and the same cell again later with the value it now holds)."""
    from sop.models import Customer, Cycle, ForecastLine, User

    app = bench_app(services)
    with app.app_context():
        cycle = Cycle.objects.get(year=int(CYCLE_LABEL[:4]), month=int(CYCLE_LABEL[5:]))
        plans: dict[str, list] = {}
        for email, role, _ in accounts:
            if role != "sales_rep":
                continue
            rep = User.objects.get(email=email)
            customer = Customer.objects(sales_rep=rep, code__ne=BIG_CUSTOMER).order_by(
                "code").first()
            lines = list(raw_collection(ForecastLine).find(
                {"cycle": cycle.pk, "rep": rep.pk, "customer": customer.pk},
                {"product": 1, "qty": 1}).limit(8))
            cells = [(line, bucket) for bucket in range(4) for line in lines]
            plans[email] = [
                {"cycle": str(cycle.pk), "customer": str(customer.pk),
                 "product": str(line["product"]), "field": "qty", "bucket": str(bucket),
                 "line": line["_id"], "number": i + 1} for i, (line, bucket) in
                enumerate(cells[i % len(cells)] for i in range(saves))]
            start_values = {(line["_id"], b): line["qty"][b] for line in lines for b in range(4)}
            for step in plans[email]:
                step["start"] = start_values[(step["line"], int(step["bucket"]))]
        return str(cycle.pk), plans


def save_loop(session: Session, steps: list[dict], held: dict, pace_ms: float,
              timings: list[float], outcomes: dict, lock: threading.Lock) -> None:
    """One rep typing: each save carries the value the rep last saw in that cell; with
    `pace_ms` the next cell is sent about that long after the previous one (Tab, type,
    Tab...: 0.5 to 1.5 times the pace, reps starting at random moments, as independent people
    do; in lockstep the 10 reps would all hit the server in the same millisecond), with 0
    back to back."""
    jitter = random.Random(steps[0]["customer"] if steps else 0)  # the same each run
    time.sleep(jitter.uniform(0, pace_ms / 1000))
    for step in steps:
        started = time.perf_counter()
        key = (step["line"], step["bucket"])
        was = held.get(key, step["start"])
        value = float(1000 + step["number"])
        data = {k: step[k] for k in ("cycle", "customer", "product", "field", "bucket")}
        data["line"] = str(step["line"])  # the page carries each row's line id
        data.update(value=f"{value:g}", was="" if was is None else f"{was:g}")
        elapsed, (status, _body) = timed(session.htmx_post, "/forecast/cell", data)
        with lock:
            timings.append(elapsed)
            outcomes[status] = outcomes.get(status, 0) + 1
        if status == 200:
            held[key] = value
        pause = pace_ms / 1000 * jitter.uniform(0.5, 1.5)
        time.sleep(max(0.0, pause - (time.perf_counter() - started)))


def save_phase(sessions: dict, plans: dict, held: dict, part: slice, pace_ms: float
               ) -> tuple[list[float], dict, float]:
    """All reps at once, each in its own thread and session."""
    timings: list[float] = []
    outcomes: dict = {}
    lock = threading.Lock()
    threads = [threading.Thread(target=save_loop, args=(
        sessions[email], steps[part], held[email], pace_ms, timings, outcomes, lock))
        for email, steps in plans.items()]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return timings, outcomes, time.perf_counter() - started


def check_database(services: dict, plans: dict[str, list], finals: dict) -> dict[str, int]:
    """Every accepted save is in the database: final values, one version step and one audit
    entry per save."""
    from sop.models import AuditEntry, ForecastLine

    app = bench_app(services)
    wrong_values = wrong_versions = 0
    with app.app_context():
        per_line: dict = {}
        for steps in plans.values():
            for step in steps:
                per_line[step["line"]] = per_line.get(step["line"], 0) + 1
        docs = {d["_id"]: d for d in raw_collection(ForecastLine).find(
            {"_id": {"$in": list(per_line)}}, {"qty": 1, "version": 1})}
        for (line_id, bucket), value in finals.items():
            if docs[line_id]["qty"][int(bucket)] != value:
                wrong_values += 1
        for line_id, count in per_line.items():
            if docs[line_id]["version"] != 1 + count:
                wrong_versions += 1
        audits = AuditEntry.objects(action="forecast_line_updated").count()
    return {"cells checked": len(finals), "lines checked": len(per_line),
            "wrong final values": wrong_values, "wrong versions": wrong_versions,
            "audit entries": audits, "saves sent": sum(per_line.values())}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--renders", type=int, default=40, help="grid renders measured")
    parser.add_argument("--saves", type=int, default=60,
                        help="cell saves per rep in each of the two phases")
    parser.add_argument("--pace-ms", type=float, default=1000,
                        help="a rep's time from one cell save to the next (typing pace)")
    options = parser.parse_args()
    load_before = os.getloadavg()
    with bench_services() as services:
        accounts = load_company_with_cycle(services, previous=True, baselines=True)
        cycle_id, plans = plan_saves(services, accounts, 2 * options.saves)
        with gunicorn(services) as base:
            passwords = {email: password for email, _, password in accounts}
            big_rep, big_customer = big_customer_of(services)
            viewer = Session(base, big_rep, passwords[big_rep])
            grid_path = f"/forecast?cycle={cycle_id}&customer={big_customer}"
            _status, body = viewer.get(grid_path)
            rows = body.count(b'class="price-row"')
            baseline_rows = body.count(b'class="baseline-row"')
            html_kb = len(body) / 1024
            for _ in range(3):
                viewer.get(grid_path)
            renders = [timed(viewer.get, grid_path)[0] for _ in range(options.renders)]
            drop_baselines(services, big_customer)
            bare_kb = len(viewer.get(grid_path)[1]) / 1024
            bare = [timed(viewer.get, grid_path)[0] for _ in range(options.renders)]
            health = [timed(viewer.get, "/profile")[0] for _ in range(20)]

            sessions = {email: Session(base, email, passwords[email]) for email in plans}
            for session in sessions.values():  # warm each session's connection
                session.get("/profile")
            held: dict[str, dict] = {email: {} for email in plans}
            half = options.saves
            timings, outcomes, seconds = save_phase(sessions, plans, held, slice(0, half),
                                                    options.pace_ms)
            burst, burst_outcomes, burst_seconds = save_phase(sessions, plans, held,
                                                              slice(half, None), 0)
        finals = {key: value for cells in held.values() for key, value in cells.items()}
        check = check_database(services, plans, finals)
        for status, count in burst_outcomes.items():
            outcomes[status] = outcomes.get(status, 0) + count
    load_after = os.getloadavg()
    render_p95, save_p95 = percentile(renders, .95), percentile(timings, .95)
    print_table([
        ("grid rows (items)", f"{rows} (target customer: {BIG_ITEMS}), {html_kb:,.0f} KB"),
        ("baseline rows", f"{baseline_rows} (one under each line)"),
        ("grid render without baselines",
         f"p50 {percentile(bare, .5):6.1f} ms   p95 {percentile(bare, .95):6.1f} ms   "
         f"{bare_kb:,.0f} KB; with them / without (p50): "
         f"{percentile(renders, .5) / percentile(bare, .5):.2f}"),
        ("grid render", f"p50 {percentile(renders, .5):6.1f} ms   p95 {render_p95:6.1f} ms   "
                        f"mean {statistics.mean(renders):6.1f} ms   n={len(renders)}"),
        (f"cell save, 10 reps, 1 per {options.pace_ms:g} ms each",
         f"p50 {percentile(timings, .5):6.1f} ms   p95 {save_p95:6.1f} ms   "
         f"mean {statistics.mean(timings):6.1f} ms   n={len(timings)} in {seconds:.1f} s"),
        ("cell save, 10 reps back to back",
         f"p50 {percentile(burst, .5):6.1f} ms   p95 {percentile(burst, .95):6.1f} ms   "
         f"n={len(burst)} in {burst_seconds:.1f} s ({len(burst) / burst_seconds:.0f}/s, "
         "saturation)"),
        ("save statuses", ", ".join(f"{k}: {v}" for k, v in sorted(outcomes.items()))),
        ("baseline /profile", f"p50 {percentile(health, .5):6.1f} ms"),
        *((name, str(value)) for name, value in check.items()),
        ("no lost or duplicated save", "yes" if check["wrong final values"] == 0
         and check["wrong versions"] == 0 and check["audit entries"] == check["saves sent"]
         and outcomes == {200: check["saves sent"]} else "NO"),
        ("gunicorn", "4 synchronous workers (README's production command)"),
        ("load average", f"{load_before[0]:.2f} before, {load_after[0]:.2f} after "
                         f"({os.cpu_count()} cores, shared machine)"),
        ("targets", "grid p95 ≤ 250 ms, save p95 ≤ 40 ms"),
    ])
    print_result({
        "grid_rows": rows, "baseline_rows": baseline_rows,
        "grid_without_baselines_p50_ms": round(percentile(bare, .5), 1),
        "baseline_rows_ratio": round(percentile(renders, .5) / percentile(bare, .5), 2),
        "grid_p50_ms": round(percentile(renders, .5), 1),
        "grid_p95_ms": round(render_p95, 1), "save_p50_ms": round(percentile(timings, .5), 1),
        "save_p95_ms": round(save_p95, 1), "saves": len(timings) + len(burst),
        "reps": len(plans), "pace_ms": options.pace_ms,
        "burst_save_p50_ms": round(percentile(burst, .5), 1),
        "burst_save_p95_ms": round(percentile(burst, .95), 1),
        "burst_saves_per_s": round(len(burst) / burst_seconds, 1),
        "wrong_values": check["wrong final values"], "wrong_versions": check["wrong versions"],
        "audit_entries": check["audit entries"], "profile_p50_ms": round(
            percentile(health, .5), 1), "load_avg_1m": round(load_after[0], 2)})


def drop_baselines(services: dict, customer_id: str) -> None:
    """The customer's baselines removed: its grid as it was before baselines existed."""
    from sop.models import BaselineLine

    with bench_app(services).app_context():
        BaselineLine.objects(customer=customer_id).delete()


def big_customer_of(services: dict) -> tuple[str, str]:
    from sop.models import Customer

    app = bench_app(services)
    with app.app_context():
        customer = Customer.objects.get(code=BIG_CUSTOMER)
        return customer.sales_rep.email, str(customer.pk)


if __name__ == "__main__":
    sys.exit(main())
