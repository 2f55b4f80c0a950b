"""Settings that admins change at run time (DOMAIN.md §6).

What each key means, its type, bounds and defaults are declared here; the values live in the
`settings` collection. Reads go through a small per-process cache that expires after a few
seconds, so a change made in one process takes effect everywhere without a restart.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cachetools import TTLCache

from sop import __version__
from sop.caches import remembering
from sop.clock import now
from sop.models import Setting
from sop.user_input import clean_text, parse_whole

CACHE_SECONDS = 5.0


@dataclass(frozen=True)
class SettingDefinition:
    key: str
    default: Any
    kind: str  # "number" | "boolean" | "string"
    category: str
    description: str
    public: bool = False
    editable: bool = True
    minimum: int | None = None
    maximum: int | None = None
    max_length: int = 200


def _number(key: str, default: int, category: str, description: str, minimum: int,
            maximum: int, public: bool = False) -> SettingDefinition:
    return SettingDefinition(key, default, "number", category, description, public=public,
                             minimum=minimum, maximum=maximum)


def _flag(key: str, category: str, description: str, default: bool = True) -> SettingDefinition:
    return SettingDefinition(key, default, "boolean", category, description)


def _text(key: str, default: str, category: str, description: str, public: bool = False,
          editable: bool = True) -> SettingDefinition:
    return SettingDefinition(key, default, "string", category, description, public=public,
                             editable=editable)


DEFINITIONS: tuple[SettingDefinition, ...] = (
    _number("reminder_days_before_close", 3, "sop_cycle",
            "Days before a cycle's close date when reps with unsubmitted work are reminded.",
            0, 60),
    _flag("auto_close_cycles", "sop_cycle",
          "Close an open cycle automatically (hourly check) once its close date has passed."),
    _number("max_forecast_months", 16, "sop_cycle",
            "Months in a cycle's forecast horizon (frozen into a cycle when it opens).", 1, 36,
            public=True),
    _number("min_forecast_months_required", 12, "sop_cycle",
            "Leading months every line must fill before a submission (frozen on open).", 1, 36,
            public=True),
    _number("baseline_far_percent", 50, "sop_cycle",
            "A grid line is marked far from its statistical baseline when its cases differ "
            "from the baseline's, over the months it fills, by more than this %.", 1, 1000),
    _number("cleanup_temp_files_days", 7, "system",
            "Days temporary uploads are kept before the nightly cleanup removes them.", 1, 365),
    _number("job_history_days", 30, "system",
            "Days records of finished and failed background jobs are kept (failed ones can be "
            "requeued until then) before the nightly cleanup removes them.", 1, 365),
    _flag("enable_audit_logging", "system",
          "Record business changes in the audit log (security events are always recorded)."),
    _number("audit_retention_days", 90, "system",
            "Days audit entries stay in the live log before the weekly job archives them.",
            7, 3650),
    _number("max_upload_mb", 10, "system", "Largest file (MB) a user may upload.", 1, 200),
    _number("rep_workbook_max_rows", 20_000, "system",
            "Most rows one sheet of an uploaded rep workbook may hold (a rep workbook has a row "
            "per item); a longer one is refused before it is read.", 500, 1_000_000),
    _number("import_max_rows", 1_000_000, "system",
            "Most rows one master-data import may hold; a longer sheet is refused (split it).",
            100, 5_000_000),
    _number("import_max_seconds", 900, "system",
            "Most seconds the check of one master-data import may take before it is stopped "
            "(it then fails with this limit named; the imports worker is free again).",
            5, 3600),
    _number("report_expiry_days", 30, "reports",
            "Days a generated report stays downloadable.", 1, 365),
    _number("report_email_max_mb", 5, "reports",
            "Largest report (MB) sent as an e-mail attachment; bigger ones are sent as a link.",
            1, 50),
    _flag("notification_email_enabled", "notifications", "Send e-mail notifications at all."),
    _flag("notify_cycle_opened", "notifications", "E-mail reps when a cycle opens."),
    _flag("notify_deadline_reminder", "notifications", "E-mail deadline reminders."),
    _flag("notify_submission_received", "notifications",
          "E-mail the submitter and approvers when a plan is submitted."),
    _flag("notify_submission_reviewed", "notifications",
          "E-mail the rep when a submission is approved or rejected."),
    _text("smtp_host", "localhost", "email",
          "SMTP server (the MAIL_SERVER environment variable overrides it)."),
    _number("smtp_port", 25, "email",
            "SMTP port (the MAIL_PORT environment variable overrides it).", 1, 65535),
    _text("from_email", "noreply@sopportal.local", "email", "Sender address of every e-mail."),
    _text("from_name", "S&OP Portal", "email", "Sender name of every e-mail."),
    _number("rate_limit_requests_per_minute", 60, "security",
            "Requests per minute one address may make before getting 'Too many requests'.",
            10, 10000),
    _number("api_rate_limit_per_minute", 600, "security",
            "API requests per minute one API token may make before getting 429.", 10, 100000),
    _number("api_max_request_mb", 10, "security",
            "Largest JSON body (MB) one API request may send.", 1, 100),
    _number("session_timeout_minutes", 480, "security",
            "Minutes of inactivity after which a user is signed out.", 5, 10080),
    _text("app_name", "S&OP Portal", "general", "Name shown in the header and e-mails.",
          public=True),
    _text("app_version", __version__, "general", "Version of the running software.",
          public=True, editable=False),
)

BY_KEY: dict[str, SettingDefinition] = {d.key: d for d in DEFINITIONS}
CATEGORY_LABELS = {
    "general": "General", "sop_cycle": "S&OP cycle", "notifications": "Notifications",
    "email": "E-mail", "security": "Security", "system": "System", "reports": "Reports",
}

stored_values = remembering(TTLCache(maxsize=1, ttl=CACHE_SECONDS))


class SettingError(ValueError):
    """A value that does not fit the setting's type or bounds; the message says what does."""


