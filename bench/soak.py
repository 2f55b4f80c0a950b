"""Soak and scale-out: the portal as several machines would run it, on one loopback host.

Two web instances (gunicorn, 4 synchronous workers each, on two ports, as two hosts behind a
load balancer), two RQ workers (every queue) and one scheduler plus a SECOND scheduler (to
prove periodic jobs still run once per period), one database, one Redis, an SMTP sink. 30
simulated people for `--minutes` (default 10), every request sent to either instance at
random (a load balancer without sticky sessions; each person has a client address of their
own through X-Forwarded-For, as behind one proxy):
- 20 reps edit grid cells (compare-and-set with the value they last saw), reading their grid
  back through the OTHER instance after each save (is the edit visible there?), and
  download their workbook and upload it back for a preview;
- 4 reps submit their plan once; 3 managers open the board and the cycle page and approve
  what is submitted;
- 3 admins request reports (the same request again after a rep's save must be rebuilt, not
  served from a cache: checked across instances) and import a small items file.
A minutely job is added to the schedule for the run; both schedulers run it (and the real
schedule). At the end every acknowledged save is compared with the database, and the RSS of
every process (after a warm-up) with its RSS at the start.
Figures: a table, then ONE JSON line.  Usage: python bench/soak.py [--minutes N] [--max-requests N]
"""

from __future__ import annotations

import argparse
import io
import logging
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import warnings
from collections import defaultdict
from datetime import UTC, datetime
from http.cookiejar import CookieJar
from pathlib import Path
from typing import Any

from common import ROOT, bench_app, bench_services, print_result, print_table

from sop.dev.loopback import multipart_form
from sop.dev.stack import SmtpSink, free_port, wait_for_port

PASSWORD = "Soak-test-2026"
REPS, SUBMITTERS, MANAGERS, ADMINS = 20, 4, 3, 3
CUSTOMERS_PER_REP, ITEMS = 3, 12
TOKEN = re.compile(r'"X-CSRFToken": "([^"]+)"')
FORM_TOKEN = re.compile(r'name="csrf_token"(?: type="hidden")? value="([^"]+)"')
TICK_ID = "soak-tick"  # not "schedule-...": register_schedule keeps only SCHEDULE there
TICKS_KEY = "soak:ticks"


# --- the people ----------------------------------------------------------------------------

class Stats:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.timings: dict[str, list[float]] = defaultdict(list)
        self.statuses: dict[int, int] = defaultdict(int)
        self.server_errors: list[str] = []
        self.requests = 0
        self.acknowledged: dict[tuple[str, int], float] = {}  # (line, bucket) -> last value
        self.visible: list[bool] = []
        self.invalidated: list[bool] = []
        self.approved = self.imports = self.uploads = self.reports = self.saves_ok = 0

    def record(self, kind: str, ms: float, status: int, path: str) -> None:
        with self.lock:
            self.requests += 1
            self.timings[kind].append(ms)
            self.statuses[status] += 1
            if status >= 500:
                self.server_errors.append(f"{status} {path}")


