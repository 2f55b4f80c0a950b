"""Closing a cycle's plan: every line frozen into ForecastSnapshot with its effective prices
(sop.plans), and every rep whose plan was not handed in marked `missed`. Both safe to
repeat."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from mongoengine import NotUniqueError
from pymongo.errors import BulkWriteError

from sop.cycles.services import reps_with_customers
from sop.db import raw_collection
from sop.models import Cycle, ForecastLine, ForecastSnapshot, Submission, SubmissionEvent
from sop.plans import raw_lines, value_lines

SNAPSHOT_BATCH = 1000


def freeze_snapshot(cycle: Cycle, frozen_at: datetime) -> int:
    """Copy every line of the cycle into ForecastSnapshot with its effective prices, in
    batches. Safe to repeat: a line already frozen is skipped (unique key)."""
    collection = raw_collection(ForecastSnapshot)
    batch: list[dict[str, Any]] = []
    written = 0
    for valued in value_lines(raw_lines({"cycle": cycle.pk}, (
            "rep", "customer", "product", "probability", "new_item", "qty", "price"))):
        raw = valued.raw
        batch.append({"cycle": cycle.pk, "line_id": raw["_id"], "rep": raw["rep"],
                      "customer": raw["customer"], "product": raw["product"],
                      "probability": raw.get("probability"),
                      "new_item": bool(raw.get("new_item")), "qty": raw.get("qty") or [],
                      "price": raw.get("price") or [], "effective_price": valued.prices,
                      "frozen_at": frozen_at})
        if len(batch) == SNAPSHOT_BATCH:
            written += _insert_snapshots(collection, batch)
            batch = []
    return written + _insert_snapshots(collection, batch)


def _insert_snapshots(collection: Any, batch: list[dict[str, Any]]) -> int:
    if not batch:
        return 0
    try:
        return len(collection.insert_many(batch, ordered=False).inserted_ids)
    except BulkWriteError as exc:
        if any(error.get("code") != 11000 for error in exc.details.get("writeErrors", [])):
            raise
        return exc.details.get("nInserted", 0)


def mark_missed(cycle: Cycle, at: datetime) -> int:
    """Every rep with customers or with lines in the cycle whose plan is not submitted or
    approved gets a `missed` submission (created when they never started)."""
    rep_ids = {rep.pk for rep in reps_with_customers()}
    # not rep-scoped: closing a cycle (an admin or the hourly job) marks every rep
    rep_ids |= set(raw_collection(ForecastLine).distinct("rep", {"cycle": cycle.pk}))
    missed = 0
    for rep_id in sorted(rep_ids):
        event = SubmissionEvent(status="missed", at=at,
                                comment="Not submitted when the cycle closed.")
        updated = Submission.objects(cycle=cycle.pk, rep=rep_id,
                                     status__in=("draft", "rejected")).update_one(
            set__status="missed", set__updated_at=at, push__history=event)
        if not updated:
            try:
                Submission(cycle=cycle.pk, rep=rep_id, status="missed", history=[event],
                           created_at=at, updated_at=at).save(force_insert=True)
            except NotUniqueError:
                continue  # the rep has a submission that is submitted, approved or missed
        missed += 1
    return missed
