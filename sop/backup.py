"""Backup and restore of the whole database: every collection, GridFS files included (a GridFS
bucket is its `<bucket>.files` and `<bucket>.chunks` collections), into one compressed file.

The file is a `.tar.gz` holding `manifest.json` (format, when, and per collection its document
count and the SHA-256 of its stream) and `collections/<name>.bson`: the documents in `_id`
order as concatenated BSON, the format of mongodump (`bsondump` reads it). Documents are copied
as raw BSON, never decoded, so a restore gives back the same bytes and the same checksums.

Consistent: after copying, every collection is read again and its checksum compared; if anything
changed meanwhile the copy is made again (a few times), else refused with a sentence. Restore
checks the whole file against its manifest before writing anything, and refuses a database that
already holds data unless told to replace it.
"""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import bson
from bson.codec_options import CodecOptions
from bson.raw_bson import RawBSONDocument
from pymongo.database import Database

from sop.clock import now

FORMAT = "sop-portal-backup"
VERSION = 1
MANIFEST = "manifest.json"
RAW = CodecOptions(document_class=RawBSONDocument)
INSERT_BATCH = 1000
ATTEMPTS = 3


class BackupError(RuntimeError):
    """A backup or restore that cannot be done; the message says what to do."""


@dataclass
class Manifest:
    created_at: str
    database: str
    collections: dict[str, dict[str, Any]] = field(default_factory=dict)

    def as_json(self) -> bytes:
        return json.dumps({"format": FORMAT, "version": VERSION, "created_at": self.created_at,
                           "database": self.database, "collections": self.collections},
                          indent=2, sort_keys=True).encode()

    @property
    def gridfs_files(self) -> dict[str, int]:
        """Files per GridFS bucket."""
        return {name.removesuffix(".files"): entry["count"]
                for name, entry in self.collections.items() if name.endswith(".files")}

    def summary(self) -> str:
        documents = sum(entry["count"] for entry in self.collections.values())
        files = sum(self.gridfs_files.values())
        return (f"{len(self.collections)} collections, {documents:,} documents, "
                f"{files:,} stored files")


def data_collections(db: Database) -> list[str]:
    return sorted(name for name in db.list_collection_names() if not name.startswith("system."))


def _documents(db: Database, name: str) -> Iterator[RawBSONDocument]:
    collection = db.get_collection(name, codec_options=RAW)
    yield from collection.find({}, sort=[("_id", 1)], batch_size=1000)


def _copy(db: Database, name: str, out: IO[bytes] | None) -> dict[str, Any]:
    """Stream one collection (into `out` when given); its count and checksum."""
    digest, count = hashlib.sha256(), 0
    for document in _documents(db, name):
        raw = document.raw
        digest.update(raw)
        if out is not None:
            out.write(raw)
        count += 1
    return {"count": count, "sha256": digest.hexdigest()}


def write_backup(db: Database, target: Path) -> Manifest:
    """Write the backup of `db` to `target` (a .tar.gz); returns its manifest."""
    for _attempt in range(ATTEMPTS):
        with tempfile.TemporaryDirectory(prefix="sop-backup-") as work:
            manifest = Manifest(created_at=now().isoformat(timespec="seconds"),
                                database=db.name)
            for name in data_collections(db):
                with open(Path(work) / f"{name}.bson", "wb") as out:
                    manifest.collections[name] = _copy(db, name, out)
            changed = [name for name in data_collections(db)
                       if manifest.collections.get(name) != _copy(db, name, None)]
            if changed:
                continue
            partial = target.with_name(target.name + ".partial")
            with tarfile.open(partial, "w:gz") as archive:
                _add_bytes(archive, MANIFEST, manifest.as_json())
                for name in manifest.collections:
                    archive.add(Path(work) / f"{name}.bson", arcname=f"collections/{name}.bson")
            partial.replace(target)
            return manifest
    raise BackupError(f"The data kept changing while it was copied ({', '.join(changed)}), so "
                      "no consistent backup could be made. Stop the web app and the workers "
                      "(or choose a quiet time) and run the backup again.")


def _add_bytes(archive: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = int(now().timestamp())
    archive.addfile(info, io.BytesIO(data))


def read_manifest(archive: tarfile.TarFile) -> Manifest:
    try:
        stored = archive.extractfile(MANIFEST)
        values = json.loads(stored.read()) if stored else None
    except (KeyError, ValueError):
        values = None
    if not isinstance(values, dict) or values.get("format") != FORMAT:
        raise BackupError("This file is not a backup made by `flask backup` (no manifest).")
    if values.get("version") != VERSION:
        raise BackupError(f"This backup has format version {values.get('version')}; this "
                          f"version of the portal restores version {VERSION}.")
    return Manifest(values["created_at"], values["database"], values["collections"])


def _stored_documents(archive: tarfile.TarFile, name: str) -> Iterator[RawBSONDocument]:
    stream = archive.extractfile(f"collections/{name}.bson")
    if stream is None:
        raise BackupError(f"The backup lacks the collection {name}: it is incomplete.")
    yield from bson.decode_file_iter(stream, codec_options=RAW)


def verify_backup(source: Path) -> Manifest:
    """The manifest of `source` once every collection in it matches its count and checksum."""
    try:
        with tarfile.open(source, "r:gz") as archive:
            manifest = read_manifest(archive)
            for name, expected in manifest.collections.items():
                digest, count = hashlib.sha256(), 0
                for document in _stored_documents(archive, name):
                    digest.update(document.raw)
                    count += 1
                if {"count": count, "sha256": digest.hexdigest()} != expected:
                    raise BackupError(f"The backup's copy of {name} does not match its "
                                      "manifest: the file is damaged. Use another backup.")
    except (tarfile.TarError, EOFError, OSError, bson.errors.BSONError) as exc:
        raise BackupError(f"The backup file cannot be read ({exc}): it is damaged or not a "
                          "backup. Use another backup.") from None
    except KeyError as exc:
        raise BackupError(f"The backup lacks {exc}: it is incomplete. Use another backup."
                          ) from None
    return manifest


def restore_backup(db: Database, source: Path, force: bool = False) -> Manifest:
    """Load the backup `source` into `db`. Refuses a database that holds data unless `force`
    (then every collection of `db` is dropped first). Nothing is written when the file does
    not match its manifest."""
    manifest = verify_backup(source)
    holding = [name for name in data_collections(db) if db[name].find_one({}, {"_id": 1})]
    if holding and not force:
        raise BackupError(f"The database {db.name} already holds data ({', '.join(holding[:5])}"
                          f"{', …' if len(holding) > 5 else ''}). Restore into an empty "
                          "database, or add --force to replace everything in it.")
    for name in data_collections(db) if force else ():
        db.drop_collection(name)
    with tarfile.open(source, "r:gz") as archive:
        for name in manifest.collections:
            if name not in db.list_collection_names():  # empty ones too: same collections
                db.create_collection(name)
            collection = db.get_collection(name, codec_options=RAW)
            batch: list[RawBSONDocument] = []
            for document in _stored_documents(archive, name):
                batch.append(document)
                if len(batch) == INSERT_BATCH:
                    collection.insert_many(batch, ordered=True)
                    batch = []
            if batch:
                collection.insert_many(batch, ordered=True)
    return manifest


def database_checksums(db: Database) -> dict[str, dict[str, Any]]:
    """Count and checksum of every collection as stored now (what a manifest records)."""
    return {name: _copy(db, name, None) for name in data_collections(db)}
