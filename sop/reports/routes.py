"""Reports (DOMAIN.md §6): pick a type and its filters, generate, watch the progress, download,
e-mail. Every report is loaded through sop.security's scoping: a rep only sees their own."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from jinja2_fragments.flask import render_block

from sop.downloads import send_xlsx_file
from sop.extensions import limiter
from sop.htmx import page_or_fragment, wants_fragment
from sop.models import Report
from sop.reports import services
from sop.reports.registry import FILTER_LABELS, REPORT_TYPES, ReportFilters
from sop.security import get_scoped_or_404

bp = Blueprint("reports", __name__, url_prefix="/reports")
POLL_LIMIT = "240 per minute"  # a progress poll every second, a few tabs at once
bp.add_app_template_filter(services.report_title, "report_title")
bp.add_app_template_filter(services.report_filters_text, "report_filters")


def _form_context(kind: str | None, filters: ReportFilters, errors: list[str] | None = None
                  ) -> dict:
    chosen = REPORT_TYPES.get(kind or "") or next(iter(REPORT_TYPES.values()), None)
    return {"types": REPORT_TYPES, "chosen": chosen, "filters": filters.as_dict(),
            "labels": FILTER_LABELS, "errors": errors or [],
            "choices": services.filter_choices(current_user, chosen.filters) if chosen else {}}


@bp.get("")
@login_required
def index():
    context = _form_context(request.args.get("kind"), ReportFilters.from_mapping(request.args))
    recent = services.recent_reports(current_user, request.args.get("page", 1, type=int))
    return page_or_fragment("reports/index.html", "recent", page=recent, **context)


@bp.get("/filters")
@login_required
def filter_fields():
    """The filter fields of the chosen type (swapped in when the type changes)."""
    context = _form_context(request.args.get("kind"), ReportFilters.from_mapping(request.args))
    return render_block("reports/index.html", "filter_fields", **context)


@bp.post("")
@login_required
def generate():
    kind, filters = request.form.get("kind"), ReportFilters.from_mapping(request.form)
    try:
        report = services.request_report(current_user, kind, filters)
    except services.ReportRefused as exc:
        if wants_fragment():
            return render_block("reports/index.html", "form_errors", errors=exc.errors), 422
        flash(str(exc), "error")
        return redirect(url_for("reports.index", kind=kind, **filters.as_dict()))
    if wants_fragment():  # the status under the form; the recent list refreshes itself
        return render_template("reports/_status.html", report=report), {
            "HX-Trigger": "reports-changed"}
    return redirect(url_for("reports.detail", report_id=report.pk))


def poller_key() -> str:
    """The progress poll is limited per signed-in user instead of by the site-wide limit per
    address: a report that builds for minutes polls once a second all along."""
    return f"report-poll:{current_user.get_id() if current_user.is_authenticated else 'anon'}"


@bp.get("/<report_id>")
@limiter.limit(POLL_LIMIT, key_func=poller_key)
@login_required
def detail(report_id: str):
    """The report's status page; its status block alone for the progress poll."""
    report = get_scoped_or_404(Report, current_user, id=report_id)
    page = page_or_fragment("reports/detail.html", "status", report=report)
    if report.finished and wants_fragment():  # the last poll: the recent list refreshes
        return page, {"HX-Trigger": "reports-changed"}
    return page


@bp.get("/<report_id>/download")
@login_required
def download(report_id: str):
    report = get_scoped_or_404(Report, current_user, id=report_id)
    try:
        stored = services.open_report_file(current_user, report)
    except services.ReportRefused as exc:
        flash(str(exc), "error")
        return redirect(url_for("reports.detail", report_id=report.pk))
    return send_xlsx_file(stored, report.file_name)


@bp.post("/<report_id>/email")
@login_required
def email(report_id: str):
    report = get_scoped_or_404(Report, current_user, id=report_id)
    try:
        addresses = services.parse_addresses(request.form.get("addresses", ""))
        attached = services.email_report(current_user, report, addresses)
    except services.ReportRefused as exc:
        if wants_fragment():
            return render_template("reports/_email_form.html", report=report,
                                   errors=exc.errors, addresses=request.form.get("addresses")
                                   ), 422
        flash(str(exc), "error")
        return redirect(url_for("reports.detail", report_id=report.pk))
    sent = (f"Sent to {', '.join(addresses)} "
            f"{'as an attachment' if attached else 'as a link (too large to attach)'}.")
    if wants_fragment():
        return render_template("reports/_email_form.html", report=report, sent=sent)
    flash(sent, "success")
    return redirect(url_for("reports.detail", report_id=report.pk))
