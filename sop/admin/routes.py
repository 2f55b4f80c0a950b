"""Admin pages: settings, audit log, background jobs."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from sop.admin import services
from sop.downloads import send_xlsx
from sop.htmx import page_or_fragment, wants_fragment
from sop.models.audit import SEVERITIES
from sop.security import role_required

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.get("/settings")
@role_required("admin")
def settings():
    return render_template("admin/settings.html", groups=services.settings_by_category())


@bp.post("/settings/<key>")
@role_required("admin")
def update_setting(key: str):
    error = None
    try:
        row = services.update_setting(current_user, key, request.form.get("value", ""))
    except services.AdminError as exc:
        error = str(exc)
        if key not in services.BY_KEY:
            return render_template("errors/_message.html", status=404, title="Not found",
                                   message=error), 404
        row = services.setting_row(key)
    if wants_fragment():
        return render_template("admin/_setting_row.html", row=row, error=error), (
            422 if error else 200)
    flash(error or f"Setting {key} saved.", "error" if error else "success")
    return redirect(url_for("admin.settings"))


def _audit_filters() -> services.AuditFilters:
    return services.AuditFilters(**{key: request.args.get(key, "")[:100] for key in (
        "action", "severity", "user", "entity_type", "entity_id", "date_from", "date_to",
        "view")})


@bp.get("/audit")
@role_required("admin")
def audit_log():
    filters = _audit_filters()
    context = {"page": services.search_audit(filters, request.args.get("page", 1, type=int)),
               "filters": filters, "choices": services.audit_filter_choices(),
               "severities": SEVERITIES, "export_limit": services.AUDIT_EXPORT_LIMIT}
    return page_or_fragment("admin/audit.html", "results", **context)


@bp.get("/audit/export")
@role_required("admin")
def export_audit():
    return send_xlsx(services.export_audit(current_user, _audit_filters()), "audit-log")


@bp.get("/jobs")
@role_required("admin")
def jobs():
    return render_template("admin/jobs.html", queues=services.queue_overview(),
                           schedule=services.schedule_overview(),
                           failed=services.failed_jobs())


@bp.post("/jobs/<job_id>/requeue")
@role_required("admin")
def requeue_job(job_id: str):
    try:
        queue = services.requeue_failed_job(current_user, job_id)
    except services.AdminError as exc:
        message, category = str(exc), "error"
    else:
        message, category = f"Job {job_id} is queued again on {queue}.", "success"
    if wants_fragment():
        return render_template("admin/_job_requeued.html", message=message,
                               category=category), 200 if category == "success" else 422
    flash(message, category)
    return redirect(url_for("admin.jobs"))


@bp.post("/schedule/<name>/run")
@role_required("admin")
def run_scheduled_job(name: str):
    try:
        services.run_scheduled_job_now(current_user, name)
    except services.AdminError as exc:
        flash(str(exc), "error")
    else:
        flash(f"{name} queued; refresh to see its result.", "success")
    return redirect(url_for("admin.jobs"))
