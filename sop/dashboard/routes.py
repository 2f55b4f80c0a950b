from flask import Blueprint, render_template
from flask_login import current_user, login_required

from sop.dashboard import services

bp = Blueprint("dashboard", __name__)


@bp.get("/")
@login_required
def index():
    if current_user.role == "sales_rep":
        overview = services.rep_overview(current_user)
        charts = services.rep_charts(current_user, overview.cycle)
    else:
        overview = services.manager_overview()
        charts = services.manager_charts(current_user, overview.cycle)
    return render_template("dashboard/index.html", user=current_user, overview=overview,
                           charts=charts, accuracy=services.accuracy_trend(current_user))
