"""Master data sent as records (the JSON API's bulk upserts) instead of a file: the same
field conversions (sop.excel.masterdata) and the same handlers (sop.imports.handlers) as
the Excel import, so the rules exist once. Everything is checked first; with no error the
writes go in one transaction (all or nothing); sending the same batch again writes nothing,
since the handlers compare with what is stored (natural keys)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from mongoengine.connection import get_connection
from pymongo.errors import BulkWriteError, OperationFailure

from sop.audit import record_audit
from sop.db import raw_collection
from sop.excel.masterdata import FORMATS, ProblemLog, normalise_header, read_records
from sop.imports.apply import write_chunk
from sop.imports.handlers import HANDLERS
from sop.jobs.runner import cycle_collector_paused
from sop.models import User

BATCH_MAX_ROWS = 20_000  # rows of one request; their writes go in one transaction
BATCH_KINDS = ("customers", "products", "prices", "sales", "budget")
DUPLICATE_KEY = 11000


class BatchConflict(ValueError):
    """Another writer changed a document this batch builds on while it was written."""


class BatchTooLarge(ValueError):
    """The database refused one transaction this large: nothing was written."""


@dataclass
class BatchProblem:
    row: int
    field: str
    value: Any
    message: str
    severity: str


@dataclass
class BatchResult:
    rows: int = 0
    added: int = 0
    changed: int = 0
    unchanged: int = 0
    written: int = 0
    applied: bool = False
    problems: list[BatchProblem] = field(default_factory=list)


def _problems(kind: str, problems: ProblemLog) -> list[BatchProblem]:
    """The reader's problems (named by column header) named by the record's field."""
    by_header = FORMATS[kind].field_by_header()
    found = []
    for problem in problems:
        spec = by_header.get(normalise_header(problem.column))
        found.append(BatchProblem(problem.row, spec.name if spec else problem.column,
                                  problem.value, problem.message, problem.severity))
    return found


@cycle_collector_paused()
def upsert_records(actor: User, kind: str, records: list[dict[str, Any]]) -> BatchResult:
    """Check every record; if none has an error, write them all in one transaction (the
    cycle collector paused meanwhile, as for a file's import: 20,000 rows make no cyclic
    garbage, but each automatic full collection walks them all)."""
    if kind not in BATCH_KINDS:
        raise ValueError(f"Unknown kind {kind!r}.")
    if len(records) > BATCH_MAX_ROWS:
        raise ValueError(f"At most {BATCH_MAX_ROWS:,} rows per request.")
    handler = HANDLERS[kind]
    problems = ProblemLog()
    plan = handler.prepare(read_records(records, FORMATS[kind], problems), problems)
    result = BatchResult(rows=len(records), added=plan.added, changed=plan.changed,
                         unchanged=plan.unchanged,
                         problems=_problems(kind, problems))
    if problems.errors:
        return result
    staged = [write.as_operation() for write in plan.writes]
    written = 0
    if staged:
        target = raw_collection(handler.target)

        def write(session: Any) -> int:
            # built inside the transaction: a retry after a write conflict builds them again
            # on what the other writer left
            operations = handler.expand(staged, session)
            write_chunk(target, operations, session)
            return len(operations)

        try:
            with get_connection().start_session() as session:
                written = session.with_transaction(write)
        except BulkWriteError as exc:
            if not any(e.get("code") == DUPLICATE_KEY for e in exc.details["writeErrors"]):
                raise
            raise BatchConflict("Some of these rows were written by another request while "
                                "this one was: nothing of it was kept. Send it again.") from None
        except OperationFailure as exc:
            if (exc.details or {}).get("codeName") != "TransactionTooLargeForCache":
                raise
            raise BatchTooLarge(f"The database cannot write {len(staged):,} documents in "
                                "one go; nothing was written. Send fewer rows per request."
                                ) from None
        record_audit("import_completed", f"{kind.title()} sent through the API: "
                     f"{plan.added} added, {plan.changed} changed, {plan.unchanged} "
                     "unchanged.", actor=actor, entity_type="import", entity_id=None,
                     changes={"kind": {"before": None, "after": kind},
                              "written": {"before": None, "after": written}})
    result.written, result.applied = written, True
    return result
