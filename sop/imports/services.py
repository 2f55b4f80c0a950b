"""Master-data imports: upload → validate (worker) → preview → confirm → apply (worker).

Validation reads and checks the whole file and stages the resulting writes; nothing touches
the data yet. Apply writes them chunk by chunk and undoes everything on any failure
(sop.imports.apply), so an import lands whole or not at all. Files live in GridFS (any web
or worker process can read them) until the nightly cleanup removes them.
"""

from __future__ import annotations

import itertools
import logging
import time
from collections.abc import Collection, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import bson
import gridfs
from bson import ObjectId
from mongoengine.connection import get_db
from pymongo.errors import PyMongoError
from redis.exceptions import RedisError
from rq import get_current_job
from rq.timeouts import JobTimeoutException

from sop.audit import record_audit
from sop.clock import now
from sop.db import raw_collection
from sop.errors import QUEUE_DOWN
from sop.excel.budget import read_budget
from sop.excel.import_files import annotated_copy, problems_workbook
from sop.excel.masterdata import FORMATS, HeaderError, ProblemLog, read_rows
from sop.excel.safety import UnsafeWorkbook, inspect_upload
from sop.extensions import redis_queues
from sop.imports.apply import UndoLog, undo_import, write_chunk
from sop.imports.handlers import HANDLERS, Plan
from sop.jobs.runner import cycle_collector_paused
from sop.models import IMPORT_KINDS, ImportLog, ImportProblem, User
from sop.pagination import Page, paginate
from sop.settings import get_setting
from sop.uploads import UploadRefused, queue_import_job, spooled_upload, stored_whole

log = logging.getLogger(__name__)

UPLOAD_BUCKET = "uploads"
PLAN_BUCKET = "import_plans"
STAGING_CHUNK = 500
STORED_PROBLEMS = 1000
ANNOTATE_MAX_ROWS = 50_000
JOB_TIMEOUT = 3600



class ImportRefused(ValueError):
    """A refusal the user can act on."""


def _uploads() -> gridfs.GridFS:
    return gridfs.GridFS(get_db(), collection=UPLOAD_BUCKET)


def _plans() -> gridfs.GridFS:
    return gridfs.GridFS(get_db(), collection=PLAN_BUCKET)


def start_import(actor: User, kind: str, file_name: str, data: bytes) -> ImportLog:
    """Store the upload and queue its validation; refuses what is obviously not importable."""
    if kind not in IMPORT_KINDS:
        raise ImportRefused("Choose what the file contains.")
    if not data:
        raise ImportRefused("The file is empty: choose the workbook to import.")
    max_bytes = int(get_setting("max_upload_mb")) * 1024 * 1024
    try:
        facts = inspect_upload(data, max_bytes, max_rows=int(get_setting("import_max_rows")))
    except UnsafeWorkbook as exc:
        raise ImportRefused(str(exc)) from None
    file_id = ObjectId()
    try:
        with stored_whole(_uploads(), file_id, file_name):
            _uploads().put(data, _id=file_id, filename=file_name[:255], kind=kind,
                           uploaded_at=now(), uploaded_by=actor.pk)
            record = ImportLog(kind=kind, file_name=file_name[:255], file_size=len(data),
                               file_id=file_id, uploaded_by=actor,
                               rows_total=facts.declared_rows or None).save()
        return queue_import_job("sop.jobs.imports.validate_import", record,
                                f"Validate {kind} import {file_name[:60]}", _uploads(), file_id)
    except UploadRefused as exc:
        raise ImportRefused(str(exc)) from None


def _progress(record_id: ObjectId, field: str):
    def report(count: int) -> None:
        ImportLog.objects(id=record_id).update_one(**{f"set__{field}": count})

    return report


@cycle_collector_paused()
def validate_import(record_id: str) -> dict[str, Any]:
    """Read, check and stage one upload (worker job). Ends `validated` or `rejected`, also
    when RQ's job timeout (import_max_seconds) strikes, wherever it does."""
    record = ImportLog.objects.get(id=record_id)
    problems = ProblemLog()
    try:
        return _validate(record, problems)
    except JobTimeoutException:
        return _finish_validation(record, Plan(), problems, _out_of_time())


