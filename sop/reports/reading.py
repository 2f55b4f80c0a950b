"""Scoped bulk reading for report builders: the report context's scope applied to a pymongo
query, and the sales history month by month.

Only the needed fields are read, always through the context's scope (a rep only ever gets
their own customers, whatever the filters say). Past `NARROW` ids a scope is checked on each
row instead of in the query: a long `$in` list costs the embedded server seconds where one
pass over the collection costs about three (300 customers of 20,000 sales buckets: 10 s
against 3 s). Sales buckets are read through their packed fingerprint (sop.models.sales), a
fraction of the cost of projecting the embedded months on the embedded server."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any, NamedTuple

from bson import ObjectId
from pymongo.collection import Collection

from sop.db import raw_collection
from sop.models import SalesHistory
from sop.models.sales import fingerprint_months
from sop.plans import ValuedLine, valued_plan_lines
from sop.reports.registry import ReportContext

NARROW = 50
PROGRESS_EVERY = 2000


class Scope:
    """The context's customers, items and reps (None = unrestricted), applied to a query:
    short id lists go into it, long ones are checked on each row read."""

    def __init__(self, ctx: ReportContext) -> None:
        self.ctx = ctx
        self.ids = {"customer": _as_set(ctx.customer_ids()), "product": _as_set(ctx.product_ids()),
                    "rep": _as_set(ctx.rep_ids())}

    def narrowed(self, query: Mapping[str, Any], scoped_by: Iterable[str]
                 ) -> tuple[dict[str, Any], list[tuple[str, set[ObjectId]]]] | None:
        """`query` with the scope's short id lists on the `scoped_by` fields ("customer",
        "product", "rep") in it, and the long ones to check on each row; None when the scope
        is empty."""
        wanted = dict(query)
        checks = []
        for name in scoped_by:
            ids = self.ids[name]
            if ids is None:
                continue
            if not ids:
                return None
            if len(ids) <= NARROW:
                wanted[name] = {"$in": sorted(ids)}
            else:
                checks.append((name, ids))
        return wanted, checks

    def documents(self, collection: Collection, query: Mapping[str, Any],
                  projection: Mapping[str, Any], stage: str, scoped_by: Iterable[str]
                  ) -> Iterator[dict[str, Any]]:
        """The documents of `collection` matching `query` and the scope on the `scoped_by`
        fields, reporting progress as `stage`."""
        narrowed = self.narrowed(query, scoped_by)
        if narrowed is None:
            return
        wanted, checks = narrowed
        total = collection.estimated_document_count() if not wanted else None
        for number, doc in enumerate(collection.find(wanted, {**projection, **{
                name: 1 for name, _ in checks}}), start=1):
            if number % PROGRESS_EVERY == 0:
                self.ctx.progress(stage, number, total)
            if all(doc.get(name) in ids for name, ids in checks):
                yield doc

    def plan_lines(self, cycle_id: ObjectId, stage: str) -> Iterator[ValuedLine]:
        """The cycle's lines in scope (customer, item and rep) as planned: sop.plans reads
        its snapshot once frozen, else its live lines valued now."""
        narrowed = self.narrowed({}, ("customer", "product", "rep"))
        if narrowed is None:
            return
        wanted, checks = narrowed
        for number, line in enumerate(valued_plan_lines(cycle_id, wanted, (
                "customer", "product", "rep")), start=1):
            if number % PROGRESS_EVERY == 0:
                self.ctx.progress(stage, number, None)
            if all(line.raw.get(name) in ids for name, ids in checks):
                yield line


def _as_set(ids: list[ObjectId] | None) -> set[ObjectId] | None:
    return None if ids is None else set(ids)


class SalesBucket(NamedTuple):
    """The months asked for of one (customer, item) bucket of the sales history: (month
    "YYYY-MM", cases, $, gross profit or None) each."""

    customer: ObjectId
    product: ObjectId
    months: list[tuple[str, float, float, float | None]]


def sales_buckets(scope: Scope, months: Iterable[str]) -> Iterator[SalesBucket]:
    """The in-scope sales history of exactly `months` ("YYYY-MM"), bucket by bucket.
    Buckets written before fingerprints existed are read from their months."""
    months = set(months)
    wanted = {month.encode(): month for month in months}
    # scoped by caller: `scope` is the report context's (ReportContext, sop.security)
    collection = raw_collection(SalesHistory)
    unpacked: list[ObjectId] = []
    for doc in scope.documents(collection, {}, {"customer": 1, "product": 1, "fingerprint": 1},
                               "Reading sales", ("customer", "product")):
        if not doc.get("fingerprint"):
            unpacked.append(doc["_id"])
            continue
        yield SalesBucket(doc["customer"], doc["product"], [
            (month, quantity or 0.0, dollars or 0.0, gross_profit)
            for month, (quantity, _, dollars, _, gross_profit)
            in fingerprint_months(doc["fingerprint"], wanted)])
    for start in range(0, len(unpacked), NARROW):
        for doc in collection.find({"_id": {"$in": unpacked[start:start + NARROW]}},
                                   {"customer": 1, "product": 1, "months": 1}):
            yield SalesBucket(doc["customer"], doc["product"], [
                (month["month"], month.get("quantity") or 0.0, month.get("sales") or 0.0,
                 month.get("gross_profit"))
                for month in doc.get("months") or [] if month["month"] in months])


def by_id(collection: Collection, ids: Iterable[ObjectId], fields: Iterable[str]
          ) -> dict[ObjectId, dict[str, Any]]:
    """The `fields` of the documents with `ids` (the whole collection read past NARROW)."""
    ids = set(ids)
    query = {"_id": {"$in": sorted(ids)}} if len(ids) <= NARROW else {}
    return {doc["_id"]: doc for doc in collection.find(query, {f: 1 for f in fields})
            if doc["_id"] in ids}
