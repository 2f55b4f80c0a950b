"""MongoEngine connection. Works on real MongoDB and on the embedded server alike."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

import mongoengine
from flask import Flask
from mongoengine.errors import OperationError
from pymongo.collection import Collection
from pymongo.errors import OperationFailure
from pymongo.uri_parser import parse_uri
from redis import Redis

from sop.dataversions import DataVersionListener

T = TypeVar("T")


def database_name(uri: str) -> str:
    return parse_uri(uri).get("database") or "sop"


def connect_database(app: Flask) -> None:
    """Connect the default alias; indexes are ensured by `ensure_indexes` at start. In a
    forked child (an RQ work horse) this replaces the client inherited from the parent:
    pymongo resets an inherited client's pools and locks after fork(), so closing it in the
    child sends nothing over the parent's sockets, and `disconnect` drops every
    document's collection cached against it."""
    uri = app.config["MONGODB_URI"]
    mongoengine.disconnect()
    mongoengine.connect(
        host=uri, db=database_name(uri), serverSelectionTimeoutMS=5000, tz_aware=True,
        uuidRepresentation="standard", event_listeners=[data_version_listener(app)],
    )


def data_version_listener(app: Flask) -> DataVersionListener:
    """Bumps the per-collection data versions in Redis the report cache compares
    (sop.dataversions); short timeouts: a Redis hiccup must not hold up writes."""
    redis = Redis.from_url(app.config["REDIS_URL"], socket_connect_timeout=1, socket_timeout=1)
    return DataVersionListener(redis)


def raw_collection(document: type[mongoengine.Document]) -> Collection:
    """The pymongo collection behind `document` (its declared `COLLECTION`), for the bulk
    writes, aggregations and raw reads MongoEngine's querysets do not offer; MongoEngine names
    it only by an underscore method. Indexes are `ensure_indexes`' job at start."""
    return mongoengine.get_db()[document.COLLECTION]


def ensure_indexes() -> None:
    """Create the indexes every document declares (idempotent)."""
    from sop import models

    for document in models.ALL_DOCUMENTS:
        document.ensure_indexes()


WRITE_CONFLICT = 112


def is_write_conflict(exc: BaseException) -> bool:
    """A single-document write that lost a race with another write to the same document.
    MongoDB retries those inside the server; the embedded server reports them instead."""
    for error in (exc, exc.__cause__, exc.__context__):
        if isinstance(error, OperationFailure) and error.code == WRITE_CONFLICT:
            return True
    return False


def retry_write_conflicts(write: Callable[[], T], attempts: int = 5) -> T:
    """Run `write` (one atomic single-document operation) again when it lost a write conflict,
    so a conditional update decides on the document as the other write left it."""
    for attempt in range(attempts):
        try:
            return write()
        except (OperationFailure, OperationError) as exc:
            if attempt == attempts - 1 or not is_write_conflict(exc):
                raise
            time.sleep(0.005 * (attempt + 1))
    raise AssertionError("unreachable")
