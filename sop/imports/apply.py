"""Writing a validated import all-or-nothing, without one giant transaction.

A single transaction cannot hold a 20,000-document import (MongoDB refuses it as
TransactionTooLargeForCache, and so does the embedded server). So the writes go chunk by
chunk, and BEFORE each chunk an undo record is stored in the database: the ids the chunk will
create and the current state (before-image) of every document it will change. If a write
fails, every chunk already written is undone from those records. If the worker dies in the
middle, the records are still there: `recover_interrupted_imports` (run by the cleanup job and
at every worker start) undoes what the dead worker left. Readers may see an import half-
written while it runs; nobody sees it half-written afterwards.
"""

from __future__ import annotations

from typing import Any

from bson import ObjectId
from pymongo import DeleteMany, ReplaceOne, UpdateOne
from pymongo.collection import Collection

UNDO_COLLECTION = "import_undo"


class UndoLog:
    """The undo records of one import's apply, kept until it succeeds or is undone."""

    def __init__(self, database: Any, import_id: ObjectId, target: Collection) -> None:
        self.records = database[UNDO_COLLECTION]
        self.import_id = import_id
        self.target = target
        self.sequence = 0

    def prepare(self, operations: list[dict[str, Any]]) -> None:
        """Give new documents their ids and store how to undo this chunk, before writing."""
        created = []
        for op in operations:
            if "insert" in op:
                op["insert"].setdefault("_id", ObjectId())
                created.append(op["insert"]["_id"])
        filters = [op["filter"] for op in operations if "insert" not in op]
        before = self._current(filters)
        # Upserts that create a document get their id from the filter's natural key, so
        # they are found for undo by that key: store the keys of those not found now.
        key_sets = {tuple(sorted(f)) for f in filters}
        present = {tuple((k, doc.get(k)) for k in keys) for doc in before for keys in key_sets}
        missing = [f for f in filters if tuple((k, f[k]) for k in sorted(f)) not in present]
        self.records.insert_one({"import_log": self.import_id, "seq": self.sequence,
                                 "target": self.target.name, "created": created,
                                 "created_by_key": missing, "before": before})
        self.sequence += 1

    def _current(self, filters: list[dict[str, Any]]) -> list[dict[str, Any]]:
        ids = [f["_id"] for f in filters if set(f) == {"_id"}]
        others = [f for f in filters if set(f) != {"_id"}]
        found = list(self.target.find({"_id": {"$in": ids}})) if ids else []
        if others:
            found += list(self.target.find({"$or": others}))
        return found

    def finish(self) -> None:
        self.records.delete_many({"import_log": self.import_id})


def undo_import(database: Any, import_id: ObjectId) -> int:
    """Undo every recorded chunk of an import, newest first; returns chunks undone."""
    records = database[UNDO_COLLECTION]
    undone = 0
    for record in records.find({"import_log": import_id}).sort("seq", -1):
        target = database[record["target"]]
        if record["created"]:
            target.bulk_write([DeleteMany({"_id": {"$in": record["created"]}})])
        for condition in record.get("created_by_key", []):
            target.delete_one(condition)
        if record["before"]:
            target.bulk_write([ReplaceOne({"_id": d["_id"]}, d, upsert=True)
                               for d in record["before"]])
        records.delete_one({"_id": record["_id"]})
        undone += 1
    return undone


def write_chunk(target: Collection, operations: list[dict[str, Any]],
                session: Any = None) -> None:
    """The inserts and upserts of one chunk (its undo record is already stored, or it is
    written inside the transaction `session`). Unordered: the server may write them in any
    order, and a failure of any undoes the whole import anyway."""
    inserts = [op["insert"] for op in operations if "insert" in op]
    updates = [UpdateOne(op["filter"], op["update"], upsert=True)
               for op in operations if "insert" not in op]
    if inserts:
        target.insert_many(inserts, ordered=False, session=session)
    if updates:
        target.bulk_write(updates, ordered=False, session=session)
