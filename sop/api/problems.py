"""Errors of the API as RFC 9457 problem details (`application/problem+json`): type, title,
status, detail and, for bad input, `errors` naming each field. Never a stack trace."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Response, json
from werkzeug.exceptions import HTTPException

PROBLEM_MIMETYPE = "application/problem+json"
TITLES = {
    400: "Bad request", 401: "Authentication required", 403: "Forbidden", 404: "Not found",
    405: "Method not allowed", 409: "Conflict", 413: "Request too large",
    415: "Unsupported media type", 422: "Invalid input", 423: "Locked", 429: "Too many requests",
    500: "Internal error", 503: "Service unavailable",
}


class Problem(Exception):
    """Raised by API views and services' adapters; rendered by `problem_response`."""

    def __init__(self, status: int, detail: str, *, errors: list[dict[str, Any]] | None = None,
                 headers: Mapping[str, str] | None = None, **extra: Any) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.errors = errors
        self.headers = dict(headers or {})
        self.extra = extra


def problem_type(status: int) -> str:
    """A stable URI per kind of problem (documented on /api/docs)."""
    return f"/api/docs#problem-{status}"


def problem_response(status: int, detail: str, *, errors: list[dict[str, Any]] | None = None,
                     headers: Mapping[str, str] | None = None, **extra: Any) -> Response:
    body: dict[str, Any] = {"type": problem_type(status), "title": TITLES.get(status, "Error"),
                            "status": status, "detail": detail, **extra}
    if errors is not None:
        body["errors"] = errors
    response = Response(json.dumps(body), status=status, mimetype=PROBLEM_MIMETYPE)
    response.headers.update(headers or {})
    return response


def render_problem(problem: Problem) -> Response:
    return problem_response(problem.status, problem.detail, errors=problem.errors,
                            headers=problem.headers, **problem.extra)


def field_errors(messages: Any, prefix: str = "") -> list[dict[str, Any]]:
    """marshmallow/webargs messages ({location: {field: [msg] | {...}}}) as a flat list of
    {field, message}; the location (json, query) is left out of the field's path."""
    if isinstance(messages, Mapping):
        found = []
        for key, value in messages.items():
            if not prefix and key in ("json", "query", "querystring", "headers", "path"):
                found += field_errors(value, "")
                continue
            name = f"{prefix}.{key}" if prefix else str(key)
            found += field_errors(value, "" if name == "_schema" else name)
        return found
    if isinstance(messages, list | tuple) and messages and all(
            isinstance(m, str) for m in messages):
        return [{"field": prefix or None, "message": " ".join(messages)}]
    if isinstance(messages, list | tuple):
        return [e for m in messages for e in field_errors(m, prefix)]
    return [{"field": prefix or None, "message": str(messages)}]


def http_problem(error: HTTPException, detail: str) -> Response:
    """An HTTP error raised anywhere under /api/ (webargs' 422, 404, 405, 413, 429...)."""
    status = error.code or 500
    data = getattr(error, "data", None) or {}
    errors = field_errors(data["messages"]) if "messages" in data else None
    headers = dict(data.get("headers") or {})
    valid_methods = getattr(error, "valid_methods", None)
    if status == 405 and valid_methods:
        headers["Allow"] = ", ".join(valid_methods)
    if status == 401:
        headers.setdefault("WWW-Authenticate", 'Bearer realm="api"')
    if errors is not None:
        detail = "Some values need fixing: see errors." if status == 422 else detail
    return problem_response(status, detail, errors=errors, headers=headers)
