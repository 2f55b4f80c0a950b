"""Data versions: a counter per collection in Redis that moves after every write to it, so a
cached report can tell whether the data it was built from has changed since.

A pymongo command listener (registered on the client in `sop.db.connect_database`) sees every
write command. A write outside a transaction bumps its collection once the server acknowledged
it; writes inside a transaction are remembered per session and bumped when `commitTransaction`
succeeds (never before: a report must not be cached with a version newer than its data), and
forgotten on `abortTransaction`. A version reads `<epoch>:<counter>`; the epoch is a random token
kept in Redis, so a flushed Redis never matches a version stored on an old report.

Redis trouble never breaks a write: a bump that could not be sent is logged and sent with the
next one (or before the next read of the versions in this process). It is also kept in the
database (`dataversion_unsent`), because another process may serve a report from the cache
before this one talks to Redis again (or this one may be gone): the report cache sends those
stored bumps before it reads versions, and is bypassed while it cannot."""

from __future__ import annotations

import logging
import secrets
import threading
from typing import Any

from bson import Binary
from pymongo import monitoring
from redis import Redis
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

EPOCH_KEY = "dataversion:epoch"
COUNTER_KEY = "dataversion:{}"
WRITE_COMMANDS = frozenset({"insert", "update", "delete", "findandmodify"})
TRANSACTION_ENDS = frozenset({"committransaction", "aborttransaction"})
# Bookkeeping that no report reads: bumping it would only cost a Redis call per write.
UNSENT_COLLECTION = "dataversion_unsent"
IGNORED_COLLECTIONS = frozenset({"reports", "audit_entries", "audit_archive",
                                 UNSENT_COLLECTION})
IGNORED_SUFFIXES = (".files", ".chunks")
# Fields no report or cached page shows: a sign-in writes them, and must not make every
# report that names a rep stale.
BOOKKEEPING_FIELDS = {"users": frozenset({"last_login_at", "failed_login_count", "locked_until"})}

_unsent: set[str] = set()
_unsent_lock = threading.Lock()


def bump(redis: Redis, collections: set[str]) -> None:
    """Move the versions of `collections` (and of any bump that failed before)."""
    with _unsent_lock:
        names = collections | _unsent
        _unsent.clear()
    if not names:
        return
    try:
        pipe = redis.pipeline(transaction=False)
        for name in sorted(names):
            pipe.incr(COUNTER_KEY.format(name))
        pipe.execute()
    except RedisError as exc:
        log.warning("Data versions of %s not bumped (kept for the next try): %s",
                    ", ".join(sorted(names)), exc)
        with _unsent_lock:
            _unsent.update(names)
        _store_unsent(names)


def _store_unsent(names: set[str]) -> None:
    """Keep bumps Redis missed in the database, for every process's report cache."""
    from mongoengine.connection import get_db
    from pymongo.errors import PyMongoError

    try:
        unsent = get_db()[UNSENT_COLLECTION]
        for name in names:
            unsent.update_one({"_id": name}, {"$inc": {"n": 1}}, upsert=True)
    except PyMongoError as exc:
        log.error("Data versions of %s could not be kept in the database either: %s",
                  ", ".join(sorted(names)), exc)


def send_stored_unsent(redis: Redis) -> bool:
    """Send the bumps any process kept in the database while Redis was away; False while
    some cannot be sent (then no cached report may be trusted). A bump stored again
    meanwhile stays for the next call (sending one twice only makes a cache miss)."""
    from mongoengine.connection import get_db

    unsent = get_db()[UNSENT_COLLECTION]
    stored = list(unsent.find())
    if not stored:
        return True
    try:
        pipe = redis.pipeline(transaction=False)
        for entry in stored:
            pipe.incr(COUNTER_KEY.format(entry["_id"]))
        pipe.execute()
    except RedisError as exc:
        log.warning("Stored data versions still cannot be sent: %s", exc)
        return False
    for entry in stored:
        unsent.delete_one({"_id": entry["_id"], "n": entry["n"]})
    return True


