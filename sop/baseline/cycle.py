"""A cycle's baseline documents: one BaselineLine per active customer x item with sales
history, for the cycle's buckets, from the months before its first bucket.

Idempotent and resumable: each line carries the digest of what its fit saw (engine version,
buckets, history); a rerun fits only the lines whose digest changed (or that a run cut short
never wrote) and removes lines whose pair no longer qualifies. A closed cycle's baseline is
frozen: never computed again."""

from __future__ import annotations

import hashlib
import struct
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import numpy as np
from bson import ObjectId
from pymongo import DeleteMany, UpdateOne

from sop.baseline.batch import forecast_many
from sop.baseline.engine import SeriesForecast
from sop.clock import now
from sop.db import raw_collection
from sop.models import BaselineLine, Customer, Cycle, Product, SalesHistory
from sop.models.sales import FIGURES, MONTH_BYTES
from sop.months import add_months, months_apart

ENGINE_VERSION = "3"  # bump when the engine's choices change: every line is fitted again
MAX_HISTORY_MONTHS = 72  # older months say little about next year's demand
WRITE_BATCH = 1000
SERIES_PER_PROCESS = 500  # below this a process's start (imports, ~2 s) costs more than it saves
PROGRESS_SECONDS = 0.5
FROZEN_STATUSES = ("closed", "archived")

Progress = Callable[[int, int], None]  # (lines done, lines in all)
Pair = tuple[ObjectId, ObjectId]


class BaselineFrozen(Exception):
    """The cycle is closed: its baseline stays as it was when it closed."""


@dataclass(frozen=True)
class BaselineRun:
    lines: int  # pairs with a baseline now
    fitted: int  # fitted in this run
    unchanged: int  # skipped: same digest as stored
    removed: int  # lines of pairs that no longer qualify
    history_to: str | None

    def summary(self) -> str:
        return (f"{self.lines:,} baseline lines (fitted {self.fitted:,}, unchanged "
                f"{self.unchanged:,}, removed {self.removed:,}); history to "
                f"{self.history_to or 'none'}")


