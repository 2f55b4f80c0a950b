"""Imports of master-data files: upload, watch the validation, preview, confirm (admins)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from sop.downloads import send_xlsx
from sop.excel.import_files import template_workbook
from sop.excel.import_formats import FORMATS
from sop.htmx import page_or_fragment
from sop.imports import services
from sop.models import ImportLog
from sop.security import get_scoped_or_404, role_required

bp = Blueprint("imports", __name__, url_prefix="/imports")


@bp.get("")
@role_required("admin")
def index():
    return render_template("imports/index.html", formats=FORMATS,
                           page=services.recent_imports(request.args.get("page", 1, type=int)))


@bp.post("")
@role_required("admin")
def upload():
    upload = request.files.get("file")
    try:
        record = services.start_import(current_user, request.form.get("kind", ""),
                                       upload.filename if upload else "",
                                       upload.read() if upload else b"")
    except services.ImportRefused as exc:
        flash(str(exc), "error")
        return redirect(url_for("imports.index"))
    return redirect(url_for("imports.detail", import_id=record.pk))


@bp.get("/templates/<kind>.xlsx")
@role_required("admin")
def template(kind: str):
    if kind not in FORMATS:
        abort(404)
    return send_xlsx(template_workbook(FORMATS[kind]), f"{kind}-template")


@bp.get("/<import_id>")
@role_required("admin")
def detail(import_id: str):
    record = get_scoped_or_404(ImportLog, current_user, id=import_id)
    context = {"record": record, "groups": services.grouped_problems(record)}
    return page_or_fragment("imports/detail.html", "status", **context)


@bp.post("/<import_id>/confirm")
@role_required("admin")
def confirm(import_id: str):
    record = get_scoped_or_404(ImportLog, current_user, id=import_id)
    try:
        services.confirm_import(current_user, record)
    except services.ImportRefused as exc:
        flash(str(exc), "error")
    return redirect(url_for("imports.detail", import_id=record.pk))


@bp.get("/<import_id>/problems.xlsx")
@role_required("admin")
def problems(import_id: str):
    record = get_scoped_or_404(ImportLog, current_user, id=import_id)
    if not record.problems:
        abort(404)
    return send_xlsx(services.problem_report(record), f"{record.kind}-import-problems")
