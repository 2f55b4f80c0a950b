"""The one source of the current time (timezone-aware UTC), so tests can move it."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo


def now() -> datetime:
    return datetime.now(UTC)


def schedule_zone() -> ZoneInfo:
    """SCHEDULER_TIMEZONE: the zone of the periodic jobs' times and of "today" for them."""
    from flask import current_app

    return ZoneInfo(current_app.config["SCHEDULER_TIMEZONE"])


def local_now() -> datetime:
    """Now in SCHEDULER_TIMEZONE."""
    return now().astimezone(schedule_zone())