def _validate(record: ImportLog, problems: ProblemLog) -> dict[str, Any]:
    ImportLog.objects(id=record.pk).update_one(set__status="validating", set__phase="reading")
    started = time.perf_counter()
    handler = HANDLERS[record.kind]
    try:
        with spooled_upload(UPLOAD_BUCKET, record.file_id) as data:
            progress = _progress(record.pk, "rows_read")
            rows = (read_budget(data, problems, progress) if record.kind == "budget" else
                    read_rows(data, FORMATS[record.kind], problems, progress=progress,
                              max_rows=int(get_setting("import_max_rows"))))
            plan = handler.prepare(rows, problems)
    except (HeaderError, UnsafeWorkbook) as exc:  # no columns; damaged, password-protected
        return _finish_validation(record, Plan(), problems, str(exc))
    except JobTimeoutException:  # not a reading error: validate_import reports it
        raise
    except Exception as exc:  # a workbook calamine cannot parse
        log.warning("Import %s could not be read: %s", record.pk, exc)
        return _finish_validation(record, Plan(), problems,
                                  "The workbook could not be read. Open it in Excel, save it "
                                  "again as .xlsx and upload the new copy.")
    read_seconds = time.perf_counter() - started
    ImportLog.objects(id=record.pk).update_one(set__phase="staging",
                                               set__rows_validated=plan.rows)
    if not problems.errors:
        _stage(record.pk, plan)
    log.info("Import %s: read and checked %d rows in %.1f s, staged %d writes in %.1f s",
             record.pk, plan.rows, read_seconds, plan.write_count,
             time.perf_counter() - started - read_seconds)
    return _finish_validation(record, plan, problems, None)


def _out_of_time() -> str:
    job = get_current_job()
    limit = job.timeout if job is not None else get_setting("import_max_seconds")
    return (f"The check stopped after {limit} seconds, the limit for one import "
            "(import_max_seconds on the Settings page): split the file into smaller ones, or "
            "ask an admin to raise the limit.")


def _stage(record_id: ObjectId, plan: Plan) -> None:
    """Store the writes as a GridFS file of BSON chunks (cheap to store and read back),
    building each chunk only when it is written."""
    writes = iter(plan.writes)
    with _plans().new_file(filename=f"{record_id}.bson", import_log=record_id) as stored:
        while chunk := [write.as_operation()
                        for write in itertools.islice(writes, STAGING_CHUNK)]:
            stored.write(bson.encode({"operations": chunk}))
    ImportLog.objects(id=record_id).update_one(set__plan_file_id=stored._id)


def _finish_validation(record: ImportLog, plan: Plan, problems: ProblemLog,
                       fatal: str | None) -> dict[str, Any]:
    counts = {"rows": plan.rows, "added": plan.added, "changed": plan.changed,
              "unchanged": plan.unchanged, "errors": problems.errors + (1 if fatal else 0),
              "warnings": problems.warnings, "writes": plan.write_count}
    stored = [ImportProblem(sheet=p.sheet, row=p.row, column=p.column,
                            value=None if p.value is None else str(p.value)[:200],
                            message=p.message, severity=p.severity)
              for p in list(problems)[:STORED_PROBLEMS]]
    status = "rejected" if counts["errors"] else "validated"
    ImportLog.objects(id=record.pk).update_one(
        set__status=status, set__phase=None, set__counts=counts, set__problems=stored,
        set__error_message=fatal, set__validated_at=now())
    return counts


