"""The statistical baseline of a cycle's customer x item pairs (`sop.models.BaselineLine`,
written by the baseline engine) as the grid, workbooks, reports and accuracy read it: one
batched read for many pairs, by the batching rule of sop.plans.prices (a few customers one
indexed query each, more the cycle's documents in one pass, selected in Python).

A pair without a document has no baseline: callers show a blank, never 0."""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

from bson import ObjectId

from sop.models import BaselineLine
from sop.plans.prices import Pair, read_by_keys

BASELINE_FIELDS = {"customer": 1, "product": 1, "qty": 1, "method": 1, "state": 1, "error": 1}


class Baseline(NamedTuple):
    """One pair's baseline: cases per bucket (M1 first), the method that won for the series,
    its state ("forecast", or "dead": no sales for 12 months, all 0) and the method's
    out-of-sample WMAPE (%), None when not measured."""

    qty: list[float]
    method: str
    state: str
    error: float | None

    def cases(self, months: int | None = None) -> float:
        """Cases over the first `months` buckets (all when None)."""
        return float(sum(self.qty[:months]))


def baseline_for(cycle_id: ObjectId, pairs: Iterable[Pair]) -> dict[Pair, Baseline]:
    """The baseline of each of `pairs` (customer id, product id) that has one, in cycle
    `cycle_id`; the pairs are the caller's scoped ones (lines it may see)."""
    wanted = set(pairs)
    if not wanted:
        return {}
    found: dict[Pair, Baseline] = {}
    # scoped by caller: only documents of the caller's pairs are kept
    for doc in read_by_keys(BaselineLine._get_collection(), "customer",
                            sorted({customer for customer, _ in wanted}), BASELINE_FIELDS,
                            {"cycle": cycle_id}):
        pair = (doc["customer"], doc["product"])
        if pair in wanted:
            found[pair] = Baseline(list(doc.get("qty") or []), doc.get("method") or "",
                                   doc.get("state") or "forecast", doc.get("error"))
    return found
