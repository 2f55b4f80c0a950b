"""Configuration from environment variables only.

`SOP_ENV` picks the profile: `production` (the default, strict), `development` (used by `make run`
and by `flask` commands from the checkout through `.flaskenv`) or `test`. In development, an
optional `.env` is read, then `var/services.env`, written by the dev stack with the addresses of
the database, Redis and SMTP sink it started, so commands reach the same services.
Every variable read here is listed in the README's configuration table.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dotenv import dotenv_values

PROJECT_ROOT = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("SOP_VAR_DIR", PROJECT_ROOT / "var"))
SERVICES_ENV_FILE = VAR_DIR / "services.env"

ENVIRONMENTS = ("production", "development", "test")


class ConfigError(RuntimeError):
    """Bad or missing configuration; raised at start so the app never runs half-configured."""


def _development_secret_key() -> str:
    path = VAR_DIR / "secret_key"
    if not path.exists():
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


def _as_bool(name: str, value: str | None, default: bool) -> bool:
    if value is None or value == "":
        return default
    lowered = value.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"{name} must be true or false, not {value!r}.")


def _as_int(name: str, value: str | None, default: int) -> int:
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, not {value!r}.") from None


def _as_zone(name: str, value: str) -> str:
    try:
        ZoneInfo(value)
    except (ValueError, ZoneInfoNotFoundError):
        raise ConfigError(f"{name} must be a time zone such as Europe/Madrid or UTC, "
                          f"not {value!r}.") from None
    return value


def _environment() -> dict[str, str]:
    """The process environment, completed in development by `.env` and `var/services.env`."""
    env = dict(os.environ)
    if env.get("SOP_ENV", "production") == "development":
        for path in (PROJECT_ROOT / ".env", SERVICES_ENV_FILE):
            if path.exists():
                for key, value in dotenv_values(path).items():
                    if value is not None:
                        env.setdefault(key, value)
    return env


def load_config(overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """Build the Flask config mapping; raise ConfigError with a clear sentence on bad input."""
    env = _environment()
    if overrides and "SOP_ENV" in overrides:
        env["SOP_ENV"] = overrides["SOP_ENV"]
    sop_env = env.get("SOP_ENV", "production")
    if sop_env not in ENVIRONMENTS:
        raise ConfigError(f"SOP_ENV must be one of {', '.join(ENVIRONMENTS)}, not {sop_env!r}.")
    production = sop_env == "production"

    secret_key = env.get("SECRET_KEY", "")
    if not secret_key:
        if production:
            raise ConfigError(
                "SECRET_KEY is not set: generate one (python -c 'import secrets; "
                "print(secrets.token_urlsafe(48))') and set it in the environment."
            )
        secret_key = _development_secret_key() if sop_env == "development" else "test-only"
    elif production and len(secret_key) < 32:
        raise ConfigError("SECRET_KEY is too short: use at least 32 random characters.")

    mongodb_uri = env.get("MONGODB_URI", "")
    redis_url = env.get("REDIS_URL", "")
    if production and not mongodb_uri:
        raise ConfigError("MONGODB_URI is not set: point it at your MongoDB (replica set).")
    if production and not redis_url:
        raise ConfigError("REDIS_URL is not set: point it at your Redis, e.g. redis://host:6379/0.")
    if mongodb_uri and not mongodb_uri.startswith(("mongodb://", "mongodb+srv://")):
        raise ConfigError("MONGODB_URI must start with mongodb:// or mongodb+srv://.")
    if redis_url and not redis_url.startswith(("redis://", "rediss://", "unix://")):
        raise ConfigError("REDIS_URL must start with redis://, rediss:// or unix://.")

    port = _as_int("PORT", env.get("PORT"), 8000)
    config: dict[str, Any] = {
        "SOP_ENV": sop_env,
        "SECRET_KEY": secret_key,
        "MONGODB_URI": mongodb_uri or "mongodb://127.0.0.1:27717/sop?retryWrites=false",
        "REDIS_URL": redis_url or "redis://127.0.0.1:6379/0",
        "BASE_URL": env.get("BASE_URL", f"http://127.0.0.1:{port}").rstrip("/"),
        "MAIL_SERVER": env.get("MAIL_SERVER") or None,
        "MAIL_PORT": _as_int("MAIL_PORT", env.get("MAIL_PORT"), 0) or None,
        "MAIL_USERNAME": env.get("MAIL_USERNAME") or None,
        "MAIL_PASSWORD": env.get("MAIL_PASSWORD") or None,
        "MAIL_USE_TLS": _as_bool("MAIL_USE_TLS", env.get("MAIL_USE_TLS"), False),
        "MAIL_USE_SSL": _as_bool("MAIL_USE_SSL", env.get("MAIL_USE_SSL"), False),
        "TRUSTED_PROXY_COUNT": _as_int("TRUSTED_PROXY_COUNT", env.get("TRUSTED_PROXY_COUNT"), 0),
        "SCHEDULER_TIMEZONE": _as_zone("SCHEDULER_TIMEZONE",
                                       env.get("SCHEDULER_TIMEZONE") or "UTC"),
        "LOG_LEVEL": env.get("LOG_LEVEL", "INFO").upper(),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": _as_bool(
            "SESSION_COOKIE_SECURE", env.get("SESSION_COOKIE_SECURE"), production
        ),
        "REMEMBER_COOKIE_HTTPONLY": True,
        "WTF_CSRF_TIME_LIMIT": None,  # the token lives as long as the session, which times out
        "TESTING": sop_env == "test",
    }
    if sop_env == "test":
        config["WTF_CSRF_ENABLED"] = True  # tests prove CSRF refusal; clients send the token
    if overrides:
        config.update(overrides)
    return config
