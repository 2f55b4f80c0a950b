"""An upload's way through preview and confirm: the file checked and stored in GridFS with
what was read from it, previewed in the `imports` worker, resolved, confirmed (the change
computed again from the database, then applied all or nothing) or discarded. The command
line's import goes the same way."""

from __future__ import annotations

import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import bson
import gridfs
from bson import ObjectId
from mongoengine.connection import get_db

from sop.clock import now
from sop.excel.masterdata import RowProblem
from sop.jobs.runner import cycle_collector_paused
from sop.models import Customer, Cycle, ImportProblem, User
from sop.models.workbook import SheetMatch, WorkbookUpload
from sop.plans import raw_lines
from sop.security import scoped
from sop.uploads import UploadRefused, queue_import_job, stored_whole
from sop.workbooks.access import WorkbookRefused, check_import
from sop.workbooks.apply import apply_plan
from sop.workbooks.diff import (
    CustomerSheetChange,
    ImportPlan,
    PlanState,
    load_state,
    match_sheets,
    plan_import,
)
from sop.workbooks.reading import (
    STORED_PROBLEMS,
    ParsedLine,
    ParsedSheet,
    check_upload,
    read_upload,
)

FILE_BUCKET = "workbook_files"
PROGRESS_SECONDS = 0.5  # a preview's progress is written at most this often
STAGE_CHUNK = 500  # line writes / audit entries per stored BSON chunk of a preview's plan


def _files() -> gridfs.GridFS:
    return gridfs.GridFS(get_db(), collection=FILE_BUCKET)


def _store_parsed(sheets: list[ParsedSheet]) -> ObjectId:
    with _files().new_file(filename="parsed.bson", kind="parsed") as stored:
        for sheet in sheets:
            stored.write(bson.encode({"name": sheet.name, "lines": [
                line.__dict__ for line in sheet.lines]}))
    return stored._id


def _load_parsed(upload: WorkbookUpload) -> list[ParsedSheet]:
    if upload.parsed_id is None:
        raise WorkbookRefused("This upload was already applied or discarded: upload the file "
                              "again.")
    return [ParsedSheet(doc["name"], [ParsedLine(**line) for line in doc["lines"]])
            for doc in bson.decode_file_iter(_files().get(upload.parsed_id))]


def _remove_files(upload: WorkbookUpload) -> None:
    for file_id in (upload.file_id, upload.parsed_id, upload.plan_id):
        if file_id is not None:
            _files().delete(file_id)
    WorkbookUpload.objects(id=upload.pk).update_one(unset__file_id=True, unset__parsed_id=True,
                                                    unset__plan_id=True)


def _store_plan(plan: ImportPlan) -> ObjectId:
    """The writes and audit entries of an error-free preview, as BSON chunks."""
    with _files().new_file(filename="plan.bson", kind="plan") as stored:
        stored.write(bson.encode({"expected": plan.expected,
                                  "new_customers": plan.new_customers,
                                  "new_products": plan.new_products,
                                  "aliases": [list(a) for a in plan.aliases]}))
        for start in range(0, len(plan.line_ops), STAGE_CHUNK):
            stored.write(bson.encode({"ops": plan.line_ops[start:start + STAGE_CHUNK]}))
        for start in range(0, len(plan.audits), STAGE_CHUNK):
            stored.write(bson.encode({"audits": [
                list(a) for a in plan.audits[start:start + STAGE_CHUNK]]}))
    return stored._id


def _load_plan(plan_id: ObjectId) -> ImportPlan:
    chunks = bson.decode_file_iter(_files().get(plan_id),
                                   codec_options=bson.CodecOptions(tz_aware=True))
    head = next(chunks)
    plan = ImportPlan(expected=head["expected"], new_customers=head["new_customers"],
                      new_products=head["new_products"],
                      aliases=[tuple(a) for a in head["aliases"]])
    for chunk in chunks:
        plan.line_ops.extend(chunk.get("ops", []))
        plan.audits.extend(tuple(a) for a in chunk.get("audits", []))
    return plan


def _state_key(lines: Iterable[dict[str, Any]], customers: list[Customer],
               sheets: list[SheetMatch], create_items: bool) -> str:
    """A digest of what a preview's writes depend on: the versions of the lines of the
    customers the sheets go to, the rep's customers (names, aliases) and the sheet mapping."""
    import hashlib

    targeted = {m.customer.pk for m in sheets if m.customer is not None}
    versions = sorted((str(d["_id"]), d.get("version")) for d in lines
                      if d["customer"] in targeted)
    names = sorted((str(c.pk), c.sop_name_key, tuple(c.aliases or ())) for c in customers)
    mapping = [(m.name, str(m.customer.pk) if m.customer else "", m.match) for m in sheets]
    return hashlib.sha1(repr((versions, names, mapping, create_items)).encode(),
                        usedforsecurity=False).hexdigest()