class Person:
    """One signed-in browser; each request goes to one of the instances at random."""

    def __init__(self, bases: list[str], stats: Stats, address: str, seed: int) -> None:
        self.bases, self.stats, self.address = bases, stats, address
        self.random = random.Random(seed)
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(CookieJar()))
        self.token = ""

    def send(self, kind: str, path: str, data: bytes | None = None,
             headers: dict[str, str] | None = None, base: str | None = None
             ) -> tuple[int, str]:
        request = urllib.request.Request(  # noqa: S310 - our own loopback servers
            (base or self.random.choice(self.bases)) + path, data=data,
            headers={"X-Forwarded-For": self.address, **(headers or {})})
        started = time.perf_counter()
        try:
            with self.opener.open(request, timeout=60) as response:
                status, body = response.status, response.read()
        except urllib.error.HTTPError as error:
            status, body = error.code, error.read()
        except OSError as error:
            status, body = 599, str(error).encode()
        self.stats.record(kind, (time.perf_counter() - started) * 1000, status, path)
        return status, body.decode(errors="replace")

    def form(self, kind: str, path: str, fields: dict[str, str], base: str | None = None):
        return self.send(kind, path, urllib.parse.urlencode(fields).encode(), base=base)

    def htmx(self, kind: str, path: str, fields: dict[str, str], base: str | None = None):
        return self.send(kind, path, urllib.parse.urlencode(fields).encode(),
                         {"HX-Request": "true", "X-CSRFToken": self.token}, base)

    def upload(self, kind: str, path: str, fields: dict[str, str], name: str, data: bytes):
        body, content_type = multipart_form(fields, name, data)
        return self.send(kind, path, body, {"Content-Type": content_type})

    def sign_in(self, email: str) -> None:
        _, page = self.send("sign_in", "/login")
        self.form("sign_in", "/login", {"csrf_token": FORM_TOKEN.search(page).group(1),
                                        "email": email, "password": PASSWORD})
        self.token = TOKEN.search(self.send("page", "/profile")[1]).group(1)

    def other_base(self, base: str) -> str:
        return next(b for b in self.bases if b != base)

    def think(self) -> None:
        time.sleep(self.random.uniform(0.5, 1.5))


def rep_loop(person: Person, plan: dict[str, Any], until: float, stop: threading.Event
             ) -> None:
    """Edit cells, read each edit back through the other instance; now and then the
    workbook round trip (download, upload for a preview)."""
    counter = 0
    while time.monotonic() < until and not stop.is_set():
        line = person.random.choice(plan["lines"])
        bucket = person.random.randrange(12)
        key = (line["id"], bucket)
        was = person.stats.acknowledged.get(key, line["qty"][bucket])
        counter += 1
        value = float(100 + (plan["number"] * 37 + counter) % 800)
        if value == was:
            value += 1
        base = person.random.choice(person.bases)
        status, _ = person.htmx("save", "/forecast/cell", {
            "cycle": plan["cycle"], "customer": line["customer"], "product": line["product"],
            "line": line["id"], "field": "qty", "bucket": str(bucket), "value": f"{value:g}",
            "was": f"{was:g}"}, base=base)
        if status == 200:
            with person.stats.lock:
                person.stats.acknowledged[key] = value
                person.stats.saves_ok += 1
            _, page = person.send("grid", f"/forecast?cycle={plan['cycle']}&customer="
                                  f"{line['customer']}", base=person.other_base(base))
            label = f'aria-label="{line["code"]} M{bucket + 1} cases"'
            shown = re.search(rf'value="{value:g}"[^>]*{re.escape(label)}', page) is not None
            with person.stats.lock:
                person.stats.visible.append(shown)
        if counter % 25 == 0:
            workbook_round_trip(person, plan)
        person.think()


def workbook_round_trip(person: Person, plan: dict[str, Any]) -> None:
    status, _ = person.send("page", "/workbooks")
    request = urllib.request.Request(  # noqa: S310
        person.random.choice(person.bases) + f"/workbooks/download?cycle={plan['cycle']}",
        headers={"X-Forwarded-For": person.address})
    started = time.perf_counter()
    try:
        with person.opener.open(request, timeout=60) as response:
            data, status = response.read(), response.status
            name = re.search(r'filename="?([^";]+)', response.headers.get(
                "Content-Disposition", "")) or None
    except urllib.error.HTTPError as error:
        data, status, name = b"", error.code, None
    person.stats.record("workbook_download", (time.perf_counter() - started) * 1000, status,
                        "/workbooks/download")
    if status != 200 or not data:
        return
    _, page = person.send("page", "/workbooks")
    token = FORM_TOKEN.search(page)
    if token:
        status, _ = person.upload("workbook_upload", "/workbooks/upload",
                                  {"csrf_token": token.group(1), "cycle": plan["cycle"],
                                   "rep": str(plan["user"].pk)},
                                  name.group(1) if name else "workbook.xlsx", data)
        with person.stats.lock:
            person.stats.uploads += status == 200


def submitter_loop(person: Person, until: float, stop: threading.Event) -> None:
    """Submit once, then keep reading the dashboard."""
    person.htmx("submit", "/submissions/submit", {})
    while time.monotonic() < until and not stop.is_set():
        person.send("page", "/")
        person.think()
        person.think()


