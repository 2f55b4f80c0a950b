"""Read-models of the workbook pages: the download and upload page, an upload's preview."""

from __future__ import annotations

from typing import Any

from sop.models import Customer, Cycle, User
from sop.models.workbook import WorkbookUpload
from sop.security import scoped
from sop.submissions.services import plan_is_editable
from sop.workbooks.naming import rep_code, sales_reps, workbook_file_name


def recent_uploads(viewer: User, cycle: Cycle | None, limit: int = 10) -> list[WorkbookUpload]:
    query = scoped(WorkbookUpload, viewer)
    if cycle is not None:
        query = query.filter(cycle=cycle)
    return list(query.order_by("-created_at").limit(limit).select_related(max_depth=1))



def may_see_cycle(viewer: User, cycle: Cycle) -> bool:
    """Reps work in cycles that were opened; admins and managers see drafts too."""
    return viewer.role in ("admin", "manager") or cycle.status != "draft"


def visible_cycles(viewer: User) -> list[Cycle]:
    query = Cycle.objects if viewer.role in ("admin", "manager") else Cycle.objects(
        status__ne="draft")
    return list(query.order_by("-year", "-month").limit(24))


def default_cycle() -> Cycle | None:
    from sop.cycles.services import current_open_cycle

    return current_open_cycle() or Cycle.objects(status__ne="draft").order_by(
        "-year", "-month").first()


def index_page(viewer: User, cycle_id: str | None, rep_id: str | None) -> dict[str, Any]:
    """The download and upload page: the chosen cycle and rep (a rep is always themself)."""
    cycles = visible_cycles(viewer)
    cycle = next((c for c in cycles if str(c.pk) == cycle_id), None) or default_cycle()
    if cycle is not None and not may_see_cycle(viewer, cycle):
        cycle = None
    reps = sales_reps() if viewer.role in ("admin", "manager") else (
        [viewer] if viewer.role == "sales_rep" else [])
    rep = next((r for r in reps if str(r.pk) == rep_id), None) if rep_id else None
    if viewer.role == "sales_rep":
        rep = viewer
    editable = bool(cycle and rep and plan_is_editable(cycle, rep))
    return {"cycles": cycles, "cycle": cycle, "reps": reps, "rep": rep,
            "rep_codes": {str(r.pk): rep_code(r) for r in reps},
            "file_name": workbook_file_name(cycle, rep) if cycle and rep else None,
            "editable": editable,
            "may_upload": viewer.role in ("admin", "sales_rep") and cycle is not None,
            "uploads": recent_uploads(viewer, cycle) if cycle else []}


def preview_page(viewer: User, upload: WorkbookUpload) -> dict[str, Any]:
    taken = {m.customer.pk for m in upload.sheets if m.customer is not None}
    choices = [c for c in Customer.objects(sales_rep=upload.rep.pk, active=True).order_by(
        "sop_name_key", "code") if c.pk not in taken]
    acting = viewer.role in ("admin", "sales_rep")
    pending = upload.status == "previewed"
    editable = plan_is_editable(upload.cycle, upload.rep)
    counts = upload.counts or {}
    return {"record": upload, "choices": choices, "may_resolve": acting and pending,
            "may_create": viewer.role == "admin" and pending,
            "editable": editable,
            "may_confirm": acting and pending and editable and not counts.get("errors"),
            "errors": [p for p in upload.problems if p.severity == "error"],
            "warnings": [p for p in upload.problems if p.severity == "warning"],
            "notes": [p for p in upload.problems if p.severity == "note"]}
