"""Submitting a plan, and the board where managers approve or reject plans inline."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("submissions", __name__, url_prefix="/submissions")