def confirm_import(actor: User, record: ImportLog) -> ImportLog:
    """The user saw the preview and wants it applied: queue the apply job."""
    # A failed apply was undone and keeps its staged plan: it may be applied again.
    claimed = ImportLog.objects(id=record.pk, status__in=("validated", "failed"),
                                plan_file_id__ne=None).modify(
        set__status="applying", set__phase="queued", set__applied_by=actor, new=True)
    if claimed is None:
        raise ImportRefused("This import cannot be applied (it has errors, or it is already "
                           "applied or being applied).")
    try:
        job = redis_queues.queue("imports").enqueue(
            "sop.jobs.imports.apply_import", str(record.pk), job_timeout=JOB_TIMEOUT,
            description=f"Apply {record.kind} import {record.file_name[:60]}")
    except RedisError:  # back to where it was: it may be confirmed again
        ImportLog.objects(id=record.pk, status="applying").update_one(
            set__status=record.status, set__phase=None)
        raise ImportRefused(QUEUE_DOWN) from None
    ImportLog.objects(id=record.pk).update_one(set__job_id=job.id)
    return claimed


@cycle_collector_paused()
def apply_import(record_id: str) -> dict[str, Any]:
    """Write every staged change (worker job): all or nothing (sop.imports.apply)."""
    record = ImportLog.objects.get(id=record_id)
    handler = HANDLERS[record.kind]
    target = raw_collection(handler.target)
    ImportLog.objects(id=record.pk).update_one(set__phase="writing")
    undo_log = UndoLog(get_db(), record.pk, target)
    written = 0
    try:
        # One chunk is written (a thread waiting on the database) while the next is built and
        # its undo record stored: chunks touch different documents (one write per bucket). The
        # `with` waits for the write in flight, so an undo never runs beside a write.
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="import-write") as writer:
            in_flight: Future[int] | None = None
            for chunk in _staged_chunks(record):
                operations = handler.expand(chunk["operations"])
                undo_log.prepare(operations)
                if in_flight is not None:
                    written += _written(record, in_flight, written)
                in_flight = writer.submit(_write_counted, target, operations)
            if in_flight is not None:
                written += _written(record, in_flight, written)
    except PyMongoError as exc:
        return _undo_failed_apply(record, exc)
    undo_log.finish()
    _remove_plan(record)
    ImportLog.objects(id=record.pk).update_one(set__status="applied", set__phase=None,
                                               set__rows_written=written,
                                               set__applied_at=now())
    record.reload()
    record_audit("import_completed", f"{record.kind.title()} import of {record.file_name}: "
                 f"{record.counts.get('added', 0)} added, {record.counts.get('changed', 0)} "
                 f"changed, {record.counts.get('unchanged', 0)} unchanged.",
                 actor=record.applied_by, entity_type="import", entity_id=record.pk,
                 changes={"kind": {"before": None, "after": record.kind},
                          "written": {"before": None, "after": written}})
    if record.kind == "sales":
        from sop.jobs.baseline import queue_baseline

        queue_baseline(reason="sales history imported")
    return {"written": written}


def _staged_chunks(record: ImportLog) -> Iterator[dict[str, Any]]:
    """The staged writes, one chunk at a time (an empty plan stages no file)."""
    if record.plan_file_id is None:
        return iter(())
    return bson.decode_file_iter(_plans().get(record.plan_file_id))


def _remove_plan(record: ImportLog) -> None:
    if record.plan_file_id is not None:
        _plans().delete(record.plan_file_id)
        ImportLog.objects(id=record.pk).update_one(unset__plan_file_id=True)


def write_staged_chunk(target: Any, operations: list[dict[str, Any]]) -> None:
    write_chunk(target, operations)


def _write_counted(target: Any, operations: list[dict[str, Any]]) -> int:
    write_staged_chunk(target, operations)
    return len(operations)


def _written(record: ImportLog, write: Future[int], before: int) -> int:
    """Wait for one chunk's write (its failure is raised here) and show the progress."""
    count = write.result()
    ImportLog.objects(id=record.pk).update_one(set__rows_written=before + count)
    return count


def _undo_failed_apply(record: ImportLog, exc: Exception) -> dict[str, Any]:
    try:
        undo_import(get_db(), record.pk)
    except PyMongoError:
        log.critical("Import %s: undoing a failed apply failed too", record.pk)
        return _fail_apply(record, "Writing failed and could not be fully undone yet; the "
                           "cleanup job will finish undoing it. Do not re-import until this "
                           "import shows as failed.", exc)
    return _fail_apply(record, "The database failed while writing; everything written was "
                       "undone, so nothing was changed. Try again.", exc)


