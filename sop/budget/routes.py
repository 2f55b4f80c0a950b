"""Budget per rep and customer per month (reps: their own)."""

from __future__ import annotations

from flask import Blueprint, request
from flask_login import current_user, login_required

from sop.budget import services
from sop.customers.services import filter_choices
from sop.downloads import send_xlsx
from sop.htmx import page_or_fragment

bp = Blueprint("budget", __name__, url_prefix="/budget")


def _filters() -> services.BudgetFilters:
    return services.BudgetFilters(**{key: request.args.get(key, "")[:60] for key in (
        "rep", "customer", "year", "unmatched")})


@bp.get("")
@login_required
def overview():
    filters = _filters()
    months, lines, totals = services.budget_table(current_user, filters)
    context = {"filters": filters, "months": months, "lines": lines, "totals": totals,
               "choices": filter_choices(current_user),
               "years": services.year_choices(current_user)}
    return page_or_fragment("budget/overview.html", "results", **context)


@bp.get("/export")
@login_required
def export_budget():
    return send_xlsx(services.export_budget(current_user, _filters()), "budget")