def manager_loop(person: Person, services: dict[str, Any], cycle: str, until: float,
                 stop: threading.Event) -> None:
    from pymongo import MongoClient

    database = MongoClient(services["mongo_uri"]).get_default_database()
    while time.monotonic() < until and not stop.is_set():
        person.send("board", "/submissions")
        person.send("page", f"/cycles/{cycle}")
        for submission in database.submissions.find({"status": "submitted"}).limit(1):
            status, _ = person.htmx("approve", f"/submissions/{submission['_id']}/approve",
                                    {"view": "board"})
            with person.stats.lock:
                person.stats.approved += status == 200
        person.think()
        person.think()


def admin_loop(person: Person, services: dict[str, Any], cycle: str, edit: Any,
               until: float, stop: threading.Event) -> None:
    """Reports (the same one before and after a save: rebuilt, whichever instance) and a
    small items import now and then."""
    from pymongo import MongoClient

    database = MongoClient(services["mongo_uri"]).get_default_database()
    rounds = 0
    while time.monotonic() < until and not stop.is_set():
        rounds += 1
        first = request_report(person, database, cycle)
        if first is not None:
            edit()  # a rep's save lands (through an instance) after the report was built
            second = request_report(person, database, cycle)
            if second is not None:
                with person.stats.lock:
                    person.stats.invalidated.append(not second.get("cached"))
        if rounds % 3 == 0:
            import_items(person, database, rounds)
        person.send("page", "/admin/jobs")
        person.think()


def request_report(person: Person, database: Any, cycle: str) -> dict | None:
    status, _ = person.htmx("report_request", "/reports", {"kind": "consolidated",
                                                            "cycle": cycle})
    if status != 200:
        return None
    report = database.reports.find_one({"requested_by": person.user_id},
                                       sort=[("created_at", -1)])
    deadline = time.monotonic() + 120
    while report and report["status"] in ("queued", "running") and time.monotonic() < deadline:
        time.sleep(0.5)
        person.send("report_poll", f"/reports/{report['_id']}", headers={"HX-Request": "true"})
        report = database.reports.find_one({"_id": report["_id"]})
    if report and report["status"] == "done":
        person.send("report_download", f"/reports/{report['_id']}/download")
        with person.stats.lock:
            person.stats.reports += 1
        return report
    return None


def import_items(person: Person, database: Any, number: int) -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["Item Code*", "Description*", "UoM*"])
    for n in range(20):
        sheet.append([f"{900000 + n}", f"Soak item {n} round {number}", "CS"])
    buffer = io.BytesIO()
    book.save(buffer)
    _, page = person.send("page", "/imports")
    person.upload("import_upload", "/imports", {
        "csrf_token": FORM_TOKEN.search(page).group(1), "kind": "products"},
        "items.xlsx", buffer.getvalue())
    record = database.import_logs.find_one({"uploaded_by": person.user_id},
                                           sort=[("created_at", -1)])
    deadline = time.monotonic() + 60
    while record and record["status"] in ("uploaded", "validating") and \
            time.monotonic() < deadline:
        time.sleep(0.5)
        record = database.import_logs.find_one({"_id": record["_id"]})
    if record and record["status"] == "validated":
        _, page = person.send("page", f"/imports/{record['_id']}")
        person.form("import_confirm", f"/imports/{record['_id']}/confirm",
                    {"csrf_token": FORM_TOKEN.search(page).group(1)})
        with person.stats.lock:
            person.stats.imports += 1


# --- the company and the processes ----------------------------------------------------------