def parse_value(definition: SettingDefinition, raw: Any) -> Any:
    """Turn form or JSON input into a typed value, or raise SettingError with a clear message."""
    if definition.kind == "boolean":
        if isinstance(raw, bool):
            return raw
        text = str(raw).strip().lower()
        if text in ("true", "1", "yes", "on"):
            return True
        if text in ("false", "0", "no", "off", ""):
            return False
        raise SettingError("Choose on or off.")
    if definition.kind == "number":
        number = parse_whole(raw)
        if number is None:
            raise SettingError("Enter a whole number.")
        if definition.minimum is not None and number < definition.minimum:
            raise SettingError(f"Enter a number of at least {definition.minimum}.")
        if definition.maximum is not None and number > definition.maximum:
            raise SettingError(f"Enter a number of at most {definition.maximum}.")
        return number
    text = clean_text(str(raw)).strip()
    if not text:
        raise SettingError("Enter a value.")
    if len(text) > definition.max_length:
        raise SettingError(f"Use at most {definition.max_length} characters.")
    return text


def seed_settings() -> int:
    """Create missing settings with their defaults; never overwrite an edited value.
    The non-editable ones (the version) are refreshed. Returns how many were created."""
    existing = {s.key for s in Setting.objects.only("key")}
    created = 0
    for definition in DEFINITIONS:
        if definition.key not in existing:
            Setting(key=definition.key, value=definition.default).save(force_insert=True)
            created += 1
        elif not definition.editable:
            Setting.objects(key=definition.key).update_one(set__value=definition.default)
    invalidate_cache()
    return created


def invalidate_cache() -> None:
    stored_values.cache_clear()


def read_values() -> dict[str, Any]:
    stored = {s.key: s.value for s in Setting.objects.only("key", "value")}
    return {d.key: stored.get(d.key, d.default) for d in DEFINITIONS}


def all_values() -> dict[str, Any]:
    """Every setting's current value (defaults for any not stored), from the short cache."""
    return dict(stored_values("settings", read_values))


def get_setting(key: str) -> Any:
    if key not in BY_KEY:
        raise KeyError(f"Unknown setting {key!r}")
    return all_values()[key]


def public_settings() -> dict[str, Any]:
    values = all_values()
    return {d.key: values[d.key] for d in DEFINITIONS if d.public}


def store_value(key: str, value: Any, updated_by: str) -> Any:
    """Write a validated value and return the previous one (the service audits the change)."""
    previous = get_setting(key)
    Setting.objects(key=key).update_one(
        set__value=value, set__updated_by=updated_by, set__updated_at=now(), upsert=True
    )
    invalidate_cache()
    return previous