def _stored_plan(upload: WorkbookUpload) -> ImportPlan | None:
    """The preview's writes, if the database has not moved since the preview (else None:
    they are computed again)."""
    if upload.plan_id is None or not upload.state_key:
        return None
    lines = raw_lines({"cycle": upload.cycle.pk, "rep": upload.rep.pk},
                      ("_id", "version", "customer"))
    customers = list(Customer.objects(sales_rep=upload.rep.pk, active=True).order_by("code"))
    if _state_key(lines, customers, upload.sheets, upload.create_items) != upload.state_key:
        return None
    return _load_plan(upload.plan_id)


def _problem_documents(problems: Iterable[RowProblem]) -> list[ImportProblem]:
    ordered = sorted(problems, key=lambda p: (p.severity != "error", p.sheet, p.row or 0))
    return [ImportProblem(sheet=p.sheet, row=p.row or None, column=p.column,
                          value=None if p.value is None else str(p.value)[:200],
                          message=p.message, severity=p.severity)
            for p in ordered[:STORED_PROBLEMS]]


def _save_preview(upload: WorkbookUpload, plan: ImportPlan, state: PlanState
                  ) -> WorkbookUpload:
    counts = plan.counts()
    if upload.plan_id is not None:
        _files().delete(upload.plan_id)
        upload.plan_id = upload.state_key = None
    if not plan.errors:
        upload.plan_id = _store_plan(plan)
        upload.state_key = _state_key(state.lines, state.customers, upload.sheets,
                                      upload.create_items)
    for match in upload.sheets:
        match.lines = next((c.kept for c in plan.changes if c.sheet == match.name), 0)
    upload.counts = counts
    upload.changes = [c.as_dict() for c in plan.changes]
    upload.problems = _problem_documents(plan.problems)
    upload.save()
    return upload


def start_upload(actor: User | None, cycle: Cycle, rep: User, file_name: str, data: bytes,
                 create_items: bool = False, in_worker: bool = True) -> WorkbookUpload:
    """Check and store an uploaded workbook, then read and preview it: in the `imports`
    worker (the page shows its progress), or here (`in_worker=False`: the command line).
    Nothing in the plan changes."""
    check_import(actor, cycle, rep)
    kind = check_upload(data)
    for pending in WorkbookUpload.objects(cycle=cycle, rep=rep,
                                          status__in=["reading", "previewed"]):
        _discard(pending)  # one pending preview per plan
    file_id = ObjectId()
    try:
        with stored_whole(_files(), file_id, file_name):
            _files().put(data, _id=file_id, filename=file_name[:255], kind="upload",
                         uploaded_at=now())
            upload = WorkbookUpload(cycle=cycle, rep=rep, uploaded_by=actor,
                                    file_name=(file_name or "workbook.xlsx")[:255],
                                    file_size=len(data), file_kind=kind, file_id=file_id,
                                    create_items=create_items, status="reading").save()
        if not in_worker:
            return _read_and_preview(upload, cycle, rep, data)
        return queue_import_job("sop.jobs.workbooks.read_workbook_upload", upload,
                                f"Read rep workbook {upload.file_name[:60]}", _files(), file_id)
    except UploadRefused as exc:
        raise WorkbookRefused(str(exc)) from None


def read_workbook_upload(upload_id: str) -> WorkbookUpload:
    """Read a stored upload and save its preview (the `imports` job); a file that cannot be
    read ends `failed` with the sentence saying why."""
    upload = WorkbookUpload.objects.get(id=upload_id)
    if upload.status != "reading":
        return upload  # done already: a requeued job changes nothing
    return _read_and_preview(upload, upload.cycle, upload.rep,
                             _files().get(upload.file_id).read())


