"""The unauthenticated health check and the interactive API documentation page."""

from __future__ import annotations

from flask import Blueprint, jsonify, render_template

from sop.api.services import service_health

health_bp = Blueprint("health", __name__)
docs_bp = Blueprint("api_docs", __name__)


@health_bp.get("/health")
def health():
    report = service_health()
    return jsonify(report), 200 if report["status"] == "ok" else 503


@docs_bp.get("/api/docs")
def docs():
    """Swagger UI (vendored under static/vendor/swagger-ui) over /api/v1/openapi.json."""
    return render_template("api/docs.html")
