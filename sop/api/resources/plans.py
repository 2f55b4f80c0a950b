"""Cycles and plans: cycles, a cycle's forecast lines (cursor pages), a cell's
compare-and-set, submit, review, the submission board. Thin: load scoped, call a service."""

from __future__ import annotations

from typing import Any

from flask import Response, json

from sop.api import schemas as s
from sop.api.core import access, api_blueprint, current_api_user
from sop.api.lookups import (
    customer_coded,
    cycle_named,
    item_coded,
    object_id,
    one_visible,
    rep_named,
)
from sop.api.plan_pages import plan_page, saved_line_out
from sop.api.presenters import board_row, cycle_out, number_text, submission_out
from sop.api.problems import Problem
from sop.forecasts.cells import save_cell, save_line
from sop.forecasts.values import Conflict, GridError, PlanLocked
from sop.models import Cycle, ForecastLine, Submission
from sop.security import scoped
from sop.submissions import services as submissions
from sop.submissions.board import board_rows

bp = api_blueprint("plans", "", "Cycles, plans, submissions and the submission board.")


@bp.get("/cycles")
@access("read")
@bp.response(200, s.CycleSchema(many=True))
def list_cycles():
    """Every cycle, newest first."""
    return [cycle_out(c) for c in scoped(Cycle, current_api_user()).order_by("-year", "-month")]


@bp.get("/cycles/<cycle_ref>")
@access("read")
@bp.response(200, s.CycleSchema)
@bp.alt_response(404, schema=s.ProblemSchema, description="No such cycle")
def get_cycle(cycle_ref: str):
    """One cycle by id or month (YYYY-MM): buckets, mandatory months, status."""
    return cycle_out(cycle_named(current_api_user(), cycle_ref))


@bp.get("/cycles/<cycle_ref>/lines")
@access("read")
@bp.arguments(s.LineArgs, location="query")
@bp.response(200, s.LinePageSchema)
@bp.alt_response(404, schema=s.ProblemSchema, description="No such cycle")
def list_lines(args: dict[str, Any], cycle_ref: str):
    """The cycle's forecast lines (a rep's token: the rep's own), by rep, customer and item,
    in pages: pass `next_cursor` back as `cursor` until it is null. A closed cycle answers
    its snapshot, with the effective prices frozen at close."""
    user = current_api_user()
    page = plan_page(user, cycle_named(user, cycle_ref), args)
    return Response(json.dumps(page), mimetype="application/json")


@bp.put("/cycles/<cycle_ref>/cells")
@access("write", "sales_rep")
@bp.arguments(s.CellUpdateSchema)
@bp.response(200, s.CellSavedSchema)
@bp.alt_response(404, schema=s.ProblemSchema, description="No such cycle, customer or item")
@bp.alt_response(409, schema=s.ProblemSchema, description="The cell changed since `loaded` "
                 "was read: `current` holds its value now")
@bp.alt_response(423, schema=s.ProblemSchema, description="The plan is locked")
def save_plan_cell(body: dict[str, Any], cycle_ref: str):
    """One quantity or price of the rep's own plan, with the grid's compare-and-set."""
    user = current_api_user()
    cycle = cycle_named(user, cycle_ref)
    customer = customer_coded(user, body["customer"])
    product = item_coded(user, body["item"])
    bucket = body["bucket"] - 1
    if bucket >= cycle.horizon_months:
        raise Problem(422, "No such month in this cycle.", errors=[
            {"field": "bucket", "message": f"From 1 to {cycle.horizon_months}."}])
    try:
        saved = save_cell(user, cycle, customer, product, body["field"], bucket,
                          number_text(body["value"]), number_text(body["loaded"]))
    except Conflict as exc:
        raise Problem(409, "The cell changed since it was read: read `current` and try again.",
                      current={"value": exc.value, "by": exc.by,
                               "at": exc.at.isoformat() if exc.at else None}) from None
    except PlanLocked as exc:
        raise Problem(423, str(exc)) from None
    except GridError as exc:
        raise Problem(422, str(exc), errors=[{"field": "value", "message": str(exc)}]) from None
    line_id = saved.line.get("_id")
    return {"line_id": str(line_id) if line_id else None, "field": body["field"],
            "bucket": body["bucket"], "value": saved.value}


@bp.patch("/cycles/<cycle_ref>/lines/<line_id>")
@access("write", "sales_rep")
@bp.arguments(s.LineUpdateSchema)
@bp.response(200, s.LineSchema)
@bp.alt_response(404, schema=s.ProblemSchema, description="No such cycle or line")
@bp.alt_response(409, schema=s.ProblemSchema, description="The line is no longer at "
                 "`version`: `current` holds its version and values now")
