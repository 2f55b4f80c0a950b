"""Render times of the master-data list pages with the mid-size company loaded: customers,
items and sales history filtered by one customer, requested by 4 concurrent signed-in
clients over real HTTP against gunicorn. Prints p50/p95 per page (target p95 ≤ 150 ms).
Usage: python bench/list_pages.py [--rounds N]"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import threading
import time
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar

from common import bench_app, bench_services, gunicorn, print_result, print_table
from gen_data import company

CLIENTS = 4
PAGES = {
    "customers": "/customers",
    "items": "/items",
    "sales (one customer)": "/sales?customer={customer}",
}


def load_company(services: dict) -> tuple[str, str]:
    """The mid-size company with its sales; returns an admin's e-mail and password."""
    from sop.dev.demo_seed import create_accounts, load_master_data
    from sop.settings import store_value

    app = bench_app(services)
    with app.app_context():
        generated = company()
        accounts = create_accounts(generated)
        counts = load_master_data(generated)
        store_value("rate_limit_requests_per_minute", 10000, "bench")
    print_table([(name, f"{n:,}") for name, n in counts.items()])
    email, _, password = accounts[0]
    return email, password


def signed_in_opener(base: str, email: str, password: str) -> urllib.request.OpenerDirector:
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
    page = opener.open(f"{base}/login").read().decode()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    body = urllib.parse.urlencode({"csrf_token": token, "email": email,
                                   "password": password}).encode()
    opener.open(f"{base}/login", data=body).read()
    return opener


def client_loop(opener: urllib.request.OpenerDirector, base: str, paths: dict[str, str],
                rounds: int, timings: dict[str, list[float]], lock: threading.Lock) -> None:
    for _ in range(rounds):
        for name, path in paths.items():
            started = time.perf_counter()
            with opener.open(base + path) as response:
                response.read()
                assert response.status == 200
            elapsed = (time.perf_counter() - started) * 1000
            with lock:
                timings[name].append(elapsed)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=40, help="rounds per client")
    rounds = parser.parse_args().rounds
    with bench_services() as services:
        email, password = load_company(services)
        customer = company().customers[0].code
        with gunicorn(services, workers=2, threads=4) as base:
            paths = {name: path.format(customer=customer) for name, path in PAGES.items()}
            openers = [signed_in_opener(base, email, password) for _ in range(CLIENTS)]
            client_loop(openers[0], base, paths, 2, {n: [] for n in paths}, threading.Lock())
            timings: dict[str, list[float]] = {name: [] for name in paths}
            lock = threading.Lock()
            threads = [threading.Thread(target=client_loop, args=(o, base, paths, rounds,
                                                                  timings, lock))
                       for o in openers]
            started = time.perf_counter()
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            seconds = time.perf_counter() - started
    rows = [(name, f"p50 {percentile(v, .5):6.1f} ms   p95 {percentile(v, .95):6.1f} ms   "
                   f"mean {statistics.mean(v):6.1f} ms   n={len(v)}")
            for name, v in timings.items()]
    print_table([("clients", str(CLIENTS)), *rows, ("target", "p95 ≤ 150 ms each")])
    figures = {f"{name.split()[0]}_p95_ms": round(percentile(v, .95), 1)
               for name, v in timings.items()}
    figures.update({f"{name.split()[0]}_p50_ms": round(percentile(v, .5), 1)
                    for name, v in timings.items()})
    figures.update({"clients": CLIENTS, "requests": sum(len(v) for v in timings.values()),
                    "seconds": round(seconds, 1)})
    print_result(figures)


if __name__ == "__main__":
    sys.exit(main())
