"""Bulk, scoped reads for accuracy: the actual sales of the months measured and the names
rows are labelled with (the frozen plans and baselines are read packed: sop.accuracy.packs).

One query per collection for all the cycles measured (never one per line or per cycle), only
the needed fields, every read through sop.security (a rep gets the rows of own customers and
own plan lines only). `Restriction` narrows further to the customers and items a report's
filters name: short id lists go into the query, long ones are checked on each row read (a long
`$in` costs the embedded server more than a pass over the collection)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from bson import ObjectId
from pymongo.collection import Collection

from sop.db import raw_collection
from sop.models import Customer, Product, SalesHistory, User
from sop.models.sales import FIGURES, MONTH_BYTES, fingerprint_months
from sop.security import scoped_query

SHORT_LIST = 50
Pair = tuple[ObjectId, ObjectId]  # (customer, product)


@dataclass(frozen=True)
class Restriction:
    """Customers and items to keep (None = no restriction beyond the viewer's scope)."""

    customers: frozenset[ObjectId] | None = None
    products: frozenset[ObjectId] | None = None

    def query(self, base: Mapping[str, Any]) -> dict[str, Any]:
        query = dict(base)
        for name, ids in (("customer", self.customers), ("product", self.products)):
            if ids is not None and len(ids) <= SHORT_LIST:
                query[name] = {"$in": sorted(ids)}
        return query

    def keeps(self, doc: Mapping[str, Any]) -> bool:
        return ((self.customers is None or doc.get("customer") in self.customers)
                and (self.products is None or doc.get("product") in self.products))

    @property
    def empty(self) -> bool:
        return self.customers == frozenset() or self.products == frozenset()


@dataclass
class Actuals:
    """Cases sold per month and pair, of the months asked for; `latest` is the last month the
    sales history in view holds at all (later months count as not imported yet)."""

    by_month: dict[str, dict[Pair, float]]
    latest: str | None


def actuals(viewer: Any, months: Iterable[str], restriction: Restriction) -> Actuals:
    """The sales history's cases of `months` ("YYYY-MM"), read from each bucket's packed
    fingerprint (sop.models.sales): one pass, only the months asked for unpacked."""
    months = set(months)
    by_month: dict[str, dict[Pair, float]] = {month: {} for month in months}
    latest: str | None = None
    if restriction.empty:
        return Actuals(by_month, latest)
    wanted = {month.encode(): month for month in months}
    step = MONTH_BYTES + FIGURES.size
    collection = raw_collection(SalesHistory)
    without_fingerprint: list[ObjectId] = []
    for doc in collection.find(scoped_query(SalesHistory, viewer, restriction.query({})),
                               {"customer": 1, "product": 1, "fingerprint": 1}):
        if not restriction.keeps(doc):
            continue
        packed = doc.get("fingerprint")
        if not packed:
            without_fingerprint.append(doc["_id"])
            continue
        last = packed[-step:-step + MONTH_BYTES].decode()
        latest = last if latest is None or last > latest else latest
        pair = (doc["customer"], doc["product"])
        for month, figures in fingerprint_months(packed, wanted):
            if figures[0]:
                by_month[month][pair] = by_month[month].get(pair, 0.0) + figures[0]
    for doc in _unpacked(collection, without_fingerprint):
        pair = (doc["customer"], doc["product"])
        for month in doc.get("months") or []:
            latest = month["month"] if latest is None or month["month"] > latest else latest
            if month["month"] in months and month.get("quantity"):
                by_month[month["month"]][pair] = (by_month[month["month"]].get(pair, 0.0)
                                                  + month["quantity"])
    return Actuals(by_month, latest)


def _unpacked(collection: Collection, ids: list[ObjectId]) -> Iterator[dict[str, Any]]:
    """Buckets written before fingerprints existed, read with their months, in batches."""
    # scoped by caller: `ids` come from the scoped read in `actuals`
    for start in range(0, len(ids), SHORT_LIST):
        yield from collection.find({"_id": {"$in": ids[start:start + SHORT_LIST]}},
                                   {"customer": 1, "product": 1, "months": 1})


@dataclass(frozen=True)
class Names:
    """What rows are labelled with: customers in view (code, S&OP name, rep, territory),
    items (code, description, group) and the reps' names."""

    customers: Mapping[ObjectId, Mapping[str, Any]]
    products: Mapping[ObjectId, Mapping[str, Any]]
    reps: Mapping[ObjectId, str]


def names(viewer: Any, product_ids: Iterable[ObjectId]) -> Names:
    """The customers `viewer` may see and the named items and reps."""
    customers = {doc["_id"]: doc for doc in raw_collection(Customer).find(
        scoped_query(Customer, viewer, {}),
        {"code": 1, "sop_name": 1, "name": 1, "sales_rep": 1, "territory": 1})}
    product_ids = set(product_ids)
    product_query = {"_id": {"$in": sorted(product_ids)}} if len(product_ids) <= SHORT_LIST \
        else {}
    products = {doc["_id"]: doc for doc in raw_collection(Product).find(
        product_query, {"item_code": 1, "description": 1, "group_description": 1})
        if doc["_id"] in product_ids}
    return Names(customers, products, _rep_names(customers.values()))


def _rep_names(customers: Iterable[Mapping[str, Any]]) -> dict[ObjectId, str]:
    # scoped by caller: the reps of the customers in the viewer's scope
    rep_ids = sorted({c["sales_rep"] for c in customers if c.get("sales_rep")})
    return {doc["_id"]: doc.get("full_name") or doc.get("email") or str(doc["_id"])
            for doc in raw_collection(User).find({"_id": {"$in": rep_ids}},
                                                   {"full_name": 1, "email": 1})}
