"""Storing an uploaded file and queueing its check, whole or not at all (master-data imports
and rep workbooks): a database that refuses the write (its disk full) or a job queue that does
not answer leaves no chunk, file or record behind, and the user gets a sentence."""

from __future__ import annotations

import contextlib
import logging
import tempfile
from collections.abc import Iterator
from pathlib import Path

import gridfs
from bson import ObjectId
from gridfs.errors import CorruptGridFile
from mongoengine import Document
from mongoengine.connection import get_db
from mongoengine.errors import OperationError
from pymongo.errors import PyMongoError
from redis.exceptions import RedisError

from sop.errors import QUEUE_DOWN
from sop.excel.safety import container_kind
from sop.extensions import redis_queues
from sop.settings import get_setting

log = logging.getLogger(__name__)

CHUNKS_PER_REPLY = 8  # 2 MB at GridFS's default chunk size
NOT_STORED = ("The file could not be stored: the database refused the write (it may be out of "
              "disk space). Nothing was kept. Try again later, or tell an admin.")


class UploadRefused(ValueError):
    """The upload was not kept; the text says why and what to do."""


@contextlib.contextmanager
def stored_whole(files: gridfs.GridFS, file_id: ObjectId, file_name: str) -> Iterator[None]:
    """The writes of one upload (its GridFS file `file_id`, its record): when the database
    refuses one, whatever chunks made it are removed and UploadRefused says so."""
    try:
        yield
    except (PyMongoError, OperationError) as exc:  # e.g. the database's disk is full
        log.error("Upload %s could not be stored: %s", file_name[:80], exc)
        with contextlib.suppress(PyMongoError):
            files.delete(file_id)
        raise UploadRefused(NOT_STORED) from None


def queue_import_job(function: str, record: Document, description: str, files: gridfs.GridFS,
                     file_id: ObjectId) -> Document:
    """Queue the check of an uploaded file (`record`, an ImportLog or a WorkbookUpload) on the
    `imports` queue, within the time one import check may take; the record with its job id.
    When the queue does not answer, nothing is kept of an upload nobody would check."""
    try:
        job = redis_queues.queue("imports").enqueue(
            function, str(record.pk), job_timeout=int(get_setting("import_max_seconds")),
            description=description[:100])
    except RedisError:
        record.delete()
        files.delete(file_id)
        raise UploadRefused(QUEUE_DOWN) from None
    type(record).objects(id=record.pk).update_one(set__job_id=job.id)
    return record.reload()


@contextlib.contextmanager
def spooled_upload(bucket: str, file_id: ObjectId) -> Iterator[Path]:
    """The GridFS file `file_id` of `bucket` as a temporary file named by its format (what
    sop.excel.rows reads in place), removed afterwards; copied a few chunks per database
    reply. GridFS's own reader takes the server's default first batch, 101 chunks (25 MB) in
    one reply, and the allocator keeps that memory once it is freed: a 22 MB upload left the
    importing worker 18-32 MB larger for its whole import. CorruptGridFile when a chunk is
    missing or the file is shorter than recorded."""
    stored = gridfs.GridFS(get_db(), collection=bucket).get(file_id)  # NoFile when gone
    chunks = get_db()[f"{bucket}.chunks"].find(  # the GridFS layout: files_id, n, data
        {"files_id": file_id}, sort=[("n", 1)], batch_size=CHUNKS_PER_REPLY)
    with tempfile.TemporaryDirectory(prefix="sop-upload-") as folder:
        spooled = Path(folder) / "upload"
        with spooled.open("w+b") as spool:
            for expected, chunk in enumerate(chunks):
                if chunk["n"] != expected:
                    raise CorruptGridFile(f"Upload {file_id}: chunk {expected} is missing.")
                spool.write(chunk["data"])
            if spool.tell() != stored.length:
                raise CorruptGridFile(
                    f"Upload {file_id}: {spool.tell()} of {stored.length} bytes.")
            kind = container_kind(spool)
        yield spooled.rename(spooled.with_suffix(f".{kind}"))