def recover_interrupted_imports(dead_job_ids: Collection[str] = ()) -> int:
    """Undo imports whose apply job died (worker or work horse killed, machine restarted):
    their undo records are in the database; a validation that died is failed too (nothing
    was written). Runs when a worker sees its work horse die, at worker start and in the
    nightly cleanup. `dead_job_ids`: jobs known dead whose status RQ has not recorded yet."""
    from rq.registry import StartedJobRegistry

    from sop.jobs.recovery import job_is_live

    StartedJobRegistry(queue=redis_queues.queue("imports")).cleanup()
    recovered = 0
    for record in ImportLog.objects(status__in=("applying", "validating")):
        if job_is_live(record.job_id, dead_job_ids):
            continue  # still on its way
        if record.status == "validating":
            ImportLog.objects(id=record.pk, status="validating").update_one(
                set__status="rejected", set__phase=None,
                set__error_message="The check of this file was interrupted (the worker "
                "stopped); nothing was changed. Upload the file again.")
            recovered += 1
            continue
        undo_import(get_db(), record.pk)
        _fail_apply(record, "The import was interrupted while writing; everything it had "
                    "written was undone, so nothing was changed. Apply it again.",
                    RuntimeError("apply job gone"))
        recovered += 1
    return recovered


def _fail_apply(record: ImportLog, reason: str, exc: Exception) -> dict[str, Any]:
    log.error("Import %s failed while applying: %s", record.pk, str(exc)[:500])
    ImportLog.objects(id=record.pk).update_one(set__status="failed", set__phase=None,
                                               set__error_message=reason)
    record_audit("import_failed", f"{record.kind.title()} import of {record.file_name} "
                 f"failed; nothing was changed: {reason}", actor=record.applied_by,
                 severity="error", entity_type="import", entity_id=record.pk)
    return {"written": 0, "error": reason}


def recent_imports(page: int = 1) -> Page:
    return paginate(ImportLog.objects.order_by("-created_at"), page, per_page=20,
                    with_references=True)


def problem_report(record: ImportLog) -> bytes:
    """The upload annotated with its problems (small files), else the list of problems."""
    problems = _reread_problems(record)
    if record.file_id and (record.counts or {}).get("rows", 0) <= ANNOTATE_MAX_ROWS:
        try:
            data = _uploads().get(record.file_id).read()
            return annotated_copy(data, FORMATS[record.kind], problems)
        except Exception:  # an unusual workbook: the plain list still helps
            log.warning("Could not annotate import %s", record.pk)
    return problems_workbook(problems)


def _reread_problems(record: ImportLog) -> list[Any]:
    from sop.excel.masterdata import RowProblem

    return [RowProblem(p.sheet or "", p.row or 0, p.column or "", p.value, p.message,
                       p.severity) for p in record.problems]


def grouped_problems(record: ImportLog) -> list[dict[str, Any]]:
    """Problems grouped by column and message, for a preview that stays readable."""
    groups: dict[tuple[str, str, str], list[Any]] = {}
    for problem in record.problems:
        groups.setdefault((problem.severity, problem.column or "", problem.message),
                          []).append(problem)
    return [{"severity": s, "column": c, "message": m, "problems": items}
            for (s, c, m), items in sorted(groups.items(), key=lambda g: (g[0][0] != "error",
                                                                          -len(g[1])))]


def remove_stale_uploads(older_than_days: int) -> int:
    """Delete uploaded files (and staged plans) older than the cleanup setting."""
    from datetime import timedelta

    cutoff = now() - timedelta(days=older_than_days)
    removed = 0
    for record in ImportLog.objects(created_at__lt=cutoff, file_id__ne=None):
        _uploads().delete(record.file_id)
        _remove_plan(record)
        ImportLog.objects(id=record.pk).update_one(unset__file_id=True)
        removed += 1
    return removed
