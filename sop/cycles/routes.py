"""Cycles: admins create, open and close them; managers and admins follow a cycle's progress.
Reps do not come here: their dashboard and the grid show them the open cycle."""

from __future__ import annotations

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_login import current_user

from sop.cycles.forms import CycleForm, EditCycleForm
from sop.cycles.page import cycle_page, cycle_progress, cycles_newest_first
from sop.cycles.services import CycleError, create_cycle, update_cycle
from sop.cycles.states import DONE, TRANSITIONS, available_actions, transition
from sop.form_submission import saved
from sop.htmx import wants_fragment
from sop.models import Cycle
from sop.security import get_scoped_or_404, role_required

bp = Blueprint("cycles", __name__, url_prefix="/cycles")


@bp.context_processor
def cycle_helpers() -> dict:
    return {"cycle_actions": available_actions, "transitions": TRANSITIONS}


@bp.get("")
@role_required("admin", "manager")
def list_cycles():
    return render_template("cycles/list.html", cycles=cycles_newest_first())


@bp.route("/new", methods=["GET", "POST"])
@role_required("admin")
def new_cycle():
    form = CycleForm()
    cycle = saved(form, lambda: create_cycle(
        current_user, form.month.month(), form.name.data, form.planning_start.month(),
        form.open_date.data, form.close_date.data), "month")
    if cycle:
        flash(f"Cycle {cycle.name} created as a draft.", "success")
        return redirect(url_for("cycles.detail", cycle_id=cycle.pk))
    return render_template("cycles/form.html", form=form, cycle=None), 422 if form.errors else 200


@bp.get("/<cycle_id>")
@role_required("admin", "manager")
def detail(cycle_id: str):
    cycle = get_scoped_or_404(Cycle, current_user, id=cycle_id)
    return render_template("cycles/detail.html", cycle=cycle, **cycle_page(cycle))


@bp.route("/<cycle_id>/edit", methods=["GET", "POST"])
@role_required("admin")
def edit_cycle(cycle_id: str):
    cycle = get_scoped_or_404(Cycle, current_user, id=cycle_id)
    form = EditCycleForm(obj=cycle, data={"planning_start": cycle.planning_start.strftime("%Y-%m")})
    if cycle.is_open:  # only the close date may move: the rest is shown, not posted
        form.keep_all_but_close_date(cycle)
    if saved(form, lambda: update_cycle(
            current_user, cycle, form.name.data, form.planning_start.month(),
            form.open_date.data, form.close_date.data), "close_date"):
        flash(f"Cycle {cycle.name} saved.", "success")
        return redirect(url_for("cycles.detail", cycle_id=cycle.pk))
    return render_template("cycles/form.html", form=form, cycle=cycle), 422 if form.errors else 200


@bp.post("/<cycle_id>/<action>")
@role_required("admin")
def change_status(cycle_id: str, action: str):
    """Open, back to draft, close or delete. htmx swaps the list row (`?view=row`) or the
    detail page's status panel; a refusal comes back as that fragment with the reason (422)."""
    cycle = get_scoped_or_404(Cycle, current_user, id=cycle_id)
    error = None
    try:
        transition(current_user, cycle, action)
    except CycleError as exc:
        error = str(exc)
    view = request.args.get("view", "panel")
    if not wants_fragment():
        flash(error or f"Cycle {cycle.name}: {DONE[action]}.",
              "error" if error else "success")
        deleted = action == "delete" and not error
        return redirect(url_for("cycles.list_cycles") if deleted or view == "row"
                        else url_for("cycles.detail", cycle_id=cycle.pk))
    if action == "delete" and not error:
        if view == "row":
            return ""  # the row disappears
        return Response(status=204, headers={"HX-Redirect": url_for("cycles.list_cycles")})
    if view == "row" or error:
        template = "cycles/_row.html" if view == "row" else "cycles/_status.html"
        return render_template(template, cycle=cycle, error=error), 422 if error else 200
    # The status panel, and the progress panel out of band (closing marks plans missed).
    return render_template("cycles/_status.html", cycle=cycle) + render_template(
        "cycles/_progress.html", progress=cycle_progress(cycle), oob=True)
