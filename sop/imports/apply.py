"""Writing a validated import all-or-nothing, without one giant transaction.

A single transaction cannot hold a 20,000-document import (MongoDB refuses it as
TransactionTooLargeForCache, and so does the embedded server). So the writes go chunk by
chunk, and before each chunk the documents it will change are saved (their before-images,
spooled to a temporary file) and the ids it creates are noted. If any write fails, every
chunk already written is undone: created documents deleted, changed ones restored. Readers may
see the import half-written while it runs; they never see it half-written afterwards.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable
from typing import Any

import bson
from bson import ObjectId
from pymongo import DeleteMany, ReplaceOne, UpdateOne
from pymongo.collection import Collection
from pymongo.errors import BulkWriteError


class ApplyFailed(Exception):
    """Writing failed and everything written was undone."""


class Rollback:
    """What it takes to undo the chunks written so far."""

    def __init__(self, target: Collection) -> None:
        self.target = target
        self.created: list[ObjectId] = []
        self.before_images = tempfile.TemporaryFile()  # noqa: SIM115 - closed by close()

    def remember(self, operations: list[dict[str, Any]]) -> None:
        """Save the current state of every document these operations may change."""
        filters = [op["filter"] for op in operations if "insert" not in op]
        if not filters:
            return
        ids = [f["_id"] for f in filters if set(f) == {"_id"}]
        others = [f for f in filters if set(f) != {"_id"}]
        queries = ([{"_id": {"$in": ids}}] if ids else []) + ([{"$or": others}] if others
                                                               else [])
        for query in queries:
            for document in self.target.find(query):
                self.before_images.write(bson.encode(document))

    def created_ids(self, ids: Iterable[ObjectId]) -> None:
        self.created.extend(ids)

    def undo(self) -> None:
        for start in range(0, len(self.created), 1000):
            self.target.bulk_write([DeleteMany({"_id": {"$in": self.created[start:start
                                                                             + 1000]}})])
        self.before_images.seek(0)
        batch: list[ReplaceOne] = []
        for document in bson.decode_file_iter(self.before_images):
            batch.append(ReplaceOne({"_id": document["_id"]}, document, upsert=True))
            if len(batch) == 500:
                self.target.bulk_write(batch)
                batch = []
        if batch:
            self.target.bulk_write(batch)

    def close(self) -> None:
        self.before_images.close()


def write_chunk(target: Collection, operations: list[dict[str, Any]],
                rollback: Rollback) -> None:
    """Inserts (with ids chosen here, so they can be undone) and upserts of one chunk."""
    inserts = [op["insert"] for op in operations if "insert" in op]
    for document in inserts:
        document.setdefault("_id", ObjectId())
    rollback.created_ids(d["_id"] for d in inserts)
    updates = [UpdateOne(op["filter"], op["update"], upsert=True)
               for op in operations if "insert" not in op]
    if inserts:
        target.insert_many(inserts, ordered=True)
    if updates:
        try:
            result = target.bulk_write(updates, ordered=True)
        except BulkWriteError as exc:
            rollback.created_ids(u["_id"] for u in exc.details.get("upserted", []))
            raise
        rollback.created_ids(result.upserted_ids.values())