# The preview allocates a few hundred thousand objects without reference cycles; the
# collector they set off walked the worker's whole heap (its catalog and price matrix copies)
# for nothing: 0.05-0.2 s of a 30-sheet preview. No collection after: the first automatic
# one, once the preview's objects are freed, has only the survivors to look at.
@cycle_collector_paused(collect_after=False)
def _read_and_preview(upload: WorkbookUpload, cycle: Cycle, rep: User, data: bytes
                      ) -> WorkbookUpload:
    """Read the stored upload's file (`data`) and save its preview."""
    # progress is written once reading has taken PROGRESS_SECONDS, then at most that often
    # (a quick read writes none)
    shown = [time.monotonic()]

    def progress(done: int, total: int) -> None:
        if time.monotonic() - shown[0] >= PROGRESS_SECONDS:
            shown[0] = time.monotonic()
            WorkbookUpload.objects(id=upload.pk).update_one(set__sheets_read=done,
                                                            set__sheets_total=total)

    try:
        with ThreadPoolExecutor(max_workers=1) as pool:  # the database answers while we parse
            loading = pool.submit(load_state, cycle, rep)
            sheets, problems = read_upload(data, cycle, progress)  # checked when stored
            state = loading.result()
    except WorkbookRefused as exc:
        WorkbookUpload.objects(id=upload.pk).update_one(set__status="failed",
                                                        set__error_message=str(exc))
        _remove_files(upload)
        return upload.reload()
    file_problems = list(problems)
    with ThreadPoolExecutor(max_workers=1) as pool:  # stored while the change is computed
        storing = pool.submit(_store_parsed, sheets)
        upload.file_problems = _problem_documents(file_problems)
        upload.sheets = match_sheets(rep, [s.name for s in sheets], state=state)
        upload.status = "previewed"
        plan = plan_import(upload.uploaded_by, cycle, rep, sheets, upload.sheets,
                           file_problems, upload.create_items, state)
        upload.parsed_id = storing.result()
    return _save_preview(upload, plan, state)


def _file_problems(upload: WorkbookUpload) -> list[RowProblem]:
    return [RowProblem(p.sheet or "", p.row or 0, p.column or "", p.value, p.message,
                       p.severity) for p in upload.file_problems or []]


def _require_pending(upload: WorkbookUpload) -> None:
    if upload.status != "previewed":
        raise WorkbookRefused(f"This upload is {upload.status}: upload the file again to make "
                              "another change.")


def refresh_preview(actor: User | None, upload: WorkbookUpload) -> tuple[WorkbookUpload,
                                                                         ImportPlan]:
    """The preview computed again from the database as it is now."""
    sheets = _load_parsed(upload)
    state = load_state(upload.cycle, upload.rep)
    upload.sheets = match_sheets(upload.rep, [s.name for s in sheets], upload.sheets, state)
    plan = plan_import(actor, upload.cycle, upload.rep, sheets, upload.sheets,
                       _file_problems(upload), upload.create_items, state)
    return _save_preview(upload, plan, state), plan


def resolve_sheet(actor: User, upload: WorkbookUpload, sheet_name: str, target: str
                  ) -> WorkbookUpload:
    """Map an unknown sheet to one of the rep's customers (its name becomes an alias on
    confirm), create the customer from the sheet name (admins), or undo the decision."""
    _require_pending(upload)
    check_import(actor, upload.cycle, upload.rep)
    match = next((m for m in upload.sheets if m.name == sheet_name), None)
    if match is None:
        raise WorkbookRefused("That sheet is not in the upload.")
    if target == "create":
        if actor.role != "admin":
            raise WorkbookRefused("Only an admin can create customers: map the sheet to one of "
                                  "the customers, or ask an admin.")
        match.customer, match.match = None, "create"
    elif target:
        customer = scoped(Customer, actor).filter(id=target if ObjectId.is_valid(target)
                                                  else None, sales_rep=upload.rep.pk,
                                                  active=True).first()
        if customer is None:
            raise WorkbookRefused(f"Choose one of {upload.rep.full_name}'s customers.")
        other = next((m.name for m in upload.sheets
                      if m.customer is not None and m.customer.pk == customer.pk
                      and m.name != sheet_name), None)
        if other is not None:
            raise WorkbookRefused(f"{customer.sop_name} already gets sheet \"{other}\": one "
                                  "sheet per customer.")
        match.customer, match.match = customer, "mapped"
    else:
        match.customer, match.match = None, "unmatched"
    upload.save()
    return refresh_preview(actor, upload)[0]


def confirm_upload(actor: User | None, upload: WorkbookUpload) -> WorkbookUpload:
    """Apply the upload as the database stands now, all or nothing."""
    _require_pending(upload)
    check_import(actor, upload.cycle, upload.rep)
    plan = _stored_plan(upload)
    if plan is None:  # the database moved since the preview: compute it again
        upload, plan = refresh_preview(actor, upload)
    if plan.unresolved:
        raise WorkbookRefused(f"Resolve the sheets without a customer first: "
                              f"{', '.join(plan.unresolved)}.")
    if plan.errors:
        raise WorkbookRefused(f"The workbook has {plan.errors} error(s): fix them in the file "
                              "and upload it again.")
    claimed = WorkbookUpload.objects(id=upload.pk, status="previewed").update_one(
        set__status="applying")
    if not claimed:
        raise WorkbookRefused("This upload is already being applied.")
    try:
        apply_plan(actor, upload.cycle, upload.rep, plan, upload.file_name, upload.pk,
                   upload.counts)
    except Exception:  # nothing was written; the next confirm computes the writes afresh
        if upload.plan_id is not None:
            _files().delete(upload.plan_id)
        WorkbookUpload.objects(id=upload.pk).update_one(
            set__status="previewed", unset__plan_id=True, unset__state_key=True)
        raise
    WorkbookUpload.objects(id=upload.pk).update_one(
        set__status="applied", set__applied_at=now(), set__applied_by=actor)
    _remove_files(upload)
    return upload.reload()