def compute_cycle_baseline(cycle: Cycle, processes: int = 1,
                           progress: Progress | None = None) -> BaselineRun:
    """Fit and store the baseline of every qualifying pair of `cycle` (see module doc)."""
    cycle.reload()
    if cycle.status in FROZEN_STATUSES:
        raise BaselineFrozen(f"Cycle {cycle.name} is {cycle.status}: its baseline is frozen.")
    first_bucket = cycle.planning_start
    histories = read_histories(first_bucket)
    history_to = max((last for last, _ in histories.values()), default=None)
    collection = raw_collection(BaselineLine)
    stored = {(d["customer"], d["product"]): d.get("history_digest")
              for d in collection.find({"cycle": cycle.pk},  # not rep-scoped: the job's own
                                       {"customer": 1, "product": 1, "history_digest": 1})}
    work: list[tuple[Pair, np.ndarray, str]] = []
    for pair, (last, quantities) in histories.items():
        series = _series_to(last, quantities, history_to)
        digest = _digest(cycle, history_to, series)
        if stored.get(pair) != digest:
            work.append((pair, series, digest))
    gone = [pair for pair in stored if pair not in histories]
    removed = _remove(cycle, gone)
    horizon = cycle.horizon_months
    gap = months_apart(history_to, first_bucket) - 1 if history_to else 0
    digests = {pair: (digest, len(series)) for pair, series, digest in work}
    total, done, last_report = len(work), 0, 0.0
    operations: list[UpdateOne] = []
    results = forecast_many(((pair, series) for pair, series, _ in work), gap + horizon,
                            processes=min(processes, 1 + total // SERIES_PER_PROCESS))
    for pair, result in results:
        digest, months = digests[pair]
        operations.append(_upsert(cycle, pair, result, gap, digest, history_to, months))
        if len(operations) >= WRITE_BATCH:
            collection.bulk_write(operations, ordered=False)
            done += len(operations)
            operations = []
        if progress and time.monotonic() - last_report >= PROGRESS_SECONDS:
            progress(done, total)
            last_report = time.monotonic()
    if operations:
        collection.bulk_write(operations, ordered=False)
        done += len(operations)
    if progress:
        progress(done, total)
    return BaselineRun(len(histories), done, len(histories) - total, removed,
                       history_to.strftime("%Y-%m") if history_to else None)


def read_histories(before: date) -> dict[Pair, tuple[date, np.ndarray]]:
    """{(customer, product): (its last month with a row, its monthly quantities up to that
    month)} for every active customer x active item with sales before `before`; read in bulk
    from the packed fingerprints (no embedded documents decoded)."""
    customers = set(Customer.objects(active=True).scalar("id"))
    products = set(Product.objects(active=True).scalar("id"))
    first_month = add_months(before, -MAX_HISTORY_MONTHS)
    wanted = {add_months(first_month, i).strftime("%Y-%m").encode(): i
              for i in range(MAX_HISTORY_MONTHS)}
    step = MONTH_BYTES + FIGURES.size
    histories = {}
    # not rep-scoped: the baseline job reads every pair's history, no rep's view of it
    for document in raw_collection(SalesHistory).find(
            {}, {"customer": 1, "product": 1, "fingerprint": 1}):
        if document["customer"] not in customers or document["product"] not in products:
            continue
        packed = document.get("fingerprint") or b""
        values = np.zeros(MAX_HISTORY_MONTHS)
        seen = [i for i in range(0, len(packed), step)
                if packed[i:i + MONTH_BYTES] in wanted]
        if not seen:
            continue
        for i in seen:
            (quantity,) = struct.unpack_from("<d", packed, i + MONTH_BYTES)
            values[wanted[packed[i:i + MONTH_BYTES]]] = quantity if quantity == quantity else 0
        first = wanted[packed[seen[0]:seen[0] + MONTH_BYTES]]
        last = wanted[packed[seen[-1]:seen[-1] + MONTH_BYTES]]
        histories[(document["customer"], document["product"])] = (
            add_months(first_month, last), values[first:last + 1])
    return histories


def _series_to(last: date, quantities: np.ndarray, history_to: date) -> np.ndarray:
    """A pair's history up to the company's last month of sales (months after the pair's
    last row had no sales)."""
    return np.concatenate([quantities, np.zeros(months_apart(last, history_to))])


def _digest(cycle: Cycle, history_to: date, series: np.ndarray) -> str:
    key = hashlib.blake2b(digest_size=20)
    key.update(f"{ENGINE_VERSION}|{cycle.planning_start}|{cycle.horizon_months}|"
               f"{history_to}|".encode())
    key.update(series.astype("<f8").tobytes())
    return key.hexdigest()


def _upsert(cycle: Cycle, pair: Pair, result: SeriesForecast, gap: int, digest: str,
            history_to: date, months: int) -> UpdateOne:
    """`months` of history the fit saw, the last being `history_to`."""
    customer, product = pair
    outlier_months = [add_months(history_to, position - months + 1).strftime("%Y-%m")
                      for position in result.outliers]
    return UpdateOne(
        {"cycle": cycle.pk, "customer": customer, "product": product},
        {"$set": {"qty": [round(float(v), 3) for v in result.forecast[gap:]],
                  "method": result.method, "state": result.state, "error": result.error,
                  "outlier_months": outlier_months, "history_to": history_to.strftime("%Y-%m"),
                  "history_digest": digest, "computed_at": now()}},
        upsert=True)


def _remove(cycle: Cycle, pairs: list[Pair]) -> int:
    if not pairs:
        return 0
    by_customer: dict[ObjectId, list[ObjectId]] = {}
    for customer, product in pairs:
        by_customer.setdefault(customer, []).append(product)
    raw_collection(BaselineLine).bulk_write(
        [DeleteMany({"cycle": cycle.pk, "customer": c, "product": {"$in": p}})
         for c, p in by_customer.items()], ordered=False)
    return len(pairs)

