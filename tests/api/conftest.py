"""API helpers: a user of a role with a token, and requests that send it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask

from sop.api.tokens import create_token
from sop.models import User


class TokenClient:
    """Requests with `Authorization: Bearer <secret>` and no cookies."""

    def __init__(self, app: Flask, user: User, secret: str) -> None:
        self.client = app.test_client(use_cookies=False)
        self.user = user
        self.secret = secret

    def _headers(self, extra: dict[str, str] | None) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.secret}", **(extra or {})}

    def get(self, path: str, **kwargs: Any):
        return self.client.get(path, headers=self._headers(kwargs.pop("headers", None)),
                               **kwargs)

    def post(self, path: str, json: Any = None, **kwargs: Any):
        return self.client.post(path, json=json,
                                headers=self._headers(kwargs.pop("headers", None)), **kwargs)

    def put(self, path: str, json: Any = None, **kwargs: Any):
        return self.client.put(path, json=json,
                               headers=self._headers(kwargs.pop("headers", None)), **kwargs)

    def patch(self, path: str, json: Any = None, **kwargs: Any):
        return self.client.patch(path, json=json,
                                 headers=self._headers(kwargs.pop("headers", None)), **kwargs)


DEFAULT_SCOPES = {"admin": ["read", "write", "admin"], "manager": ["read", "write"],
                  "sales_rep": ["read", "write"]}


@pytest.fixture
def token_for(app: Flask) -> Callable[..., TokenClient]:
    def build(user: User, scopes: list[str] | None = None, days: int | None = 30
              ) -> TokenClient:
        with app.app_context():
            created = create_token(None, user, "test", scopes or DEFAULT_SCOPES[user.role],
                                   days)
        return TokenClient(app, user, created.secret)

    return build


@pytest.fixture
def api_as(make_user: Callable[..., User], token_for: Callable[..., TokenClient]
           ) -> Callable[..., TokenClient]:
    """A new user of `role` with a token of the role's scopes (or those given)."""

    def build(role: str, scopes: list[str] | None = None) -> TokenClient:
        return token_for(make_user(role), scopes)

    return build


@pytest.fixture(scope="session")
def live_server(app: Flask):
    """The app served on a real port by a real server thread (as tests/browser does)."""
    import threading

    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