def _discard(upload: WorkbookUpload) -> None:
    _remove_files(upload)
    WorkbookUpload.objects(id=upload.pk).update_one(set__status="discarded")


def discard_upload(actor: User, upload: WorkbookUpload) -> None:
    _require_pending(upload)
    _discard(upload)


def discard_stale_previews(older_than_days: int) -> int:
    """Previews nobody confirmed within the cleanup period are discarded and their stored
    files removed (nightly cleanup). How many."""
    cutoff = now() - timedelta(days=older_than_days)
    stale = list(WorkbookUpload.objects(status="previewed", created_at__lt=cutoff))
    for upload in stale:
        _discard(upload)
    return len(stale)



def summary(plan: ImportPlan, cycle: Cycle, rep: User, file_name: str, dry_run: bool
            ) -> dict[str, Any]:
    """Per customer sheet and in total: lines kept, new-item lines, cases M1-M12 and M1-M16,
    revenue M1-M12 at the entered and at the effective prices."""
    def figures(change: CustomerSheetChange) -> dict[str, Any]:
        return {"lines_kept": change.kept, "new_item_lines": change.new_items,
                "cases_m1_m12": round(change.cases_after, 4),
                "cases_m1_m16": round(change.cases_all, 4),
                "revenue_m1_m12_entered": round(change.revenue_entered, 2),
                "revenue_m1_m12_effective": round(change.dollars_after, 2),
                "added": change.added, "changed": change.changed, "removed": change.removed,
                "unchanged": change.unchanged}

    sheets = [{"sheet": c.sheet, "customer": c.customer_label, "match": c.match, **figures(c)}
              for c in plan.changes]
    totals = figures(CustomerSheetChange("", None, "", "", **{
        key: sum(getattr(c, key) for c in plan.changes)
        for key in ("kept", "new_items", "added", "changed", "removed", "unchanged",
                    "cases_after", "cases_all", "revenue_entered", "dollars_after")}))
    return {"file": file_name, "cycle": cycle.label, "rep": rep.email, "dry_run": dry_run,
            "applied": not dry_run and not plan.errors, "sheets": sheets, "total": totals,
            "created_customers": [d["code"] for d in plan.new_customers],
            "created_items": [d["item_code"] for d in plan.new_products],
            "errors": plan.errors, "warnings": plan.warnings, "notes": plan.notes,
            "problems": [{"sheet": p.sheet, "row": p.row, "column": p.column,
                          "value": None if p.value is None else str(p.value),
                          "message": p.message, "severity": p.severity}
                         for p in plan.problems[:200]]}


def import_workbook(actor: User | None, cycle: Cycle, rep: User, file_name: str, data: bytes,
                    create_missing: bool = False, dry_run: bool = False) -> dict[str, Any]:
    """The command line's import: the web's functions, with unknown sheets and items created
    (`create_missing`) instead of refused, and `dry_run` writing nothing at all."""
    check_import(actor, cycle, rep)
    if dry_run:
        check_upload(data)
        sheets, problems = read_upload(data, cycle)
        matches = match_sheets(rep, [s.name for s in sheets])
        if create_missing:
            for match in matches:
                if match.match == "unmatched":
                    match.match = "create"
        plan = plan_import(actor, cycle, rep, sheets, matches, list(problems), create_missing)
        return summary(plan, cycle, rep, file_name, dry_run=True)
    upload = start_upload(actor, cycle, rep, file_name, data, create_items=create_missing,
                          in_worker=False)
    if upload.status == "failed":
        raise WorkbookRefused(upload.error_message or "The workbook could not be read.")
    if create_missing:
        for match in upload.sheets:
            if match.match == "unmatched":
                match.match = "create"
        upload.save()
    upload, plan = refresh_preview(actor, upload)
    if plan.errors:
        _discard(upload)
        return summary(plan, cycle, rep, file_name, dry_run=False)
    confirm_upload(actor, upload)
    return summary(plan, cycle, rep, file_name, dry_run=False)

