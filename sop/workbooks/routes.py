"""The rep workbook (DOMAIN.md §5.1): download pre-filled, upload filled, preview, confirm."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("workbooks", __name__, url_prefix="/workbooks")
