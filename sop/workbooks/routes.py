"""The rep workbook (DOMAIN.md §5.1): download pre-filled, upload filled, preview, confirm
(the consolidated plan, §5.2, is a report on /reports). Reps work on their own plan only:
every rep, cycle and upload is loaded through sop.security's scoping."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required

from sop.downloads import send_xlsx_file
from sop.htmx import page_or_fragment, wants_fragment
from sop.models import Cycle, User, WorkbookUpload
from sop.security import get_scoped_or_404, role_required
from sop.workbooks.access import WorkbookRefused
from sop.workbooks.download import generate_rep_workbook
from sop.workbooks.naming import rep_id_from_file_name, workbook_file_name
from sop.workbooks.pages import default_cycle, index_page, may_see_cycle, preview_page
from sop.workbooks.uploads import confirm_upload, discard_upload, resolve_sheet, start_upload

bp = Blueprint("workbooks", __name__, url_prefix="/workbooks")


def _cycle(cycle_id: str | None) -> Cycle:
    cycle = get_scoped_or_404(Cycle, current_user, id=cycle_id) if cycle_id else \
        default_cycle()
    if cycle is None or not may_see_cycle(current_user, cycle):
        abort(404)
    return cycle


def _rep(rep_id: str | None) -> User:
    return get_scoped_or_404(User, current_user, id=rep_id or current_user.pk, role="sales_rep")


@bp.get("")
@login_required
def index():
    context = index_page(current_user, request.args.get("cycle"), request.args.get("rep"))
    return render_template("workbooks/index.html", **context)


@bp.get("/download")
@login_required
def download():
    cycle, rep = _cycle(request.args.get("cycle")), _rep(request.args.get("rep"))
    try:
        data = generate_rep_workbook(current_user, cycle, rep)
    except WorkbookRefused as exc:
        flash(str(exc), "error")
        return redirect(url_for("workbooks.index"))
    return send_xlsx_file(data, workbook_file_name(cycle, rep))


@bp.post("/upload")
@role_required("admin", "sales_rep")
def upload():
    file = request.files.get("file")
    cycle = _cycle(request.form.get("cycle"))
    rep_id = request.form.get("rep") or rep_id_from_file_name(
        file.filename if file else "")
    if not rep_id:
        flash("Choose the rep whose plan the workbook is for (the file name does not end in "
              "the initials of exactly one rep).", "error")
        return redirect(url_for("workbooks.index", cycle=cycle.pk))
    rep = _rep(rep_id)
    try:
        record = start_upload(current_user, cycle, rep, file.filename if file else "",
                              file.read() if file else b"")
    except WorkbookRefused as exc:
        flash(str(exc), "error")
        return redirect(url_for("workbooks.index", cycle=cycle.pk, rep=rep.pk))
    return redirect(url_for("workbooks.preview", upload_id=record.pk))


@bp.get("/uploads/<upload_id>")
@login_required
def preview(upload_id: str):
    record = get_scoped_or_404(WorkbookUpload, current_user, id=upload_id)
    return page_or_fragment("workbooks/preview.html", "preview",
                            **preview_page(current_user, record))


@bp.post("/uploads/<upload_id>/sheets")
@role_required("admin", "sales_rep")
def resolve(upload_id: str):
    record = get_scoped_or_404(WorkbookUpload, current_user, id=upload_id)
    message = None
    try:
        record = resolve_sheet(current_user, record, request.form.get("sheet", ""),
                               request.form.get("target", ""))
    except WorkbookRefused as exc:
        message = str(exc)
    if not wants_fragment():
        if message:
            flash(message, "error")
        return redirect(url_for("workbooks.preview", upload_id=record.pk))
    return page_or_fragment("workbooks/preview.html", "preview", message=message,
                            **preview_page(current_user, record)), 422 if message else 200


@bp.post("/uploads/<upload_id>/confirm")
@role_required("admin", "sales_rep")
def confirm(upload_id: str):
    record = get_scoped_or_404(WorkbookUpload, current_user, id=upload_id)
    try:
        record = confirm_upload(current_user, record)
        flash(f"{record.file_name} imported into {record.rep.full_name}'s plan.", "success")
    except WorkbookRefused as exc:
        flash(str(exc), "error")
    return redirect(url_for("workbooks.preview", upload_id=record.pk))


@bp.post("/uploads/<upload_id>/discard")
@role_required("admin", "sales_rep")
def discard(upload_id: str):
    record = get_scoped_or_404(WorkbookUpload, current_user, id=upload_id)
    try:
        discard_upload(current_user, record)
        flash(f"{record.file_name} discarded; nothing was changed.", "success")
    except WorkbookRefused as exc:
        flash(str(exc), "error")
    return redirect(url_for("workbooks.index", cycle=record.cycle.pk, rep=record.rep.pk))
