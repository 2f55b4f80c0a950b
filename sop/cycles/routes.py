"""Cycles: admins create, open and close them; everyone sees a cycle's progress."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("cycles", __name__, url_prefix="/cycles")