@bp.alt_response(423, schema=s.ProblemSchema, description="The plan is locked")
def update_line(body: dict[str, Any], cycle_ref: str, line_id: str):
    """Quantities, prices and/or probability of one of the rep's own lines, saved at once if
    the line is still at `version` (the grid's rules: audited, refused once submitted)."""
    user = current_api_user()
    cycle = cycle_named(user, cycle_ref)
    line = one_visible(ForecastLine, user, "line", line_id, id=object_id(line_id, "line"),
                       cycle=cycle)
    values = {what: [number_text(v) for v in body[what]] for what in ("qty", "price")
              if what in body}
    extra = {"probability": "" if body["probability"] is None else str(body["probability"])
             } if "probability" in body else {}
    try:
        saved = save_line(user, cycle, line.pk, body["version"], values, **extra)
    except Conflict as exc:
        now = exc.value or {}
        raise Problem(409, "The line changed since it was read: read `current` and try "
                      "again.", current={
                          "version": now.get("version"), "qty": now.get("qty"),
                          "price": now.get("price"), "probability": now.get("probability"),
                          "by": exc.by, "at": exc.at.isoformat() if exc.at else None}) from None
    except PlanLocked as exc:
        raise Problem(423, str(exc)) from None
    except GridError as exc:
        raise Problem(422, str(exc), errors=[{"field": None, "message": str(exc)}]) from None
    return saved_line_out({**saved, "rep": user.pk})


@bp.get("/cycles/<cycle_ref>/submissions")
@access("read")
@bp.response(200, s.SubmissionSchema(many=True))
def list_submissions(cycle_ref: str):
    """The cycle's submissions (a rep's token: the rep's own)."""
    user = current_api_user()
    cycle = cycle_named(user, cycle_ref)
    found = scoped(Submission, user).filter(cycle=cycle).select_related(max_depth=1)
    return [submission_out(sub) for sub in found]


@bp.post("/cycles/<cycle_ref>/submissions")
@access("write", "sales_rep", "admin")
@bp.arguments(s.SubmitSchema)
@bp.response(200, s.SubmissionSchema)
@bp.alt_response(403, schema=s.ProblemSchema, description="Not this token's plan")
@bp.alt_response(409, schema=s.ProblemSchema, description="Not in a status that may submit")
def submit(body: dict[str, Any], cycle_ref: str):
    """Submit a plan: the rep's own (admins: the rep named). Refused with every blank
    mandatory month (422) like on the dashboard."""
    user = current_api_user()
    cycle = cycle_named(user, cycle_ref)
    rep = rep_named(user, body["rep"]) if body.get("rep") else user
    try:
        return submission_out(submissions.submit_plan(cycle, rep, user, method="api"))
    except submissions.PlanIncomplete as exc:
        report = exc.report
        raise Problem(422, str(exc), errors=[
            {"field": f"{c.code}/{line.item_code}", "message": "Missing "
             + ", ".join(line.months)} for c in report.customers
            for line in c.lines]) from None
    except submissions.ReviewForbidden as exc:
        raise Problem(403, str(exc)) from None
    except submissions.StateConflict as exc:
        raise Problem(409, str(exc)) from None


@bp.post("/submissions/<submission_id>/review")
@access("write", "admin", "manager")
@bp.arguments(s.ReviewSchema)
@bp.response(200, s.SubmissionSchema)
@bp.alt_response(404, schema=s.ProblemSchema, description="No such submission")
@bp.alt_response(409, schema=s.ProblemSchema, description="Not submitted (any more)")
def review(body: dict[str, Any], submission_id: str):
    """Approve, or reject with a comment (required), a submitted plan."""
    user = current_api_user()
    submission = one_visible(Submission, user, "submission", submission_id,
                             id=object_id(submission_id, "submission"))
    try:
        reviewed = submissions.review_submission(submission, user, body["decision"],
                                                 body["comment"])
    except submissions.ReviewForbidden as exc:
        raise Problem(403, str(exc)) from None
    except submissions.StateConflict as exc:
        raise Problem(409, str(exc)) from None
    except submissions.SubmissionError as exc:
        raise Problem(422, str(exc), errors=[{"field": exc.field, "message": str(exc)}]) \
            from None
    return submission_out(reviewed)


@bp.get("/cycles/<cycle_ref>/board")
@access("read", "admin", "manager")
@bp.response(200, s.BoardSchema)
def board(cycle_ref: str):
    """The submission board: per rep status, lines, cases and $ M1-M12 vs budget and vs the
    previous cycle."""
    cycle = cycle_named(current_api_user(), cycle_ref)
    return {"cycle": str(cycle.pk), "rows": [board_row(row) for row in board_rows(cycle)]}
