"""The one source of the current time (timezone-aware UTC), so tests can move it."""

from datetime import UTC, datetime


def now() -> datetime:
    return datetime.now(UTC)
