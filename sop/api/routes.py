"""JSON API under /api/v1 and the unauthenticated health check."""

from __future__ import annotations

from flask import Blueprint, jsonify

from sop.api.services import service_health
from sop.extensions import csrf
from sop.settings import public_settings

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)  # read-only so far; token-authenticated writes come with the integrations
health_bp = Blueprint("health", __name__)


@bp.get("/settings/public")
def settings_public():
    return jsonify(public_settings())


@health_bp.get("/health")
def health():
    report = service_health()
    return jsonify(report), 200 if report["status"] == "ok" else 503
