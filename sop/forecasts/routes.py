"""The forecast grid: a rep plans one customer at a time; managers and admins read any rep's."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("forecasts", __name__, url_prefix="/forecast")
