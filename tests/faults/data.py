"""Enough data for a job to run long enough to be killed half-way: one rep's plan of
`customers` x `items` lines in an open cycle, written in bulk."""

from __future__ import annotations

from dataclasses import dataclass

from sop.models import Customer, Cycle, ForecastLine, PriceEntry, Product, User


@dataclass
class Plan:
    rep: User
    cycle: Cycle
    customers: list[Customer]
    lines: int


def big_plan(make_user, make_customer, make_cycle, customers: int = 20, items: int = 100,
             **cycle_fields) -> Plan:
    rep = make_user()
    cycle = make_cycle(**cycle_fields)
    buyers = [make_customer(rep) for _ in range(customers)]
    products = []
    for number in range(items):
        product = Product(item_code=f"{700000 + number}", description=f"Item {number}",
                          group_description=f"Group {number % 5}")
        product.clean()
        products.append(product)
    products = Product.objects.insert(products)
    PriceEntry.objects.insert([PriceEntry(customer=c, product=p, price=10.0 + n % 7)
                               for c in buyers for n, p in enumerate(products)],
                              load_bulk=False)
    horizon = cycle.horizon_months
    ForecastLine.objects.insert([
        ForecastLine(cycle=cycle, rep=rep, customer=c, product=p,
                     qty=[float(n % 9 + b) for b in range(horizon)], price=[None] * horizon)
        for c in buyers for n, p in enumerate(products)], load_bulk=False)
    return Plan(rep, cycle, buyers, customers * items)