def load_company(services: dict[str, Any]) -> dict[str, Any]:
    from sop.clock import now
    from sop.models import Customer, Cycle, ForecastLine, PriceEntry, Product
    from sop.settings import store_value
    from sop.users.services import create_user

    app = bench_app(services)
    with app.app_context():
        store_value("rate_limit_requests_per_minute", 10000, "soak")
        today = now().date()
        cycle = Cycle(year=today.year, month=today.month, name="Soak cycle",
                      planning_start=today.replace(day=1), status="open",
                      close_date=today.replace(day=28)).save()
        products = Product.objects.insert([Product(item_code=f"{800000 + n}",
                                                   description=f"Soak item {n}")
                                           for n in range(ITEMS)])
        people: dict[str, list] = {"rep": [], "submitter": [], "manager": [], "admin": []}
        for role, count, kind in (("sales_rep", REPS, "rep"), ("sales_rep", SUBMITTERS,
                                  "submitter"), ("manager", MANAGERS, "manager"),
                                  ("admin", ADMINS, "admin")):
            for n in range(count):
                user = create_user(None, f"{kind}{n}@example.com", f"{kind.title()} {n}",
                                   role, PASSWORD)
                plan: dict[str, Any] = {"user": user, "email": user.email, "number": n,
                                        "cycle": str(cycle.pk), "lines": []}
                if role == "sales_rep":
                    for c in range(CUSTOMERS_PER_REP):
                        customer = Customer(code=f"SOAK-{kind[0]}{n:02d}{c}",
                                            name=f"{kind} {n} customer {c}",
                                            sop_name=f"{kind.upper()} {n} C{c}",
                                            sales_rep=user).save()
                        for product in products:
                            PriceEntry(customer=customer, product=product, price=10.0).save()
                            line = ForecastLine(cycle=cycle, rep=user, customer=customer,
                                                product=product, qty=[5.0] * 16,
                                                price=[None] * 16).save()
                            plan["lines"].append({"id": str(line.pk),
                                                  "customer": str(customer.pk),
                                                  "product": str(product.pk),
                                                  "code": product.item_code,
                                                  "qty": [5.0] * 16})
                people[kind].append(plan)
        return {"cycle": str(cycle.pk), "people": people}


def add_minutely_tick(services: dict[str, Any]) -> None:
    """A periodic job every minute, beside the real schedule, so a short run has periods."""
    from redis import Redis

    from sop.jobs.schedule import make_scheduler

    scheduler = make_scheduler(Redis.from_url(services["redis_url"]))
    scheduler.cron("* * * * *", func="soak_tick.tick", id=TICK_ID, queue_name="default",
                   result_ttl=3600)


def start(name: str, args: list[str], env: dict[str, str], logs: Path) -> subprocess.Popen:
    log = (logs / f"{name}.log").open("w")
    return subprocess.Popen(args, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)


def family(pid: int) -> list[int]:
    """A process and its children (gunicorn's workers, a worker's scheduler child)."""
    found = [pid]
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(stat.parent.name))
        except (OSError, ValueError):
            continue
    return found


def rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--max-requests", type=int, default=200_000)
    args = parser.parse_args()
    logs = Path(os.environ.get("SOAK_LOGS") or tempfile.mkdtemp(prefix="soak-"))
    logs.mkdir(parents=True, exist_ok=True)
    print(f"Process logs in {logs}", flush=True)
    logging.getLogger("mail.log").setLevel(logging.WARNING)  # the sink's per-message lines
    warnings.filterwarnings("ignore", category=FutureWarning)  # croniter, via rq-scheduler
    with bench_services() as services:
        sink = SmtpSink(logs / "mail", free_port()).start()
        services["sink"] = sink
        started = time.perf_counter()
        logging.getLogger("sop").setLevel(logging.WARNING)  # not an audit line per seeded user
        company = load_company(services)
        add_minutely_tick(services)
        seeded = time.perf_counter() - started
        env = {**os.environ, "SOP_ENV": "test", "MONGODB_URI": services["mongo_uri"],
               "REDIS_URL": services["redis_url"], "MAIL_SERVER": "127.0.0.1",
               "MAIL_PORT": str(sink.port), "LOG_LEVEL": "WARNING", "TRUSTED_PROXY_COUNT": "1",
               "PYTHONPATH": str(ROOT / "bench"), "PYTHONUNBUFFERED": "1"}
        ports = [free_port(), free_port()]
        gunicorn = str(ROOT / ".venv" / "bin" / "gunicorn")
        processes = {
            f"web{n + 1}": start(f"web{n + 1}", [gunicorn, "--workers", "4", "--bind",
                                                 f"127.0.0.1:{port}", "--timeout", "120",
                                                 "wsgi:app"], env, logs)
            for n, port in enumerate(ports)}
        for name, extra in (("worker1", []), ("worker2", []), ("scheduler1", ["--scheduler"]),
                            ("scheduler2", ["--scheduler"])):
            processes[name] = start(name, [sys.executable, "worker.py", *extra], env, logs)
        try:
            for port, name in zip(ports, ("web1", "web2"), strict=True):
                wait_for_port(port, processes[name], name, timeout=90)
            figures = run_people(args, services, company, [f"http://127.0.0.1:{p}" for p in
                                                            ports], processes)
        finally:
            for process in processes.values():
                process.terminate()
            for process in processes.values():
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    process.kill()
            sink.stop()
        figures["seed_seconds"] = round(seeded, 1)
        figures.update(check_database(services, figures.pop("acknowledged")))
        report(figures)
    return 0


