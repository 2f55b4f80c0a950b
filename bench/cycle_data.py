"""The mid-size company (bench/gen_data.py) plus an open cycle planned by its 10 reps: about
20,000 forecast lines x 16 months, inserted in bulk from the price-matrix pairs. Shared by
the grid and workbook benchmarks.

    from cycle_data import BIG_CUSTOMER, CYCLE_LABEL, load_company_with_cycle
    accounts = load_company_with_cycle(services)  # [(email, role, password), ...]

One customer (BIG_CUSTOMER) is widened to BIG_ITEMS items (matrix entries, lines and sales)
so the grid can be measured on a 200-item customer."""

from __future__ import annotations

import time
from datetime import date, datetime
from typing import Any

from common import bench_app, print_table
from gen_data import TODAY, company

from sop.db import raw_collection

CYCLE_LABEL = "2026-11"  # planning from the month after the generated history ends
PREVIOUS_LABEL = "2026-10"
BIG_CUSTOMER = "PATITO-000001"
BIG_ITEMS = 200


def load_company_with_cycle(services: dict[str, Any], previous: bool = False,
                            baselines: bool = False) -> list[tuple[str, str, str]]:
    """Load everything into the benchmark's database; returns the accounts (admin, manager,
    then the 10 reps) as (email, role, password). With `previous`, the cycle before gets its own
    generated plan too and is closed through the service (its snapshot frozen, as in
    production), so "last cycle" columns have numbers. With `baselines`, every line of the
    open cycle gets a statistical baseline document (as the baseline engine writes them)."""
    from sop.cycles.states import close_cycle
    from sop.dev.demo_seed import create_accounts, insert_cycle_lines, load_master_data
    from sop.models import Cycle
    from sop.months import month_label, parse_year_month
    from sop.settings import store_value

    started = time.perf_counter()
    app = bench_app(services)
    generated = company()
    with app.app_context():
        accounts = create_accounts(generated)
        counts = load_master_data(generated)
        store_value("rate_limit_requests_per_minute", 100000, "bench")
        counts["big customer items"] = widen_customer(generated, BIG_CUSTOMER, BIG_ITEMS)
        cycles = [(PREVIOUS_LABEL, "closed", 1)] if previous else []
        for label, status, revision in [*cycles, (CYCLE_LABEL, "open", 0)]:
            start = parse_year_month(label)
            cycle = Cycle(year=start.year, month=start.month, name=month_label(start),
                          planning_start=start, status="open",
                          opened_at=datetime(start.year, start.month, 1)).save()
            lines = insert_cycle_lines(generated, cycle, revision=revision)
            lines += insert_extra_lines(generated, cycle, BIG_CUSTOMER, revision)
            if status == "closed":  # as in production: its snapshot frozen by the close
                close_cycle(None, cycle)
            counts[f"lines {label} ({status})"] = lines
            if baselines and status == "open":
                counts[f"baselines {label}"] = insert_baselines(cycle)
    counts["load seconds"] = round(time.perf_counter() - started, 1)
    print_table([(name, f"{n:,}") for name, n in counts.items()])
    return accounts


def widen_customer(generated: Any, code: str, items: int) -> int:
    """Matrix entries (and 24 months of sales) for `code` until it buys `items` items."""
    from sop.models import Customer, PriceEntry, Product, SalesHistory
    from sop.models.sales import fingerprint

    customer = Customer.objects.get(code=code)
    present = set(PriceEntry.objects(customer=customer).scalar("product"))
    present_ids = {p.id for p in present}
    extra = [p for p in Product.objects.order_by("item_code").only("id", "list_price")
             if p.id not in present_ids][: max(0, items - len(present_ids))]
    start = generated.first_month
    raw_collection(PriceEntry).insert_many([
        {"customer": customer.pk, "product": p.pk, "price": round(p.list_price * 0.95, 2),
         "active": True, "effective_from": datetime(start.year, start.month, 1)}
        for p in extra])
    months_of = [_month(start, offset) for offset in range(24)]
    rows = []
    for index, product in enumerate(extra):
        months = [{"month": m, "quantity": float(5 + (index + i) % 17),
                   "unit_price": product.list_price, "sales": 0.0, "cogs": None,
                   "gross_profit": None} for i, m in enumerate(months_of)]
        rows.append({"customer": customer.pk, "product": product.pk, "months": months,
                     "fingerprint": fingerprint(months)})
    if rows:
        raw_collection(SalesHistory).insert_many(rows)
    return len(present_ids) + len(extra)


def insert_extra_lines(generated: Any, cycle: Any, code: str, revision: int) -> int:
    """Lines for the matrix pairs the generator does not know (the widened customer)."""
    from sop.clock import now
    from sop.models import Customer, ForecastLine, PriceEntry

    customer = Customer.objects.get(code=code)
    planned = set(ForecastLine.objects(cycle=cycle, customer=customer).scalar("product"))
    planned_ids = {p.id for p in planned}
    stamp = now()
    horizon = cycle.horizon_months
    rows = [{"cycle": cycle.pk, "rep": customer.sales_rep.pk, "customer": customer.pk,
             "product": entry["product"], "probability": (index + revision) % 4,
             "new_item": False,
             "qty": [float(3 + (index + month + revision) % 11) for month in range(horizon)],
             "price": [entry.get("price")] + [None] * (horizon - 1), "source": "portal",
             "version": 1, "updated_at": stamp, "created_at": stamp}
            for index, entry in enumerate(raw_collection(PriceEntry).find(
                {"customer": customer.pk}, {"product": 1, "price": 1}))
            if entry["product"] not in planned_ids]
    if rows:
        raw_collection(ForecastLine).insert_many(rows)
    return len(rows)


def insert_baselines(cycle: Any) -> int:
    """A BaselineLine per line of `cycle`, with made-up but plausible figures: what the grid
    and dashboards read (the engine's own figures are measured by bench/baseline.py)."""
    from sop.clock import now
    from sop.models import BaselineLine, ForecastLine

    stamp = now()
    methods = ("seasonal_naive", "theta", "ets", "croston")
    rows = [{"cycle": cycle.pk, "customer": line["customer"], "product": line["product"],
             "qty": [round(q * (0.6 + (index % 9) / 10), 1) for q in line.get("qty") or []],
             "method": methods[index % len(methods)], "state": "forecast",
             "error": float(10 + index % 40), "computed_at": stamp}
            for index, line in enumerate(raw_collection(ForecastLine).find(
                {"cycle": cycle.pk}, {"customer": 1, "product": 1, "qty": 1}))]
    if rows:
        raw_collection(BaselineLine).insert_many(rows)
    return len(rows)


def _month(start: date, offset: int) -> str:
    index = start.year * 12 + start.month - 1 + offset
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


__all__ = ["BIG_CUSTOMER", "BIG_ITEMS", "CYCLE_LABEL", "TODAY", "load_company_with_cycle"]
