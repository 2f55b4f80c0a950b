"""Error pages and fragments that say what happened and leak nothing."""

from __future__ import annotations

from flask import Flask, current_app, render_template, request
from flask_wtf.csrf import CSRFError
from pymongo.errors import ConnectionFailure
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from werkzeug.exceptions import HTTPException, InternalServerError

MESSAGES = {
    400: ("Bad request", "The request could not be understood. Reload the page and try again."),
    401: ("Sign in needed", "Please sign in to continue."),
    403: ("Not allowed", "Your account may not do this. Ask an admin if you think it should."),
    404: ("Not found", "There is nothing here, or it is not visible to your account."),
    405: ("Not allowed", "That action is not available here."),
    409: ("Changed meanwhile", "Someone changed this in the meantime. Reload to see it."),
    413: ("File too large", "That upload is larger than the limit of {limit} MB. Split or shrink "
          "the file and try again."),
    422: ("Check your input", "Some values need fixing."),
    429: ("Too many requests", "You are sending requests faster than allowed. Wait a minute and "
          "try again."),
    503: ("Try again in a minute", "A service the portal needs does not answer right now. "
          "Try again in a minute."),
    500: ("Something went wrong", "The error has been logged. Try again; if it keeps happening, "
          "tell an admin the time it happened."),
}


QUEUE_DOWN = ("Background work cannot be queued right now (the job queue does not answer), so "
              "this was not started. Try again in a minute.")
DATABASE_DOWN = ("The database does not answer right now. Try again in a minute; if you were "
                 "saving something, reload the page first to see whether it was kept.")


def default_message(status: int) -> str:
    """What an error page says when the code that raised it did not say more."""
    default = MESSAGES.get(status, MESSAGES[500])[1]
    if "{limit}" in default:
        from sop.settings import get_setting

        key = "api_max_request_mb" if request.path.startswith("/api/") else "max_upload_mb"
        return default.format(limit=get_setting(key))
    return default


def render_error(status: int, message: str | None = None, standalone: bool = False):
    """The error page (its message alone for htmx, JSON for the API). `standalone`: without
    the layout, which reads settings and the signed-in user from the database."""
    title, text = MESSAGES.get(status, MESSAGES[500])[0], message or default_message(status)
    if request.path.startswith("/api/"):
        from sop.api.problems import problem_response

        return problem_response(status, text)
    if standalone:
        # Straight from the Jinja environment: no context processor runs, so nothing (not
        # even Flask-Login loading the signed-in user) asks the database that is not answering.
        page = current_app.jinja_env.get_template(
            "errors/_message.html" if request.headers.get("HX-Request")
            else "errors/unavailable.html")
        return page.render(status=status, title=title, message=text), status
    template = "errors/_message.html" if request.headers.get("HX-Request") else "errors/page.html"
    return render_template(template, status=status, title=title, message=text), status


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError):
        return render_error(400, "This form has expired or did not come from this site. Reload "
                                 "the page and try again.")

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        status = error.code or 500
        if request.path.startswith("/api/") and status in MESSAGES:
            from sop.api.problems import http_problem

            return http_problem(error, default_message(status))
        if status == 429:
            return render_error(429)
        return render_error(status if status in MESSAGES else 500)

    @app.errorhandler(RedisConnectionError)
    @app.errorhandler(RedisTimeoutError)
    def queue_down(error: Exception):
        app.logger.warning("Redis unreachable on %s %s: %s", request.method, request.path,
                           error)
        return render_error(503, QUEUE_DOWN)

    @app.errorhandler(ConnectionFailure)
    def database_down(error: Exception):
        app.logger.warning("Database unreachable on %s %s: %s", request.method, request.path,
                           error)
        return render_error(503, DATABASE_DOWN, standalone=True)

    @app.errorhandler(Exception)
    def unexpected_error(error: Exception):
        app.logger.exception("Unhandled error on %s %s", request.method, request.path)
        return render_error(InternalServerError.code)
