"""Closed cycles' frozen plans and baselines packed per customer (sop.models.FrozenPlanPack):
on the embedded server a read costs about as much per document as per byte, so accuracy
over twelve cycles of 20,000 lines reads 3,600 packed documents instead of 480,000 snapshot
and baseline documents.

A pack holds, per snapshot line of the customer, the item id, the rep id and the cases of
every bucket (float64, NaN = blank), and per baseline line the item id and its cases. A
cycle is packed the first time accuracy measures it, from its snapshot and baseline (which
never change once it is closed); the packs are deterministic, so a build cut short or run
twice at once only adds the missing ones (unique per cycle and customer), and the marker
without a customer says the cycle is complete."""

from __future__ import annotations

import math
import struct
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from bson import Binary, ObjectId
from pymongo.collection import Collection
from pymongo.errors import BulkWriteError

from sop.accuracy.lags import LagTarget
from sop.accuracy.reading import SHORT_LIST, Pair, Restriction
from sop.db import raw_collection
from sop.models import BaselineLine, Cycle, FrozenPlanPack
from sop.plans import plan_source
from sop.security import scoped_query, visible_reps

ID_BYTES = 12
DUPLICATE_KEY = 11000
INSERT_BATCH = 500
PerTarget = dict[tuple[ObjectId, int], dict[Pair, float]]  # (cycle id, bucket) -> pair -> cases


def _cases(values: Sequence[float | None] | None, horizon: int) -> bytes:
    padded = (list(values or []) + [None] * horizon)[:horizon]
    return struct.pack(f"<{horizon}d", *[math.nan if v is None else float(v) for v in padded])


def ensure_packed(cycles: Iterable[Cycle]) -> None:
    """Pack every one of these closed cycles that is not packed yet."""
    cycles = list(cycles)
    collection = raw_collection(FrozenPlanPack)
    # not rep-scoped: the markers say which cycles are packed, they carry no customer's data
    done = {doc["cycle"] for doc in collection.find(
        {"cycle": {"$in": [cycle.pk for cycle in cycles]}, "customer": None}, {"cycle": 1})}
    for cycle in cycles:
        if cycle.pk not in done:
            pack_cycle(cycle)


def pack_cycle(cycle: Cycle) -> int:
    """Write the packs of one closed cycle (the ones missing); returns how many were new."""
    # not rep-scoped: builds derived data of every customer; every read of it is scoped
    horizon = cycle.horizon_months
    plans: dict[ObjectId, bytearray] = defaultdict(bytearray)
    for doc in plan_source(cycle.pk).find(  # a closed cycle: its frozen snapshot
            {"cycle": cycle.pk}, {"customer": 1, "product": 1, "rep": 1, "qty": 1, "_id": 0}):
        plans[doc["customer"]] += (doc["product"].binary + doc["rep"].binary
                                   + _cases(doc.get("qty"), horizon))
    baselines: dict[ObjectId, bytearray] = defaultdict(bytearray)
    for doc in raw_collection(BaselineLine).find(
            {"cycle": cycle.pk}, {"customer": 1, "product": 1, "qty": 1, "_id": 0}):
        baselines[doc["customer"]] += doc["product"].binary + _cases(doc.get("qty"), horizon)
    packs = [{"cycle": cycle.pk, "customer": customer, "horizon": horizon,
              "plan": Binary(bytes(plans.get(customer, b""))),
              "baseline": Binary(bytes(baselines.get(customer, b"")))}
             for customer in sorted(plans.keys() | baselines.keys())]
    collection = raw_collection(FrozenPlanPack)
    written = sum(_insert_new(collection, packs[start:start + INSERT_BATCH])
                  for start in range(0, len(packs), INSERT_BATCH))
    _insert_new(collection, [{"cycle": cycle.pk, "customer": None, "horizon": horizon}])
    return written


def _insert_new(collection: Collection, documents: list[dict[str, Any]]) -> int:
    """Insert, skipping the documents a concurrent or earlier build already wrote."""
    if not documents:
        return 0
    try:
        return len(collection.insert_many(documents, ordered=False).inserted_ids)
    except BulkWriteError as exc:
        if any(e.get("code") != DUPLICATE_KEY for e in exc.details.get("writeErrors", [])):
            raise
        return exc.details.get("nInserted", 0)


def frozen_buckets(viewer: Any, targets: list[LagTarget], restriction: Restriction
                   ) -> tuple[PerTarget, PerTarget]:
    """(plan, baseline): per (cycle id, bucket) of `targets`, the cases each pair had there,
    in `viewer`'s scope (a rep: own customers, and own plan lines only) and `restriction`'s.
    A pair without a baseline line has no baseline entry; a pair's plan is the sum of its
    lines (a blank bucket counts 0). One read of the packs whatever the lags."""
    keys = {(target.cycle.pk, target.bucket) for target in targets}
    plans: PerTarget = {key: defaultdict(float) for key in keys}
    baselines: PerTarget = {key: {} for key in keys}
    if not keys or restriction.empty:
        return plans, baselines
    ensure_packed({target.cycle.pk: target.cycle for target in targets}.values())
    buckets_of: dict[ObjectId, list[int]] = defaultdict(list)
    for cycle_id, bucket in sorted(keys):
        buckets_of[cycle_id].append(bucket)
    reps = visible_reps(viewer)
    own = None if reps is None else {rep.binary for rep in reps}
    customers, products = restriction.customers, restriction.products
    query = {"cycle": {"$in": list(buckets_of)}, "customer": {"$in": sorted(customers)} if (
        customers is not None and len(customers) <= SHORT_LIST) else {"$ne": None}}
    collection = raw_collection(FrozenPlanPack)
    for pack in collection.find(scoped_query(FrozenPlanPack, viewer, query)):
        customer = pack["customer"]
        if customers is not None and customer not in customers:
            continue  # a long customer list is checked here rather than in the query
        buckets, horizon = buckets_of[pack["cycle"]], pack["horizon"]
        for product, rep, cases in _entries(pack.get("plan") or b"", horizon, buckets, True):
            if (own is None or rep in own) and (products is None or product in products):
                for bucket, value in zip(buckets, cases, strict=True):
                    plans[(pack["cycle"], bucket)][(customer, product)] += (
                        0.0 if math.isnan(value) else value)
        for product, _, cases in _entries(pack.get("baseline") or b"", horizon, buckets,
                                          False):
            if products is None or product in products:
                for bucket, value in zip(buckets, cases, strict=True):
                    baselines[(pack["cycle"], bucket)][(customer, product)] = (
                        0.0 if math.isnan(value) else value)
    return plans, baselines


def _entries(packed: bytes, horizon: int, buckets: list[int], with_rep: bool
             ) -> Iterator[tuple[ObjectId, bytes | None, list[float]]]:
    """(item id, rep id bytes or None, cases in each of `buckets`) of each entry of a pack."""
    head = ID_BYTES * (2 if with_rep else 1)
    step = head + 8 * horizon
    for start in range(0, len(packed), step):
        rep = packed[start + ID_BYTES:start + head] if with_rep else None
        yield ObjectId(packed[start:start + ID_BYTES]), rep, [
            struct.unpack_from("<d", packed, start + head + 8 * bucket)[0]
            for bucket in buckets]

