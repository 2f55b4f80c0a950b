"""Unbound extension singletons, bound to the app in `create_app`."""

from __future__ import annotations

from flask import Flask, request
from flask_limiter import Limiter
from flask_login import LoginManager
from flask_mail import Mail
from flask_talisman import Talisman
from flask_wtf.csrf import CSRFProtect
from redis import Redis
from rq import Queue

QUEUE_NAMES = ("default", "mail", "imports", "reports", "forecasting")


def client_ip() -> str:
    """The caller's address (ProxyFix has already applied TRUSTED_PROXY_COUNT)."""
    return request.remote_addr or "unknown"


class RedisQueues:
    """The Redis connection and the RQ queues of one app."""

    def __init__(self) -> None:
        self.connection: Redis | None = None

    def init_app(self, app: Flask) -> None:
        self.connection = Redis.from_url(app.config["REDIS_URL"], socket_connect_timeout=3)
        app.extensions["redis_queues"] = self

    @property
    def redis(self) -> Redis:
        if self.connection is None:
            raise RuntimeError("Redis is not configured: create the app first.")
        return self.connection

    def queue(self, name: str = "default") -> Queue:
        if name not in QUEUE_NAMES:
            raise ValueError(f"Unknown queue {name!r}")
        return Queue(name, connection=self.redis)


def global_rate_limit() -> str:
    """The site-wide limit per client address, read from settings on each request."""
    from sop.settings import get_setting

    return f"{int(get_setting('rate_limit_requests_per_minute'))} per minute"


def is_exempt_from_global_limit() -> bool:
    return request.endpoint in ("static", "health.health")


login_manager = LoginManager()
csrf = CSRFProtect()
mail = Mail()
talisman = Talisman()
limiter = Limiter(
    key_func=client_ip,
    default_limits=[global_rate_limit],
    default_limits_exempt_when=is_exempt_from_global_limit,
)
redis_queues = RedisQueues()