def current_versions(redis: Redis, collections: tuple[str, ...], stored_unsent: bool = False
                     ) -> dict[str, str] | None:
    """`{collection: "<epoch>:<counter>"}` now, or None when Redis cannot tell (then nothing may
    be served from or stored for the cache). Read BEFORE building a report. With
    `stored_unsent` (the report cache) the bumps any process kept in the database are sent
    first (one more database read)."""
    bump(redis, set())
    if stored_unsent and not send_stored_unsent(redis):
        return None
    with _unsent_lock:
        if _unsent:
            return None
    try:  # one round trip: the hot paths (a cell save) read versions several times
        pipe = redis.pipeline(transaction=False)
        pipe.set(EPOCH_KEY, secrets.token_hex(8), nx=True)
        pipe.mget([EPOCH_KEY, *(COUNTER_KEY.format(n) for n in collections)])
        epoch, *counters = pipe.execute()[1]
    except RedisError as exc:
        log.warning("Data versions unreadable, the report cache is bypassed: %s", exc)
        return None
    if epoch is None:
        return None
    return {name: f"{epoch.decode()}:{int(counter or 0)}"
            for name, counter in zip(collections, counters, strict=True)}


def _tracked(collection: Any) -> bool:
    return (isinstance(collection, str) and collection not in IGNORED_COLLECTIONS
            and not collection.startswith("system.")
            and not collection.endswith(IGNORED_SUFFIXES))


def _only_bookkeeping(collection: str, command: dict[str, Any]) -> bool:
    """An update (or findAndModify) that only sets, clears or counts bookkeeping fields."""
    fields = BOOKKEEPING_FIELDS.get(collection)
    if not fields:
        return False
    changes = ([u.get("u") for u in command.get("updates") or []] if "updates" in command
               else [command.get("update")])
    return bool(changes) and all(
        isinstance(change, dict) and change and all(
            operator.startswith("$") and isinstance(values, dict) and set(values) <= fields
            for operator, values in change.items())
        for change in changes)


def _changed_something(reply: dict[str, Any]) -> bool:
    """False when the server says the write matched nothing (a guarded update that lost)."""
    if reply.get("upserted"):
        return True
    count = reply.get("n")
    if count is None:
        count = (reply.get("lastErrorObject") or {}).get("n")
    return count is None or count > 0


class DataVersionListener(monitoring.CommandListener):
    """Bumps the data version of every collection a successful write changed."""

    def __init__(self, redis: Redis) -> None:
        self.redis = redis
        self._lock = threading.Lock()
        self._running: dict[tuple[Any, int], tuple[str, Any, Any]] = {}  # request → what
        self._in_transaction: dict[Any, tuple[Any, set[str]]] = {}  # lsid → (txn, names)

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        name = event.command_name.lower()
        if name not in WRITE_COMMANDS and name not in TRANSACTION_ENDS:
            return
        command = event.command
        collection = command.get(event.command_name) if name in WRITE_COMMANDS else None
        if name in WRITE_COMMANDS and (not _tracked(collection) or (
                name != "insert" and _only_bookkeeping(collection, command))):
            return
        session = command.get("lsid", {}).get("id")
        session = bytes(session) if isinstance(session, Binary) else session
        transaction = command.get("txnNumber") if command.get("autocommit") is False else None
        with self._lock:
            self._running[(event.connection_id, event.request_id)] = (
                collection or name, session, transaction)

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        with self._lock:
            found = self._running.pop((event.connection_id, event.request_id), None)
        if found is None:
            return
        what, session, transaction = found
        if what in TRANSACTION_ENDS:
            self._end_transaction(session, transaction, committed=what == "committransaction")
        elif _changed_something(event.reply):
            if transaction is None:
                bump(self.redis, {what})
            else:
                self._remember(session, transaction, what)

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        with self._lock:
            found = self._running.pop((event.connection_id, event.request_id), None)
        if found is not None and found[0] == "committransaction":
            # The outcome may be unknown (the commit is retried): bump now in case it landed,
            # and keep the writes so a commit that succeeds later bumps after it.
            with self._lock:
                pending = self._in_transaction.get(found[1])
            if pending is not None and pending[0] == found[2]:
                bump(self.redis, set(pending[1]))

    def _remember(self, session: Any, transaction: Any, collection: str) -> None:
        with self._lock:
            current = self._in_transaction.get(session)
            if current is None or current[0] != transaction:  # a new transaction replaces
                current = (transaction, set())  # whatever an abandoned one left
                self._in_transaction[session] = current
            current[1].add(collection)

    def _end_transaction(self, session: Any, transaction: Any, committed: bool) -> None:
        with self._lock:
            pending = self._in_transaction.get(session)
            if pending is None or pending[0] != transaction:
                return
            del self._in_transaction[session]
        if committed:
            bump(self.redis, pending[1])
