from flask import Blueprint, render_template
from flask_login import current_user, login_required

from sop.cycles.services import current_open_cycle
from sop.dashboard import services
from sop.htmx import page_or_fragment

bp = Blueprint("dashboard", __name__)


@bp.get("/")
@login_required
def index():
    if current_user.role == "sales_rep":
        overview = services.rep_overview(current_user)
    else:
        overview = services.manager_overview()
    return render_template("dashboard/index.html", user=current_user, overview=overview)


# The charts and the accuracy tile come in once the page is shown (hx-trigger="load"), each
# on its own request: computing them the first time after the plan changed takes seconds on
# the mid-size company (README, bench/dashboard.py); the page is not held up meanwhile.

@bp.get("/dashboard/figures")
@login_required
def figures():
    if current_user.role == "sales_rep":
        overview = None
        charts = services.rep_charts(current_user, current_open_cycle())
    else:
        overview = services.manager_overview()
        charts = services.manager_charts(current_user, overview.cycle)
    return page_or_fragment("dashboard/figures.html", "figures", user=current_user,
                            overview=overview, charts=charts)


@bp.get("/dashboard/accuracy")
@login_required
def accuracy():
    return page_or_fragment("dashboard/accuracy.html", "accuracy",
                            accuracy=services.accuracy_trend(current_user))
