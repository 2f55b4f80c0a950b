"""Cycle administration over the API (admins): create, update, open, back to draft, close
— the cycle page's services and rules (one open cycle, dates, what may change when)."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, validate

from sop.api import schemas as s
from sop.api.core import access, api_blueprint, current_api_user
from sop.api.lookups import cycle_named
from sop.api.presenters import cycle_out
from sop.api.problems import Problem
from sop.cycles import services as cycles
from sop.cycles import states
from sop.months import parse_year_month

bp = api_blueprint("cycles", "/cycles", "Cycle administration (admins).")
MONTH = validate.Regexp(r"^(20\d\d|2100)-(0[1-9]|1[0-2])$",
                        error="Write the month as YYYY-MM, from 2000-01 to 2100-12.")


class CycleCreateSchema(Schema):
    month = fields.String(required=True, validate=MONTH)
    name = fields.String(validate=validate.Length(max=60))
    planning_start = fields.String(validate=MONTH, metadata={"description": "M1, YYYY-MM"})
    open_date = fields.Date(allow_none=True)
    close_date = fields.Date(allow_none=True)


class CycleUpdateSchema(Schema):
    name = fields.String(validate=validate.Length(max=60))
    planning_start = fields.String(validate=MONTH)
    open_date = fields.Date(allow_none=True)
    close_date = fields.Date(allow_none=True)


class TransitionSchema(Schema):
    action = fields.String(required=True, validate=validate.OneOf(("open", "draft", "close")))


def _month(text: str | None, field: str):
    if text is None:
        return None
    try:
        return parse_year_month(text)
    except ValueError as exc:
        raise Problem(422, str(exc), errors=[{"field": field, "message": str(exc)}]) from None


def _refused(exc: cycles.CycleError) -> Problem:
    return Problem(409 if exc.field in (None, "status") else 422, str(exc),
                   errors=[{"field": exc.field, "message": str(exc)}])


@bp.post("")
@access("admin", "admin")
@bp.arguments(CycleCreateSchema)
@bp.response(201, s.CycleSchema)
def create_cycle(body: dict[str, Any]):
    """A draft cycle for a month (one per month)."""
    try:
        cycle = cycles.create_cycle(current_api_user(), _month(body["month"], "month"),
                                    body.get("name"), _month(body.get("planning_start"),
                                                             "planning_start"),
                                    body.get("open_date"), body.get("close_date"))
    except cycles.CycleError as exc:
        raise _refused(exc) from None
    return cycle_out(cycle)


@bp.patch("/<cycle_ref>")
@access("admin", "admin")
@bp.arguments(CycleUpdateSchema)
@bp.response(200, s.CycleSchema)
@bp.alt_response(404, schema=s.ProblemSchema, description="No such cycle")
def update_cycle(body: dict[str, Any], cycle_ref: str):
    """Name, planning start and dates while draft; only the close date once open."""
    cycle = cycle_named(current_api_user(), cycle_ref)
    try:
        cycle = cycles.update_cycle(
            current_api_user(), cycle, body.get("name"),
            _month(body.get("planning_start"), "planning_start"),
            body.get("open_date", cycle.open_date), body.get("close_date", cycle.close_date))
    except cycles.CycleError as exc:
        raise _refused(exc) from None
    return cycle_out(cycle)


@bp.post("/<cycle_ref>/transitions")
@access("admin", "admin")
@bp.arguments(TransitionSchema)
@bp.response(200, s.CycleSchema)
@bp.alt_response(404, schema=s.ProblemSchema, description="No such cycle")
@bp.alt_response(409, schema=s.ProblemSchema, description="Not possible in this status")
def transition(body: dict[str, Any], cycle_ref: str):
    """Open (reps are e-mailed), back to draft (nothing handed in yet), or close (the
    snapshot is frozen)."""
    cycle = cycle_named(current_api_user(), cycle_ref)
    if body["action"] not in states.available_actions(cycle):
        raise Problem(409, f"A {cycle.status} cycle cannot {body['action']}.")
    try:
        states.transition(current_api_user(), cycle, body["action"])
    except cycles.CycleError as exc:
        raise _refused(exc) from None
    return cycle_out(cycle.reload())
