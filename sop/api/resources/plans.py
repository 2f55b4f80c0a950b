"""Cycles and plans: cycles, a cycle's forecast lines (cursor pages), a cell's
compare-and-set, submit, review, the submission board. Thin: load scoped, call a service."""

from __future__ import annotations

from typing import Any

from bson import ObjectId
from flask import Response, json

from sop.api import schemas as s
from sop.api.core import access, api_blueprint, current_api_user
from sop.api.lookups import (
    cursor_id,
    customer_coded,
    cycle_named,
    item_coded,
    object_id,
    one_visible,
    rep_named,
)
from sop.api.presenters import (
    board_row,
    cycle_out,
    natural_keys,
    number_text,
    submission_out,
    year_months,
)
from sop.api.problems import Problem
from sop.forecasts.services import Conflict, GridError, PlanLocked, save_cell
from sop.listing import cached_until_written
from sop.models import Customer, Cycle, Product, Submission, User
from sop.plans import PriceBook, valued_plan_page
from sop.security import scoped, visible_reps
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
    cycle = cycle_named(user, cycle_ref)
    query = _line_filters(user, cycle, args)
    reps = _reps_in_scope(user, query.pop("rep", None))
    page, after = valued_plan_page(cycle.pk, query, ("probability", "new_item", "version",
                                                     "price", "line_id"),
                                   reps, _line_cursor(args["cursor"]), args["limit"],
                                   book=cached_until_written(
                                       ("api-price-book",), ("price_entries", "products"),
                                       PriceBook.whole))
    raws = [line.raw for line in page]
    emails, codes, items = natural_keys()
    body = {"cycle": str(cycle.pk), "frozen": cycle.snapshot_at is not None,
            "buckets": year_months(cycle),
            "next_cursor": ".".join(str(part) for part in after) if after else None,
            "lines": [{"id": str(r.get("line_id") or r["_id"]), "rep": emails.get(r["rep"]),
                       "customer": codes.get(r["customer"]),
                       "item": items.get(r["product"]), "probability": r.get("probability"),
                       "new_item": bool(r.get("new_item")), "qty": r.get("qty") or [],
                       "price": r.get("price") or [], "effective_price": line.prices,
                       "version": r.get("version")} for line, r in zip(page, raws, strict=True)]}
    return Response(json.dumps(body), mimetype="application/json")


def _line_filters(user: User, cycle: Cycle, args: dict[str, Any]) -> dict[str, Any]:
    query: dict[str, Any] = {}
    if args.get("rep"):
        query["rep"] = rep_named(user, args["rep"]).pk
    if args.get("status"):
        reps = [r.pk for r in scoped(Submission, user).filter(
            cycle=cycle, status=args["status"]).scalar("rep")]
        named = query.get("rep")
        query["rep"] = {"$in": reps} if named is None else (named if named in reps
                                                             else {"$in": []})
    if args.get("customer"):
        query["customer"] = customer_coded(user, args["customer"]).pk
    if args.get("item"):
        query["product"] = item_coded(user, args["item"]).pk
    if args.get("group"):
        query.setdefault("product", {"$in": list(
            Product.objects(group_code=args["group"]).scalar("id"))})
    if args.get("territory"):
        ids = list(scoped(Customer, user).filter(territory=args["territory"]).scalar("id"))
        named = query.get("customer")
        query["customer"] = {"$in": ids} if named is None else (
            named if named in ids else {"$in": []})
    return query


def _reps_in_scope(user: User, named: Any) -> list[ObjectId]:
    """The reps whose lines the page reads, in id order: the filter's, within the token's
    scope (a rep: only themself)."""
    if isinstance(named, ObjectId):
        candidates = [named]
    elif isinstance(named, dict):
        candidates = list(named["$in"])
    else:  # every account that may own lines (a small collection)
        candidates = list(scoped(User, user).scalar("id"))
    own = visible_reps(user)
    return sorted(c for c in candidates if own is None or c in own)


def _line_cursor(cursor: str | None) -> tuple[ObjectId, ObjectId, ObjectId] | None:
    """`<rep>.<customer>.<item>` ids of the previous page's last line (the schema checked
    its form)."""
    if cursor is None:
        return None
    rep, customer, item = (cursor_id(part) for part in cursor.split("."))
    return rep, customer, item


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
@access("write")
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