def run_people(args: Any, services: dict[str, Any], company: dict[str, Any],
               bases: list[str], processes: dict[str, subprocess.Popen]) -> dict[str, Any]:
    stats = Stats()
    stop = threading.Event()
    people = company["people"]
    until = time.monotonic() + args.minutes * 60
    threads = []
    persons = []
    for kind, plans in people.items():
        for plan in plans:
            person = Person(bases, stats, f"10.0.{len(persons) // 250}.{len(persons) % 250 + 1}",
                            seed=len(persons))
            person.user_id = plan["user"].pk
            person.sign_in(plan["email"])
            persons.append((kind, person, plan))

    reps = [(person, plan) for kind, person, plan in persons if kind == "rep"]

    def a_rep_saves() -> None:
        person, plan = random.choice(reps)
        line = plan["lines"][0]
        with stats.lock:
            was = stats.acknowledged.get((line["id"], 15), 5.0)
        value = was + 1
        status, _ = person.htmx("save", "/forecast/cell", {
            "cycle": plan["cycle"], "customer": line["customer"], "product": line["product"],
            "line": line["id"], "field": "qty", "bucket": "15", "value": f"{value:g}",
            "was": f"{was:g}"})
        if status == 200:
            with stats.lock:
                stats.acknowledged[(line["id"], 15)] = value
                stats.saves_ok += 1

    for kind, person, plan in persons:
        if kind == "rep":
            target, extra = rep_loop, (plan,)
        elif kind == "submitter":
            target, extra = submitter_loop, ()
        elif kind == "manager":
            target, extra = manager_loop, (services, company["cycle"])
        else:
            target, extra = admin_loop, (services, company["cycle"], a_rep_saves)
        threads.append(threading.Thread(target=target, args=(person, *extra, until, stop),
                                        daemon=True))
    warm_up = min(30.0, args.minutes * 60 / 6)
    for thread in threads:
        thread.start()
    time.sleep(warm_up)
    pids = {name: family(process.pid) for name, process in processes.items()}
    rss_start = {(name, pid): rss_mb(pid) for name, group in pids.items() for pid in group}
    while time.monotonic() < until and stats.requests < args.max_requests:
        time.sleep(1)
    stop.set()
    for thread in threads:
        thread.join(timeout=150)
    rss_end = {key: rss_mb(key[1]) for key in rss_start}
    growth = {f"{name}:{pid}": round((rss_end[(name, pid)] / before - 1) * 100, 1)
              for (name, pid), before in rss_start.items()
              if before and rss_end[(name, pid)]}
    return {"stats": stats, "rss_growth_pct": growth, "warm_up_seconds": warm_up,
            "minutes": args.minutes, "acknowledged": dict(stats.acknowledged)}


