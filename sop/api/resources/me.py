"""Who the token is, the public settings, health, and the OpenAPI document itself."""

from __future__ import annotations

from flask import current_app, jsonify
from marshmallow import Schema, fields

from sop.api import schemas as s
from sop.api.core import (
    access,
    api_blueprint,
    current_api_token,
    current_api_user,
    openapi_document,
    public,
)
from sop.api.presenters import token_out, user_out
from sop.api.services import service_health
from sop.settings import public_settings

bp = api_blueprint("account", "", "The token's account, public settings, health, this "
                   "document.")


class PublicSettingsSchema(Schema):
    class Meta:
        unknown = "raise"

    max_forecast_months = fields.Integer(required=True)
    min_forecast_months_required = fields.Integer(required=True)
    app_name = fields.String(required=True)
    app_version = fields.String(required=True)


class HealthSchema(Schema):
    status = fields.String(required=True, metadata={"description": "ok or degraded"})
    database = fields.String(required=True)
    redis = fields.String(required=True)
    worker = fields.String(required=True)


@bp.get("/me")
@access("read")
@bp.response(200, s.MeSchema)
def me():
    """The account the token belongs to, and the token."""
    return {**user_out(current_api_user()), "token": token_out(current_api_token())}


@bp.get("/settings/public")
@public
@bp.response(200, PublicSettingsSchema)
@bp.doc(security=[])
def settings_public():
    """The settings anyone may read (no token needed)."""
    return public_settings()


@bp.get("/health")
@access("read")
@bp.response(200, HealthSchema)
def health():
    """Database, Redis and worker heartbeat, as `/health` says them; answered 200 with
    `status` degraded when one is not ok (`/health` itself answers 503 then, for load
    balancers)."""
    return service_health()


@bp.get("/openapi.json")
@public
@bp.doc(security=[])
@bp.response(200, description="This OpenAPI 3.1 document")
def openapi():
    """The OpenAPI 3.1 document of this API, generated from the code."""
    return jsonify(openapi_document(current_app.extensions["sop_api"]))
