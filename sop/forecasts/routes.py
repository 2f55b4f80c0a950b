"""The forecast grid: a rep plans one customer at a time; managers and admins read any rep's."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from sop.cycles.services import current_open_cycle
from sop.errors import render_error
from sop.extensions import limiter
from sop.forecasts import cells, line_actions, values
from sop.forecasts import grid as read_model
from sop.forecasts.values import Conflict, GridError, PlanLocked
from sop.htmx import page_or_fragment, wants_fragment
from sop.models import Customer, Cycle, Product, User
from sop.models.forecast import PROBABILITIES, PROBABILITY_RISKS
from sop.security import (
    deny_access,
    get_scoped_cached_or_404,
    get_scoped_or_404,
    role_required,
)
from sop.user_input import parse_index, parse_whole

bp = Blueprint("forecasts", __name__, url_prefix="/forecast")


def saver_key() -> str:
    """Cell saves are limited per signed-in user, not per address: a whole sales office
    behind one NAT address must not share one budget."""
    return f"grid-save:{current_user.get_id() if current_user.is_authenticated else 'anon'}"


# A rep typing through a grid sends one request per cell (tab, tab, tab...): the site-wide
# limit of 60 requests per minute per address would refuse them within a minute of work.
# `override_defaults` (on by default) replaces that global limit on the save endpoints with
# this generous per-user one, which still stops a runaway script.
SAVE_LIMIT = "1200 per minute"


def _cycle(cycle_id: str | None) -> Cycle | None:
    if cycle_id:
        return get_scoped_or_404(Cycle, current_user, id=cycle_id)
    return current_open_cycle()


def _rep(rep_id: str | None, customer: Customer | None = None) -> User | None:
    """Reps always see their own plan (any `rep` argument is ignored); others choose."""
    if current_user.role == "sales_rep":
        return current_user._get_current_object()
    if rep_id:
        return get_scoped_or_404(User, current_user, id=rep_id, role="sales_rep")
    if customer is not None and customer.sales_rep is not None:
        return customer.sales_rep
    return next(iter(read_model.sales_reps()), None)


def _selection(args: Mapping[str, str]) -> tuple[Cycle | None, Customer | None, User | None]:
    """The cycle, customer (scoped: another rep's is a 404) and rep a grid request names."""
    cycle = _cycle(args.get("cycle"))
    customer = (get_scoped_or_404(Customer, current_user, id=args["customer"])
                if args.get("customer") else None)
    return cycle, customer, _rep(args.get("rep"), customer)


@bp.get("")
@login_required
def grid():
    args = request.args
    cycle, customer, rep = _selection(args)
    customers = read_model.rep_customers(rep) if rep else []
    if customer is None and customers:
        customer = customers[0]
    data = (read_model.load_grid(cycle, rep, customer, current_user)
            if cycle and rep and customer else None)
    return page_or_fragment("forecasts/grid.html", "grid_area", grid=data, cycle=cycle,
                            rep=rep, customer=customer, customers=customers,
                            reps=read_model.sales_reps() if current_user.role != "sales_rep"
                            else [])


@bp.get("/customers")
@login_required
def customer_search():
    cycle = _cycle(request.args.get("cycle"))
    rep = _rep(request.args.get("rep"))
    found = read_model.rep_customers(rep, request.args.get("q", "")[:60], limit=20) if rep else []
    return render_template("forecasts/_customer_results.html", found=found, cycle=cycle,
                           rep=rep)


@bp.get("/next-missing")
@login_required
def next_missing():
    cycle = _cycle(request.args.get("cycle"))
    rep = _rep(request.args.get("rep"))
    after = request.args.get("after")
    found = (read_model.next_customer_missing(cycle, rep, _object_id(after))
             if cycle and rep else None)
    if found is None:
        flash("No customer has missing months.", "success")
        return redirect(url_for(".grid", cycle=cycle and cycle.pk, rep=rep and rep.pk,
                                customer=after or None))
    return redirect(url_for(".grid", cycle=cycle.pk, rep=rep.pk, customer=found.pk))


def _object_id(text: str | None) -> Any:
    from bson import ObjectId

    return ObjectId(text) if text and ObjectId.is_valid(text) else None


def _posted(need_product: bool = True) -> tuple[Cycle, Customer, Product | None] | None:
    """The cycle, customer (scoped: another rep's is a 404) and item a grid action names,
    read by id once per process until their collections change (a save per Tab)."""
    form = request.form
    if not form.get("cycle") or not form.get("customer") or (
            need_product and not form.get("product")):
        return None
    cycle = get_scoped_cached_or_404(Cycle, current_user, form["cycle"])
    customer = get_scoped_cached_or_404(Customer, current_user, form["customer"])
    product = (get_scoped_cached_or_404(Product, current_user, form["product"])
               if form.get("product") else None)
    return cycle, customer, product


def _back(target: tuple | None = None):
    """Plain (non-htmx) form posts land back on the grid of the customer."""
    if target is None:
        return redirect(url_for(".grid"))
    return redirect(url_for(".grid", cycle=target[0].pk, customer=target[1].pk))


def _refuse_locked(exc: Exception) -> None:
    deny_access(str(exc))


@bp.post("/cell")
@limiter.limit(SAVE_LIMIT, key_func=saver_key)
@role_required("sales_rep")
def save_cell():
    target = _posted()
    if target is None:
        if wants_fragment():
            abort(422)
        return _back()
    form = request.form
    what, bucket = form.get("field", ""), parse_index(form.get("bucket"), target[0].horizon_months)
    if bucket is None:
        return render_error(422, "This cell is not one of the months of the grid: reload the page.")
    context: dict[str, Any] = {"cycle": target[0], "customer": target[1],
                               "product": target[2], "what": what, "bucket": bucket}
    try:
        saved = cells.save_cell(current_user, *target, what, bucket,
                                form.get("value"), form.get("was"), form.get("line"))
    except PlanLocked as exc:
        _refuse_locked(exc)
    except GridError as exc:
        return render_template("forecasts/_cell_saved.html", error=str(exc),
                               typed=form.get("value", ""), value=None, was=form.get("was"),
                               totals=None, **context), 422
    except Conflict as conflict:
        totals = read_model.customer_totals(target[0], current_user, target[1])
        return render_template("forecasts/_cell_saved.html", conflict=conflict,
                               typed=form.get("value", ""), value=conflict.value,
                               totals=totals, **context), 409
    if not wants_fragment():
        return _back(target)
    # The saved cell is updated in place, not replaced (static/js/app.js, "update-cell"): the
    # user may be typing in it again; the row's pieces and the totals come out of band.
    return render_template("forecasts/_cell_saved.html", value=saved.value,
                           totals=saved.totals, line=saved.line, **context), {
                               "HX-Reswap": "update-cell"}


@bp.post("/probability")
@limiter.limit(SAVE_LIMIT, key_func=saver_key)
@role_required("sales_rep")
def save_probability():
    target = _posted()
    if target is None:
        return _back()
    context = {"cycle": target[0], "customer": target[1], "product": target[2]}
    form = request.form
    try:
        value = cells.save_probability(current_user, *target, form.get("probability"),
                                       form.get("was"))
    except PlanLocked as exc:
        _refuse_locked(exc)
    except GridError as exc:
        was = form.get("was", "")
        return render_template("forecasts/_probability.html", error=str(exc),
                               value=parse_whole(was), **context), 422
    except Conflict as conflict:
        return render_template("forecasts/_probability.html", conflict=conflict,
                               value=conflict.value, **context), 409
    if not wants_fragment():
        return _back(target)
    return render_template("forecasts/_probability.html", value=value, **context)


@bp.get("/items/suggest")
@role_required("sales_rep")
def suggest_items():
    cycle = _cycle(request.args.get("cycle"))
    customer_id = request.args.get("customer")
    if cycle is None or not customer_id:
        return render_template("forecasts/_item_suggestions.html", products=[])
    customer = get_scoped_or_404(Customer, current_user, id=customer_id)
    products = line_actions.catalog_suggestions(cycle, current_user, customer,
                                                request.args.get("item_code", "")[:60])
    return render_template("forecasts/_item_suggestions.html", products=products)


def _grid_action(action, success):
    """Run a row or bulk action posted from the grid, flash its outcome, back to the grid."""
    target = _posted(need_product=False)
    if target is None:
        return _back()
    try:
        outcome = action(*target)
    except PlanLocked as exc:
        _refuse_locked(exc)
    except GridError as exc:
        flash(str(exc), "error")
    else:
        flash(success(outcome), "success")
    return _back(target)


@bp.post("/items")
@role_required("sales_rep")
def add_item():
    return _grid_action(
        lambda cycle, customer, _: line_actions.add_item(current_user, cycle, customer,
                                                         request.form.get("item_code", "")),
        lambda doc: "Item added" + (" (new item: not in the price matrix)."
                                    if doc["new_item"] else "."))


@bp.post("/remove")
@role_required("sales_rep")
def remove_line():
    def remove(cycle, customer, product):
        if product is None:
            raise GridError("Choose the line to remove.")
        line_actions.remove_line(current_user, cycle, customer, product)
        return product

    return _grid_action(remove, lambda product: f"Empty line {product.item_code} removed.")


@bp.post("/copy")
@role_required("sales_rep")
def copy_last_cycle():
    def copy(cycle, customer, _):
        every = request.form.get("scope") == "all"
        customers = read_model.rep_customers(current_user) if every else [customer]
        return line_actions.copy_last_cycle(current_user, cycle, customers)

    return _grid_action(copy, lambda result: (
        f"{result.copied} line(s) copied from {result.last_cycle.name}, rolled forward; "
        f"{result.kept} line(s) that already had numbers were left as they were."))


@bp.post("/fill")
@role_required("sales_rep")
def fill_row():
    def fill(cycle, customer, product):
        if product is None:
            raise GridError("Choose the item to fill.")
        return line_actions.fill_row(current_user, cycle, customer, product,
                                     request.form.get("value"), request.form.get("scope", "all"))

    return _grid_action(fill, lambda changed: f"{changed} month(s) filled.")


BASELINE_SCOPES = ("line", "customer", "blank")


@bp.post("/baseline-fill")
@role_required("sales_rep")
def fill_from_baseline():
    """Blank months filled from the baseline: one line, this customer, or every blank line of
    the rep's customers. htmx gets the grid back with the outcome, in place."""
    target = _posted(need_product=False)
    scope = request.form.get("scope", "")
    if target is None or scope not in BASELINE_SCOPES:
        return _back(target)
    cycle, customer, product = target
    status, kind = 200, "success"
    try:
        if scope == "line" and product is None:
            raise GridError("Choose the line to fill.")
        customers = read_model.rep_customers(current_user) if scope == "blank" else [customer]
        result = line_actions.fill_from_baseline(
            current_user, cycle, customers, product if scope == "line" else None,
            parse_whole(request.form.get(f"version-{product.pk}")) if scope == "line" else None,
            blank_only=scope == "blank")
        message = (f"{result.months} month(s) of {result.lines} line(s) filled from the "
                   "baseline." + (f" {result.without} item(s) have no baseline (no sales "
                                  "history): left blank." if result.without else "")
                   + (f" {result.changed} line(s) changed meanwhile: left as they were."
                      if result.changed else ""))
    except PlanLocked as exc:
        _refuse_locked(exc)
    except GridError as exc:
        status, kind, message = (409 if isinstance(exc, line_actions.LineChanged) else 422,
                                 "error", str(exc))
    if not wants_fragment():
        flash(message, kind)
        return _back(target)
    return page_or_fragment(
        "forecasts/grid.html", "grid_area", grid=read_model.load_grid(
            cycle, current_user, customer, current_user), cycle=cycle, rep=current_user,
        customer=customer, customers=read_model.rep_customers(current_user), reps=[],
        notice=(kind, message)), status


@bp.get("/prices")
@login_required
def price_rows():
    args = request.args
    cycle = _cycle(args.get("cycle"))
    customer = get_scoped_or_404(Customer, current_user, id=args.get("customer"))
    rep = _rep(args.get("rep"), customer)
    product = (get_scoped_or_404(Product, current_user, id=args["product"])
               if args.get("product") else None)
    if cycle is None or rep is None:
        abort(404)
    rows, editable = read_model.load_price_rows(cycle, rep, customer, current_user,
                                              product.pk if product else None)
    return render_template("forecasts/_price_rows.html", rows=rows, editable=editable,
                           horizon=cycle.horizon_months, oob=product is None)


@bp.get("/history")
@login_required
def line_history():
    args = request.args
    cycle, customer, rep = _selection(args)
    product = (get_scoped_or_404(Product, current_user, id=args["product"])
               if args.get("product") else None)
    line, entries = (line_actions.line_history(cycle, rep, customer, product)
                     if cycle and customer and product and rep else (None, []))
    return page_or_fragment("forecasts/history.html", "history", line=line, entries=entries,
                            cycle=cycle, customer=customer, product=product, rep=rep)


@bp.app_template_filter("grid_value")
def grid_value(value: float | None) -> str:
    return values.show(value)


@bp.app_template_filter("grid_cases")
def grid_cases(value: float | None) -> str:
    return values.short(value)


@bp.app_template_filter("grid_money")
def grid_money(value: float | None) -> str:
    return "\u2013" if value is None else f"${value:,.0f}"


@bp.app_template_filter("grid_price")
def grid_price(value: float | None) -> str:
    return "" if value is None else f"{value:,.2f}"


@bp.context_processor
def probability_choices() -> dict[str, Any]:
    return {"probabilities": PROBABILITIES, "risks": PROBABILITY_RISKS}
