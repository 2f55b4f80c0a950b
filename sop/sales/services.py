"""Sales history views: rows per (customer, item, month) and totals per month, scoped."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from bson import ObjectId

from sop.customers.services import MonthRow, last_months
from sop.db import raw_collection
from sop.excel.writer import CASES_FORMAT, MONEY_FORMAT, PERCENT_FORMAT, Column, table_workbook
from sop.listing import cached_until_written, export_about, prefix_match
from sop.models import Customer, Product, SalesHistory, User
from sop.pagination import Page
from sop.security import SEES_ALL_ROLES, scoped

MONTH_PATTERN = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$", re.ASCII)
PAGE_SIZE = 50
NARROW_CUSTOMERS = 25
EXPORT_COLUMNS = (
    Column("Customer Code", 16), Column("Customer S&OP", 26), Column("Item Code", 10),
    Column("Description", 32), Column("Month", 10, "yyyy-mm"), Column("Quantity", 10, CASES_FORMAT),
    Column("Unit Price", 11, MONEY_FORMAT), Column("Sales", 13, MONEY_FORMAT),
    Column("COGS", 13, MONEY_FORMAT), Column("Gross Profit", 13, MONEY_FORMAT),
    Column("GP %", 8, PERCENT_FORMAT),
)


@dataclass
class SalesFilters:
    customer: str = ""  # code or S&OP name prefix
    item: str = ""  # item code or description prefix
    rep: str = ""
    territory: str = ""
    month_from: str = ""
    month_to: str = ""
    problems: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        default = last_months(24)
        for name, fallback in (("month_from", default[0]), ("month_to", default[-1])):
            value = getattr(self, name).strip()
            if value and not MONTH_PATTERN.match(value):
                self.problems.append(f"Write months as YYYY-MM (not {value!r}).")
                value = ""
            setattr(self, name, value or fallback)
        if self.month_from > self.month_to:
            self.problems.append("The first month is after the last one: they were swapped.")
            self.month_from, self.month_to = self.month_to, self.month_from

    def as_args(self) -> dict[str, str]:
        return {"customer": self.customer, "item": self.item, "rep": self.rep,
                "territory": self.territory, "month_from": self.month_from,
                "month_to": self.month_to}


@dataclass
class SalesRow:
    customer: Customer
    product: Product
    month: str
    quantity: float
    unit_price: float | None
    sales: float
    cogs: float | None
    gross_profit: float | None

    @property
    def gp_ratio(self) -> float | None:
        return self.gross_profit / self.sales if self.sales and self.gross_profit is not None \
            else None


@dataclass
class SalesTotals:
    rows: int = 0
    quantity: float = 0.0
    sales: float = 0.0
    gross_profit: float = 0.0

    @property
    def gp_ratio(self) -> float | None:
        return self.gross_profit / self.sales if self.sales else None


def _selection(viewer: User, filters: SalesFilters) -> tuple[dict[str, Any], bool]:
    """The $match on visible customers and the item, and whether it is narrow (a few
    customers), where reading their buckets beats an aggregation over the collection."""
    scope = "all" if viewer.role in SEES_ALL_ROLES else str(viewer.pk)
    customers, products = cached_until_written(
        ("sales-selection", scope, filters.customer, filters.item, filters.rep,
         filters.territory), ("customers", "products"),
        lambda: _selected_ids(viewer, filters))
    match: dict[str, Any] = {}
    if customers is not None:
        match["customer"] = {"$in": list(customers)}
    if products is not None:
        match["product"] = {"$in": list(products)}
    return match, customers is not None and len(customers) <= NARROW_CUSTOMERS


def _selected_ids(viewer: User, filters: SalesFilters
                  ) -> tuple[tuple[ObjectId, ...] | None, tuple[ObjectId, ...] | None]:
    """The visible customers matching the customer, rep and territory filters and the items
    matching the item filter; None where nothing restricts."""
    customers = products = None
    if filters.customer or filters.rep or filters.territory or viewer.role not in SEES_ALL_ROLES:
        queryset = prefix_match(scoped(Customer, viewer), filters.customer,
                                ("code_lower", "sop_name_key", "name_lower"))
        if filters.rep and ObjectId.is_valid(filters.rep):
            queryset = queryset.filter(sales_rep=ObjectId(filters.rep))
        if filters.territory:
            queryset = queryset.filter(territory=filters.territory)
        customers = tuple(queryset.scalar("id"))
    if filters.item:
        products = tuple(prefix_match(Product.objects, filters.item,
                                      ("item_code", "description_lower")).scalar("id"))
    return customers, products


def _pipeline(match: dict[str, Any], filters: SalesFilters, *stages: dict[str, Any]
              ) -> list[dict[str, Any]]:
    """One row per month in the range of the matched buckets, then `stages`."""
    return [
        {"$match": match},
        {"$unwind": "$months"},
        {"$match": {"months.month": {"$gte": filters.month_from, "$lte": filters.month_to}}},
        *stages,
    ]


def _month_rows(match: dict[str, Any], filters: SalesFilters) -> list[dict[str, Any]]:
    """The same rows as the pipeline, unwound here from the few buckets of a narrow match.
    Whole buckets are read: projecting the embedded months costs the embedded server more
    than sending them."""
    rows = []
    # scoped by caller: `match` holds the viewer's visible customers (_selection)
    for bucket in raw_collection(SalesHistory).find(match):
        for month in bucket.get("months", []):
            if filters.month_from <= month["month"] <= filters.month_to:
                rows.append({"customer": bucket["customer"], "product": bucket["product"],
                             "months": month})
    return rows


def _narrow_page(match: dict[str, Any], filters: SalesFilters, page: int
                 ) -> tuple[tuple[SalesRow, ...], SalesTotals]:
    rows = _month_rows(match, filters)
    totals = SalesTotals(len(rows), *(sum(r["months"].get(name) or 0 for r in rows)
                                      for name in ("quantity", "sales", "gross_profit")))
    rows.sort(key=lambda r: (r["customer"], r["product"]))
    rows.sort(key=lambda r: r["months"]["month"], reverse=True)
    return tuple(_rows_with_names(rows[(page - 1) * PAGE_SIZE:page * PAGE_SIZE])), totals


def sales_page(viewer: User, filters: SalesFilters, page: int = 1
               ) -> tuple[Page, SalesTotals]:
    """One page of rows (newest month first) and the totals of all matching rows."""
    page = max(1, page)
    match, narrow = _selection(viewer, filters)
    if narrow:  # kept until the history, a customer or an item is next written
        window, totals = cached_until_written(
            ("sales-page", repr(match), filters.month_from, filters.month_to, page),
            ("customers", "products", "sales_history"),
            lambda: _narrow_page(match, filters, page))
        return Page(list(window), totals.rows, page, PAGE_SIZE), totals
    pipeline = _pipeline(match, filters, {"$facet": {
        "totals": [{"$group": {"_id": None, "rows": {"$sum": 1},
                               "quantity": {"$sum": "$months.quantity"},
                               "sales": {"$sum": "$months.sales"},
                               "gross_profit": {"$sum": "$months.gross_profit"}}}],
        "rows": [{"$sort": {"months.month": -1, "customer": 1, "product": 1}},
                 {"$skip": (page - 1) * PAGE_SIZE}, {"$limit": PAGE_SIZE},
                 {"$project": {"customer": 1, "product": 1, "months": 1}}],
    }})
    [result] = list(SalesHistory.objects.aggregate(pipeline))
    totals = SalesTotals(**{k: v or 0 for k, v in result["totals"][0].items() if k != "_id"}) \
        if result["totals"] else SalesTotals()
    return Page(_rows_with_names(result["rows"]), totals.rows, page, PAGE_SIZE), totals


def _rows_with_names(raw_rows: list[dict[str, Any]]) -> list[SalesRow]:
    customers = Customer.objects.in_bulk(list({r["customer"] for r in raw_rows}))
    products = Product.objects.in_bulk(list({r["product"] for r in raw_rows}))
    return [SalesRow(customers[r["customer"]], products[r["product"]], r["months"]["month"],
                     r["months"].get("quantity") or 0, r["months"].get("unit_price"),
                     r["months"].get("sales") or 0, r["months"].get("cogs"),
                     r["months"].get("gross_profit"))
            for r in raw_rows if r["customer"] in customers and r["product"] in products]


def monthly_totals(viewer: User, filters: SalesFilters) -> list[MonthRow]:
    """Cases, $ and gross profit per month of the range, months without sales as zeros."""
    match, narrow = _selection(viewer, filters)
    if narrow:
        found: dict[str, dict[str, float]] = {}
        for row in _month_rows(match, filters):
            month = row["months"]
            bucket = found.setdefault(month["month"], {"cases": 0, "sales": 0,
                                                       "gross_profit": 0})
            bucket["cases"] += month.get("quantity") or 0
            bucket["sales"] += month.get("sales") or 0
            bucket["gross_profit"] += month.get("gross_profit") or 0
    else:
        pipeline = _pipeline(match, filters, {"$group": {
            "_id": "$months.month", "cases": {"$sum": "$months.quantity"},
            "sales": {"$sum": "$months.sales"},
            "gross_profit": {"$sum": "$months.gross_profit"}}})
        found = {r["_id"]: r for r in SalesHistory.objects.aggregate(pipeline)}
    return [MonthRow(m, found[m]["cases"], found[m]["sales"], found[m]["gross_profit"] or 0)
            if m in found else MonthRow(m, 0, 0, 0) for m in months_between(
                filters.month_from, filters.month_to)]


def months_between(first: str, last: str) -> list[str]:
    """Every YYYY-MM from `first` to `last` inclusive, across year boundaries."""
    year, month = map(int, first.split("-"))
    end_year, end_month = map(int, last.split("-"))
    months = []
    while (year, month) <= (end_year, end_month):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def _export_rows(viewer: User, filters: SalesFilters) -> Iterator[tuple[Any, ...]]:
    match, _ = _selection(viewer, filters)
    pipeline = _pipeline(match, filters,
                         {"$sort": {"customer": 1, "product": 1, "months.month": 1}},
                         {"$project": {"customer": 1, "product": 1, "months": 1}})
    batch: list[dict[str, Any]] = []
    for raw in SalesHistory.objects.aggregate(pipeline, allowDiskUse=True):
        batch.append(raw)
        if len(batch) == 2000:
            yield from _export_batch(batch)
            batch = []
    yield from _export_batch(batch)


def _export_batch(raw_rows: list[dict[str, Any]]) -> Iterator[tuple[Any, ...]]:
    for row in _rows_with_names(raw_rows):
        year, month = map(int, row.month.split("-"))
        yield (row.customer.code, row.customer.sop_name, row.product.item_code,
               row.product.description, date(year, month, 1), row.quantity, row.unit_price,
               row.sales, row.cogs, row.gross_profit, row.gp_ratio)


def export_sales(viewer: User, filters: SalesFilters) -> bytes:
    return table_workbook("Sales History", EXPORT_COLUMNS, _export_rows(viewer, filters),
                          export_about("Sales history", viewer, filters.as_args()))
