"""The API's machinery: the flask-smorest `Api` (OpenAPI 3.1 from the code), blueprints that
authenticate by bearer token only (no cookie is read, so CSRF does not apply), scopes and
roles per operation, a rate limit per token, a request size limit, problem JSON."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import Flask, current_app, g, request
from flask_smorest import Api, Blueprint
from marshmallow import RAISE
from webargs.flaskparser import FlaskParser

from sop.api.problems import PROBLEM_MIMETYPE, Problem, render_problem
from sop.api.schemas import ProblemSchema
from sop.api.tokens import ROLE_SCOPES, authenticate, secret_hash, token_by_hash
from sop.audit import record_audit
from sop.extensions import client_ip, csrf, limiter
from sop.models import ApiToken, User

F = TypeVar("F", bound=Callable[..., Any])
PREFIX = "/api/v1"
SECURITY_SCHEME = "bearerToken"


class StrictParser(FlaskParser):
    """Unknown query parameters are refused like unknown body fields."""

    DEFAULT_UNKNOWN_BY_LOCATION = dict.fromkeys(FlaskParser.DEFAULT_UNKNOWN_BY_LOCATION, RAISE)


class ApiBlueprint(Blueprint):
    ARGUMENTS_PARSER = StrictParser()


PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}


def openapi_document(api: Api) -> dict[str, Any]:
    """The generated document, with error responses under application/problem+json (the
    content type they are sent with; flask-smorest documents every response as JSON)."""
    document = api.spec.to_dict()
    responses = list(document.get("components", {}).get("responses", {}).values())
    for path in document.get("paths", {}).values():
        for operation in path.values():
            if isinstance(operation, dict):
                responses += list(operation.get("responses", {}).values())
    for response in responses:
        content = response.get("content") or {}
        if (content.get("application/json") or {}).get("schema") == PROBLEM_REF:
            content[PROBLEM_MIMETYPE] = content.pop("application/json")
    return document


class PortalApi(Api):
    ERROR_SCHEMA = ProblemSchema


def current_api_user() -> User:
    return g.api_user


def current_api_token() -> ApiToken:
    return g.api_token


def rate_limit_key() -> str:
    """Per known token (its hash), else per address: made-up tokens share their sender's
    allowance (each would otherwise start a fresh one, and write an audit entry)."""
    scheme, _, secret = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and secret.strip():
        digest = secret_hash(secret.strip())
        if token_by_hash(digest) is not None:
            return "api-token:" + digest[:32]
    return "api-ip:" + client_ip()


def api_rate_limit() -> str:
    from sop.settings import get_setting

    return f"{int(get_setting('api_rate_limit_per_minute'))} per minute"


def public(view: F) -> F:
    """An operation anyone may call without a token."""
    view.api_public = True  # type: ignore[attr-defined]
    return view


def _authenticate_request() -> None:
    from sop.settings import get_setting

    request.max_content_length = int(get_setting("api_max_request_mb")) * 1024 * 1024
    view = current_app.view_functions.get(request.endpoint or "")
    if view is None or getattr(view, "api_public", False):
        return
    scheme, _, secret = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        raise Problem(401, "Send an API token: Authorization: Bearer <token>. Browser "
                           "sessions are not accepted by the API.",
                      headers={"WWW-Authenticate": 'Bearer realm="api"'})
    token, why = authenticate(secret.strip())
    if token is None:
        if why == "unknown":
            record_audit("api_token_refused", f"Unknown API token refused on {request.method} "
                         f"{request.path}.", severity="warning")
        raise Problem(401, f"This API token is not valid ({why}).",
                      headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})
    g.api_token, g.api_user = token, token.owner


def effective_scopes(token: ApiToken) -> frozenset[str]:
    """The token's scopes, cut to what its owner's role allows today (a demoted owner's
    admin token is no longer admin)."""
    return frozenset(token.scopes) & ROLE_SCOPES.get(token.owner.role, frozenset())


def access(scope: str, *roles: str) -> Callable[[F], F]:
    """The operation needs `scope` on the token and, if given, one of `roles` for its owner
    (the same roles as the page). Refusals are 403 and audited."""

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            token, user = current_api_token(), current_api_user()
            if scope not in effective_scopes(token):
                _refuse(user, token, f"the token lacks the {scope} scope")
            if roles and user.role not in roles:
                _refuse(user, token, f"needs role {' or '.join(roles)}")
            return view(*args, **kwargs)

        wrapped.api_scope = scope  # type: ignore[attr-defined]
        wrapped.api_roles = roles  # type: ignore[attr-defined]
        return wrapped  # type: ignore[return-value]

    return decorator


def _refuse(user: User, token: ApiToken, reason: str) -> None:
    record_audit("api_token_refused", f"API token '{token.name}' refused on {request.method} "
                 f"{request.path}: {reason}.", actor=user, entity_type="api_token",
                 entity_id=token.pk, severity="warning")
    raise Problem(403, f"Not allowed: {reason}.")


def api_blueprint(name: str, url_prefix: str, description: str) -> ApiBlueprint:
    """A blueprint of the API: token authentication first, CSRF exempt (no cookie is read),
    the per-token rate limit instead of the per-address one."""
    blueprint = ApiBlueprint(f"api_{name}", __name__, url_prefix=PREFIX + url_prefix,
                             description=description)
    blueprint.before_request(_authenticate_request)
    csrf.exempt(blueprint)
    limiter.limit(api_rate_limit, key_func=rate_limit_key)(blueprint)
    return blueprint


def register_api(app: Flask) -> None:
    """Bind the Api to the app and register every resource blueprint."""
    from sop.api.resources import BLUEPRINTS

    app.config.update({
        "API_TITLE": "S&OP Portal API", "API_VERSION": "v1", "OPENAPI_VERSION": "3.1.0",
        "OPENAPI_URL_PREFIX": None,  # the document is served by sop.api.resources.docs
        "API_SPEC_OPTIONS": {
            "info": {"description": "Token-authenticated JSON API over the portal's services. "
                                    "Errors are RFC 9457 problem details."},
            "components": {"securitySchemes": {SECURITY_SCHEME: {
                "type": "http", "scheme": "bearer",
                "description": "An API token from your profile page or `flask create-token`."}}},
            "security": [{SECURITY_SCHEME: []}],
        },
    })
    api = PortalApi(app)
    app.extensions["sop_api"] = api
    app.register_error_handler(Problem, lambda problem: render_problem(problem))
    for blueprint in BLUEPRINTS:
        api.register_blueprint(blueprint)
