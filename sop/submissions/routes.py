"""Submitting a plan, and the board where managers approve or reject plans inline."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from jinja2_fragments.flask import render_block

from sop.cycles.services import current_open_cycle
from sop.dashboard.services import rep_overview
from sop.htmx import wants_fragment
from sop.models import Cycle, Submission, User
from sop.security import deny_access, get_scoped_or_404, role_required
from sop.submissions import board as submission_board
from sop.submissions import services

bp = Blueprint("submissions", __name__, url_prefix="/submissions")


@bp.get("")
@role_required("manager", "admin")
def board():
    cycle = submission_board.board_cycle(request.args.get("cycle"))
    if cycle is None and request.args.get("cycle"):
        abort(404)
    rows = submission_board.board_rows(cycle) if cycle else []
    return render_template("submissions/board.html", cycle=cycle, rows=rows,
                           cycles=Cycle.objects.order_by("-year", "-month").only("name", "status"),
                           summary=submission_board.rows_summary(rows),
                           labels=services.STATUS_LABELS)


@bp.get("/changes")
@role_required("manager", "admin")
def changes():
    """A board row expanded: the rep's plan per customer against the previous cycle."""
    cycle = get_scoped_or_404(Cycle, current_user, id=request.args.get("cycle", ""))
    rep = get_scoped_or_404(User, current_user, id=request.args.get("rep", ""))
    return render_template("submissions/_changes.html", cycle=cycle, rep=rep,
                           changes=submission_board.customer_changes(cycle, rep))


@bp.post("/submit")
@role_required("sales_rep")
def submit():
    """The rep submits their plan for the open cycle (the dashboard's Submit button)."""
    cycle = current_open_cycle()
    error, report, status = None, None, 200
    if cycle is None:
        error, status = "No cycle is open: there is nothing to submit.", 409
    else:
        try:
            services.submit_plan(cycle, current_user._get_current_object(), current_user)
        except services.PlanIncomplete as exc:
            error, report, status = str(exc), exc.report, 422
        except services.StateConflict as exc:
            error, status = str(exc), 409
    if not wants_fragment():
        flash(error or "Your plan is submitted. You will hear back by e-mail.",
              "error" if error else "success")
        return redirect(url_for("dashboard.index"))
    overview = rep_overview(current_user, report=report)
    return render_template("dashboard/_plan_panel.html", overview=overview, error=error), status


@bp.get("/<submission_id>")
@login_required
def detail(submission_id: str):
    submission = get_scoped_or_404(Submission, current_user, id=submission_id)
    return render_template("submissions/detail.html", submission=submission,
                           labels=services.STATUS_LABELS)


@bp.post("/<submission_id>/approve")
@role_required("manager", "admin")
def approve(submission_id: str):
    return _review(submission_id, "approve")


@bp.post("/<submission_id>/reject")
@role_required("manager", "admin")
def reject(submission_id: str):
    return _review(submission_id, "reject")


def _review(submission_id: str, decision: str):
    """Approve or reject; htmx gets the board row (or the detail panel) swapped in place."""
    submission = get_scoped_or_404(Submission, current_user, id=submission_id)
    error, status = None, 200
    try:
        services.review_submission(submission, current_user, decision,
                                   request.form.get("comment", ""))
    except services.ReviewForbidden as exc:
        deny_access(str(exc))
    except services.StateConflict as exc:
        error, status = str(exc), 409
    except services.SubmissionError as exc:
        error, status = str(exc), 422
    submission.reload()
    if not wants_fragment():
        flash(error or f"{submission.rep.full_name}'s plan is {submission.status}.",
              "error" if error else "success")
        return redirect(url_for("submissions.detail", submission_id=submission.pk))
    comment = request.form.get("comment", "") if error else ""
    if request.form.get("view") == "board":
        return render_template("submissions/_board_row.html",
                               row=submission_board.board_row(submission.cycle, submission.rep),
                               error=error, comment=comment,
                               oob_summary=submission_board.board_summary(submission.cycle),
                               labels=services.STATUS_LABELS), status
    return render_block("submissions/detail.html", "submission", submission=submission,
                        labels=services.STATUS_LABELS, error=error, comment=comment), status


@bp.app_template_global("grid_url")
def grid_url(cycle_id: object, customer_id: object | None = None,
             rep_id: object | None = None) -> str:
    """Where a rep edits the lines of one customer (the forecast grid)."""
    args = {k: str(v) for k, v in (("cycle", cycle_id), ("customer", customer_id),
                                   ("rep", rep_id)) if v is not None}
    return url_for("forecasts.grid", **args)
