"""Sales history: rows or monthly totals, with filters, scoped to what the viewer may see."""

from __future__ import annotations

from flask import Blueprint, request
from flask_login import current_user, login_required

from sop.customers.services import filter_choices
from sop.downloads import send_xlsx
from sop.htmx import page_or_fragment
from sop.sales import services

bp = Blueprint("sales", __name__, url_prefix="/sales")


def _filters() -> services.SalesFilters:
    args = request.args
    return services.SalesFilters(**{key: args.get(key, "")[:60] for key in (
        "customer", "item", "rep", "territory", "month_from", "month_to")})


@bp.get("")
@login_required
def history():
    filters = _filters()
    view = "monthly" if request.args.get("view") == "monthly" else "rows"
    context = {"filters": filters, "view": view, "choices": filter_choices(current_user)}
    if view == "monthly":
        context["months"] = services.monthly_totals(current_user, filters)
    else:
        context["page"], context["totals"] = services.sales_page(
            current_user, filters, request.args.get("page", 1, type=int))
    return page_or_fragment("sales/history.html", "results", **context)


@bp.get("/export")
@login_required
def export_history():
    return send_xlsx(services.export_sales(current_user, _filters()), "sales-history")
