"""S&OP Portal: the Flask application package and its factory."""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

from flask import Flask, Response, flash, redirect, request, session, url_for
from flask_login import current_user, logout_user
from pymongo.errors import PyMongoError
from werkzeug.middleware.proxy_fix import ProxyFix

__version__ = "0.1.0"

PROJECT_ROOT = Path(__file__).resolve().parent.parent

# No inline script or style anywhere: htmx is configured through a <meta> tag and our own JS.
CONTENT_SECURITY_POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "font-src": "'self'",
    "connect-src": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
    "base-uri": "'self'",
    "object-src": "'none'",
}


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the app: configuration, extensions, blueprints, error pages, CLI, start-up tasks."""
    from sop.config import load_config

    app = Flask(
        __name__,
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
    )
    app.config.update(load_config(config))
    app.config["RATELIMIT_STORAGE_URI"] = app.config["REDIS_URL"]
    app.config["RATELIMIT_HEADERS_ENABLED"] = True
    # Redis down: limits are counted per process in memory meanwhile (and in Redis again once
    # it answers), never a 500 because the limit could not be counted.
    app.config["RATELIMIT_IN_MEMORY_FALLBACK_ENABLED"] = True
    app.config["RATELIMIT_SWALLOW_ERRORS"] = True
    configure_logging(app)
    if app.config["TRUSTED_PROXY_COUNT"]:
        count = app.config["TRUSTED_PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count, x_host=count)  # type: ignore[method-assign]

    register_request_hooks(app)  # before CSRF: the upload limit must be set before forms parse
    register_extensions(app)
    register_blueprints(app)
    register_errors(app)
    register_template_helpers(app)
    register_cli(app)
    run_startup_tasks(app)
    return app


def configure_logging(app: Flask) -> None:
    level = getattr(logging, app.config["LOG_LEVEL"], logging.INFO)
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    app.logger.setLevel(level)


def register_extensions(app: Flask) -> None:
    from sop.db import connect_database
    from sop.extensions import csrf, limiter, login_manager, mail, redis_queues, talisman

    connect_database(app)
    redis_queues.init_app(app)
    csrf.init_app(app)
    limiter.init_app(app)
    mail.init_app(app)
    production = app.config["SOP_ENV"] == "production"
    talisman.init_app(
        app,
        force_https=False,  # TLS ends at the proxy; HSTS tells browsers to stay on https
        strict_transport_security=production,
        content_security_policy=CONTENT_SECURITY_POLICY,
        frame_options="DENY",
        referrer_policy="same-origin",
        session_cookie_secure=app.config["SESSION_COOKIE_SECURE"],
        session_cookie_http_only=True,
        session_cookie_samesite="Lax",
    )
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please sign in to see that page."
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"

    from sop.auth.services import load_session_user

    login_manager.user_loader(load_session_user)

    @login_manager.unauthorized_handler
    def unauthorized() -> Response:
        target = url_for("auth.login", next=request.full_path.rstrip("?"))
        if request.headers.get("HX-Request"):
            return Response(status=401, headers={"HX-Redirect": target})
        if request.path.startswith("/api/"):
            return Response('{"error": "authentication required"}', 401,
                            mimetype="application/json")
        flash(login_manager.login_message, "info")
        return redirect(target)  # type: ignore[return-value]


def register_blueprints(app: Flask) -> None:
    from sop.accuracy.routes import bp as accuracy_bp
    from sop.admin.routes import bp as admin_bp
    from sop.api.routes import bp as api_bp
    from sop.api.routes import health_bp
    from sop.auth.routes import bp as auth_bp
    from sop.budget.routes import bp as budget_bp
    from sop.customers.routes import bp as customers_bp
    from sop.cycles.routes import bp as cycles_bp
    from sop.dashboard.routes import bp as dashboard_bp
    from sop.forecasts.routes import bp as forecasts_bp
    from sop.imports.routes import bp as imports_bp
    from sop.prices.routes import bp as prices_bp
    from sop.products.routes import bp as products_bp
    from sop.reports.routes import bp as reports_bp
    from sop.sales.routes import bp as sales_bp
    from sop.submissions.routes import bp as submissions_bp
    from sop.users.routes import bp as users_bp
    from sop.workbooks.routes import bp as workbooks_bp

    for blueprint in (auth_bp, dashboard_bp, users_bp, admin_bp, api_bp, health_bp,
                      customers_bp, products_bp, prices_bp, sales_bp, imports_bp, budget_bp,
                      cycles_bp, forecasts_bp, submissions_bp, workbooks_bp, reports_bp):
        app.register_blueprint(blueprint)
    app.register_blueprint(accuracy_bp)


def register_errors(app: Flask) -> None:
    from sop.errors import register_error_handlers

    register_error_handlers(app)


def register_request_hooks(app: Flask) -> None:
    from sop.audit import register_audit_hooks
    from sop.settings import get_setting

    register_audit_hooks(app)

    @app.before_request
    def apply_upload_limit() -> None:
        request.max_content_length = int(get_setting("max_upload_mb")) * 1024 * 1024

    @app.before_request
    def enforce_session_timeout() -> Response | None:
        """Sliding inactivity timeout from the `session_timeout_minutes` setting."""
        if request.endpoint == "static" or not current_user.is_authenticated:
            return None
        timeout_seconds = int(get_setting("session_timeout_minutes")) * 60
        last_seen = session.get("last_seen")
        now_ts = time.time()
        if last_seen is not None and now_ts - float(last_seen) > timeout_seconds:
            logout_user()
            session.clear()
            flash("Your session timed out. Please sign in again.", "info")
            target = url_for("auth.login", next=request.full_path.rstrip("?"))
            if request.headers.get("HX-Request"):
                return Response(status=401, headers={"HX-Redirect": target})
            return redirect(target)  # type: ignore[return-value]
        session["last_seen"] = now_ts
        session.permanent = True
        return None


def register_template_helpers(app: Flask) -> None:
    from sop.settings import get_setting

    app.permanent_session_lifetime = 7 * 24 * 3600  # upper bound; the sliding timeout decides
    app.jinja_env.globals["setting"] = get_setting
    app.jinja_env.globals["app_version"] = __version__


def register_cli(app: Flask) -> None:
    from sop.cli import register_commands

    register_commands(app)


def run_startup_tasks(app: Flask) -> None:
    """Indexes and settings, idempotently; a database that cannot be reached stops the start."""
    from sop.config import ConfigError
    from sop.db import ensure_indexes
    from sop.settings import seed_settings

    with app.app_context():
        try:
            ensure_indexes()
            seed_settings()
        except PyMongoError as exc:
            raise ConfigError(
                f"Cannot reach the database named in MONGODB_URI ({type(exc).__name__}). "
                "Start it (make run starts the embedded one) or fix MONGODB_URI."
            ) from None
