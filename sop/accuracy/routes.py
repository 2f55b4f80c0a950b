"""The Accuracy page: plan, baseline and naive forecast against the actuals of closed
cycles, scoped to what the viewer may see (a rep: own customers and own plan)."""

from __future__ import annotations

from flask import Blueprint, request
from flask_login import current_user, login_required

from sop.accuracy.page import accuracy_view
from sop.htmx import page_or_fragment

bp = Blueprint("accuracy", __name__, url_prefix="/accuracy")


@bp.get("")
@login_required
def index():
    view = accuracy_view(current_user, {key: request.args.get(key, "")[:20]
                                        for key in ("lag", "by", "first", "last")})
    return page_or_fragment("accuracy/page.html", "results", view=view)
