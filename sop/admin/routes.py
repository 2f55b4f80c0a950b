"""Admin pages: settings, audit log, background jobs."""

from flask import Blueprint, render_template

from sop.security import role_required

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.get("/settings")
@role_required("admin")
def settings():
    return render_template("admin/settings.html")


@bp.get("/audit")
@role_required("admin")
def audit_log():
    return render_template("admin/audit.html")


@bp.get("/jobs")
@role_required("admin")
def jobs():
    return render_template("admin/jobs.html")
