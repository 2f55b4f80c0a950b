"""Price matrix of one customer: read by whoever sees the customer, edited by admins."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from sop.downloads import send_xlsx
from sop.htmx import wants_fragment
from sop.models import Customer, PriceEntry
from sop.prices import services
from sop.security import get_scoped_or_404, role_required

bp = Blueprint("prices", __name__, url_prefix="/customers/<customer_id>/prices")


@bp.get("")
@login_required
def matrix(customer_id: str):
    customer = get_scoped_or_404(Customer, current_user, id=customer_id)
    return render_template("prices/matrix.html", customer=customer,
                           entries=services.customer_matrix(customer))


@bp.get("/export")
@login_required
def export_matrix(customer_id: str):
    customer = get_scoped_or_404(Customer, current_user, id=customer_id)
    return send_xlsx(services.export_matrix(current_user, customer), f"prices-{customer.code}")


@bp.post("/<entry_id>")
@role_required("admin")
def update_entry(customer_id: str, entry_id: str):
    customer = get_scoped_or_404(Customer, current_user, id=customer_id)
    entry = get_scoped_or_404(PriceEntry, current_user, id=entry_id, customer=customer)
    form = request.form
    error = None
    try:
        services.update_price_entry(
            current_user, entry, price=form.get("price"),
            active=(form.get("active") == "on") if "active_sent" in form else None,
            effective_from=form.get("effective_from"))
    except services.PriceError as exc:
        error = str(exc)
        entry.reload()
    if wants_fragment():
        return render_template("prices/_row.html", customer=customer, entry=entry,
                               error=error), 422 if error else 200
    flash(error or f"Item {entry.product.item_code} saved.", "error" if error else "success")
    return redirect(url_for("prices.matrix", customer_id=customer.pk))


@bp.post("/bulk")
@role_required("admin")
def bulk_active(customer_id: str):
    customer = get_scoped_or_404(Customer, current_user, id=customer_id)
    active = request.form.get("action") == "activate"
    try:
        changed = services.set_entries_active(current_user, customer,
                                              request.form.getlist("entry"), active)
    except services.PriceError as exc:
        flash(str(exc), "error")
    else:
        flash(f"{changed} item(s) {'activated' if active else 'deactivated'}.", "success")
    return redirect(url_for("prices.matrix", customer_id=customer.pk))


@bp.get("/suggest")
@role_required("admin")
def suggest(customer_id: str):
    customer = get_scoped_or_404(Customer, current_user, id=customer_id)
    return render_template("prices/_suggestions.html", products=services.catalog_suggestions(
        customer, request.args.get("item_code", "")[:60]))


@bp.post("/add")
@role_required("admin")
def add_item(customer_id: str):
    customer = get_scoped_or_404(Customer, current_user, id=customer_id)
    try:
        entry = services.add_item(current_user, customer, request.form.get("item_code", ""),
                                  request.form.get("price", ""))
    except services.PriceError as exc:
        flash(str(exc), "error")
    else:
        flash(f"Item {entry.product.item_code} added.", "success")
    return redirect(url_for("prices.matrix", customer_id=customer.pk))