def check_database(services: dict[str, Any], acknowledged: dict) -> dict[str, Any]:
    """Saves lost: a cell whose last acknowledged value the database does not hold (each rep
    edits only their own cells; the admins' extra saves share one cell per rep line and may
    meet a 409 from each other, a refusal, not a loss). Periodic runs: the
    minutely job's runs per minute (two schedulers: exactly one each)."""
    from bson import ObjectId
    from pymongo import MongoClient
    from redis import Redis
    from rq_scheduler import Scheduler

    database = MongoClient(services["mongo_uri"]).get_default_database()
    lines = {str(d["_id"]): d["qty"] for d in database.forecast_lines.find(
        {"_id": {"$in": [ObjectId(line) for line, _ in acknowledged]}}, {"qty": 1})}
    lost = sum(1 for (line, bucket), value in acknowledged.items()
               if lines.get(line, [None] * 16)[bucket] != value)
    redis = Redis.from_url(services["redis_url"])
    runs = [datetime.fromtimestamp(float(t), UTC) for t in redis.lrange(TICKS_KEY, 0, -1)]
    per_minute: dict[str, int] = defaultdict(int)
    for moment in runs:
        per_minute[moment.strftime("%H:%M")] += 1
    scheduled = [job.id for job in Scheduler(connection=redis).get_jobs()]
    return {"saves_acknowledged": len(acknowledged), "saves_lost": lost,
            "periodic_runs_per_minute": dict(sorted(per_minute.items())),
            "periodic_once_per_period": bool(per_minute) and set(per_minute.values()) == {1},
            "schedule_entries": len(scheduled),
            "schedule_entries_unique": len(scheduled) == len(set(scheduled))}


def report(figures: dict[str, Any]) -> None:
    stats: Stats = figures.pop("stats")
    kinds = {kind: {"count": len(times), "p50_ms": round(statistics.median(times), 1),
                    "p95_ms": round(percentile(times, 0.95), 1)}
             for kind, times in sorted(stats.timings.items())}
    growth = figures.pop("rss_growth_pct")
    worst = max(growth.items(), key=lambda item: item[1]) if growth else ("none", 0.0)
    rows = [(f"{kind} (n={v['count']})", f"p50 {v['p50_ms']} ms, p95 {v['p95_ms']} ms")
            for kind, v in kinds.items()]
    rows += [("requests", str(stats.requests)),
             ("statuses", ", ".join(f"{k}: {v}" for k, v in sorted(stats.statuses.items()))),
             ("5xx", str(len(stats.server_errors))),
             ("saves acknowledged (cells) / lost", f"{stats.saves_ok} "
              f"({figures['saves_acknowledged']}) / {figures['saves_lost']}"),
             ("edit visible through the other instance",
              f"{sum(stats.visible)} of {len(stats.visible)}"),
             ("report rebuilt after a save (not cached)",
              f"{sum(stats.invalidated)} of {len(stats.invalidated)}"),
             ("periodic job runs per minute", str(figures["periodic_runs_per_minute"])),
             ("approvals, imports, workbook previews, reports",
              f"{stats.approved}, {stats.imports}, {stats.uploads}, {stats.reports}"),
             ("RSS growth, worst process", f"{worst[0]} {worst[1]} %")]
    print_table(rows)
    print_result({
        "minutes": figures["minutes"], "requests": stats.requests, "kinds": kinds,
        "server_errors_5xx": len(stats.server_errors),
        "server_error_samples": stats.server_errors[:5],
        "saves_acknowledged": stats.saves_ok, "cells_checked": figures["saves_acknowledged"],
        "saves_lost": figures["saves_lost"],
        "edit_visible_across_instances": bool(stats.visible) and all(stats.visible),
        "edits_checked_across_instances": len(stats.visible),
        "report_cache_invalidated_across_instances":
            bool(stats.invalidated) and all(stats.invalidated),
        "report_cache_checks": len(stats.invalidated),
        "periodic_once_per_period": figures["periodic_once_per_period"],
        "periodic_runs_per_minute": figures["periodic_runs_per_minute"],
        "schedule_entries_unique": figures["schedule_entries_unique"],
        "approvals": stats.approved, "imports": stats.imports,
        "workbook_previews": stats.uploads, "reports": stats.reports,
        "rss_growth_pct_max": worst[1], "rss_growth_pct_max_process": worst[0],
        "rss_growth_within_10pct": worst[1] <= 10, "warm_up_seconds": figures["warm_up_seconds"],
        "seed_seconds": figures["seed_seconds"]})


if __name__ == "__main__":
    sys.exit(main())
