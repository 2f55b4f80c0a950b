"""A small company for the rep workbook tests: Jane Roe (JR) with two customers, another rep,
items in and out of the price matrix, an open cycle with Jane's lines.

Page tests must not hold an app context around the client's requests (Flask would share `g`,
and with it a stale CSRF token, between requests): `company` pushes none; service tests ask
for `app_context` themselves."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from sop.db import raw_collection
from sop.models import Customer, Cycle, ForecastLine, Product, User

HORIZON = 16


def full(start: float, step: float = 1.0) -> list[float]:
    return [start + step * i for i in range(HORIZON)]


@dataclass
class Company:
    rep: User
    other: User
    bayou: Customer
    acme: Customer
    elsewhere: Customer  # the other rep's
    garlic: Product
    ginger: Product
    shallot: Product
    resale: Product  # in no price matrix: a new item
    cycle: Cycle

    def lines(self) -> dict[tuple[str, str], dict[str, Any]]:
        """Jane's lines of the cycle by (S&OP name, item code)."""
        names = {c.pk: c.sop_name for c in Customer.objects}
        codes = {p.pk: p.item_code for p in Product.objects}
        return {(names[d["customer"]], codes[d["product"]]): d
                for d in raw_collection(ForecastLine).find(
                    {"cycle": self.cycle.pk, "rep": self.rep.pk})}


@pytest.fixture
def company(app, make_user, make_customer, make_product, make_price, make_cycle,
            make_line) -> Company:
    rep = make_user("sales_rep", email="jane@example.com", full_name="Jane Roe")
    other = make_user("sales_rep", email="omar@example.com", full_name="Omar Diaz")
    bayou = make_customer(rep, sop_name="BAYOU FOODS")
    acme = make_customer(rep, sop_name="ACME & SONS", aliases=["ACME"])
    elsewhere = make_customer(other, sop_name="OTHER CO")
    garlic = make_product("110001", "Peeled Garlic", list_price=40.0,
                          group_description="Group 1-1", category="G01 - Garlic Production")
    ginger = make_product("110002", "Ginger Puree", list_price=25.0)
    shallot = make_product("110003", "Fried Shallot", list_price=30.0)
    resale = make_product("150001", "Resale Jar", list_price=5.0)
    make_price(bayou, garlic, 10.0)
    make_price(bayou, ginger, 20.0)
    make_price(acme, garlic, 11.0)
    make_price(acme, shallot, 30.0)
    make_price(elsewhere, ginger, 19.0)
    cycle = make_cycle("2026-11")
    make_line(cycle, rep, bayou, garlic, qty=full(10), price=[10.0, 10.5], probability=0)
    make_line(cycle, rep, bayou, ginger, qty=full(2.5, 0.25), price=full(20.0, 0.5),
              probability=2)
    make_line(cycle, rep, acme, shallot, qty=full(100, 0), price=None, probability=None)
    make_line(cycle, rep, acme, resale, qty=full(1), price=[5.0], probability=3, new_item=True)
    return Company(rep, other, bayou, acme, elsewhere, garlic, ginger, shallot, resale, cycle)
