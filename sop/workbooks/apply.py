"""Writing an import: every write of an `ImportPlan` in ONE multi-document transaction (the
embedded server and MongoDB both hold a rep's few thousand lines in one), so the plan changes
whole or not at all; then the audit entries."""

from __future__ import annotations

import logging
from typing import Any

from bson import ObjectId
from mongoengine.connection import get_connection
from pymongo import DeleteOne, InsertOne, UpdateOne
from pymongo.errors import PyMongoError

from sop.audit import record_audit, record_audits
from sop.clock import now
from sop.db import raw_collection
from sop.models import Customer, Cycle, ForecastLine, Product, Submission, User
from sop.models.submission import EDITABLE_STATUSES
from sop.submissions.services import submission_for
from sop.workbooks.access import WorkbookRefused, check_import
from sop.workbooks.diff import ImportPlan

log = logging.getLogger(__name__)

WRITE_CHUNK = 1000  # operations per bulk write inside the transaction


class _StaleLines(Exception):
    """Lines changed between computing the writes and writing them."""


class _PlanLockedMeanwhile(Exception):
    """The plan was submitted between the editable check and the transaction."""


def execute_write(collection: Any, operations: list[Any], session: Any) -> Any:
    """One bulk write inside the import's transaction (tests inject failures here)."""
    return collection.bulk_write(operations, ordered=True, session=session)


def _operation(op: dict[str, Any]) -> Any:
    if "insert" in op:
        return InsertOne(op["insert"])
    if "delete" in op:
        return DeleteOne(op["delete"])
    return UpdateOne(op["filter"], op["update"])


def _write_plan(cycle: Cycle, rep: User, plan: ImportPlan) -> None:
    """Every write of the plan in one transaction: all of it lands, or none of it. The
    transaction first touches the rep's submission while it is still editable, so a submit
    racing the import either waits for it (a write conflict, retried) or makes it fail."""
    submission_for(cycle, rep)  # the document the guard writes exists before the transaction
    lines = raw_collection(ForecastLine)
    customers = raw_collection(Customer)
    products = raw_collection(Product)
    steps: list[tuple[Any, list[Any]]] = []
    if plan.new_customers:
        steps.append((customers, [InsertOne(d) for d in plan.new_customers]))
    if plan.aliases:
        steps.append((customers, [UpdateOne({"_id": cid}, {"$addToSet": {"aliases": key},
                                                           "$set": {"updated_at": now()}})
                                  for cid, key in plan.aliases]))
    if plan.new_products:
        steps.append((products, [InsertOne(d) for d in plan.new_products]))
    for start in range(0, len(plan.line_ops), WRITE_CHUNK):
        steps.append((lines, [_operation(op) for op in
                              plan.line_ops[start:start + WRITE_CHUNK]]))

    def run(session: Any) -> None:
        guard = raw_collection(Submission).update_one(
            {"cycle": cycle.pk, "rep": rep.pk, "status": {"$in": sorted(EDITABLE_STATUSES)}},
            {"$set": {"updated_at": now()}}, session=session)
        if not guard.matched_count:
            raise _PlanLockedMeanwhile
        done = {"inserted": 0, "modified": 0, "deleted": 0}
        for collection, operations in steps:
            result = execute_write(collection, operations, session)
            if collection is lines:
                done["inserted"] += result.inserted_count
                done["modified"] += result.matched_count
                done["deleted"] += result.deleted_count
        if done != plan.expected:
            raise _StaleLines(done)

    if not steps:
        return
    with get_connection().start_session() as session:
        session.with_transaction(run)


def _audit_lines(actor: User | None, audits: list[tuple[ObjectId, str, dict[str, Any]]]
                 ) -> None:
    """One "forecast_line_updated" entry per changed line (as the grid writes them: entity
    forecast_line, changes per "M<n> qty|price"), in one bulk insert."""
    record_audits("forecast_line_updated", audits, actor=actor, entity_type="forecast_line")


def _write_failure(exc: PyMongoError, writes: int) -> str:
    """What to tell the user when the transaction did not commit (nothing was written)."""
    name = (getattr(exc, "details", None) or {}).get("codeName", "")
    if name == "TransactionTooLargeForCache":
        return (f"The database cannot change {writes:,} lines in one go; nothing was changed. "
                "Split the workbook (fewer customer sheets per file) and import each part.")
    if "Transaction numbers are only allowed" in str(exc) or name == "IllegalOperation":
        return ("Workbook imports need MongoDB running as a replica set (transactions); "
                "nothing was changed. Ask the administrator.")
    return "The database failed while writing; nothing was changed. Try again."


def apply_plan(actor: User | None, cycle: Cycle, rep: User, plan: ImportPlan,
               file_name: str, upload_id: ObjectId | None = None,
               counts: dict[str, Any] | None = None) -> None:
    """Write a plan without errors (all or nothing) and audit it."""
    if plan.errors:
        raise WorkbookRefused("The workbook has errors: fix them (or resolve the sheets) first.")
    check_import(actor, cycle, rep)
    try:
        _write_plan(cycle, rep, plan)
    except _PlanLockedMeanwhile:
        raise WorkbookRefused(f"{rep.full_name}'s plan was submitted while the workbook was "
                              "being imported; nothing was changed.") from None
    except _StaleLines:
        raise WorkbookRefused("Some of these lines changed while the workbook was being "
                              "imported; nothing was changed. Look at the preview again and "
                              "confirm.") from None
    except PyMongoError as exc:
        log.error("Workbook import for %s failed: %s", rep.email, str(exc)[:300])
        raise WorkbookRefused(_write_failure(exc, len(plan.line_ops))) from None
    _audit_lines(actor, plan.audits)
    counts = counts or plan.counts()
    for document in plan.new_customers:
        record_audit("customer_created", f"Customer {document['code']} {document['name']} "
                     f"created for {rep.full_name} by a workbook import.", actor=actor,
                     entity_type="customer", entity_id=document["_id"])
    for document in plan.new_products:
        record_audit("product_created", f"Item {document['item_code']} created by a workbook "
                     "import.", actor=actor, entity_type="product", entity_id=document["_id"])
    record_audit("workbook_imported",
                 f"Workbook {file_name} imported into {rep.full_name}'s plan for {cycle.name}: "
                 f"{counts['added']} lines added, {counts['changed']} changed, "
                 f"{counts['removed']} removed, {counts['unchanged']} unchanged.", actor=actor,
                 entity_type="workbook_upload" if upload_id else "cycle",
                 entity_id=upload_id or cycle.pk,
                 changes={key: {"before": None, "after": counts[key]}
                          for key in ("sheets", "added", "changed", "removed", "unchanged")})

