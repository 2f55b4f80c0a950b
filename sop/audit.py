"""The audit trail: the one write path every service calls after a change (DOMAIN.md §6):
`record_audit` for one entry, `record_audits` for many in one bulk insert.

Where a change came from (IP, user agent) is captured once per request by the
`before_request` hook `register_audit_hooks` installs, and read here by the writers: services
take plain arguments and never look at the request themselves."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from flask import Flask, g, has_request_context, request

from sop.clock import now
from sop.db import raw_collection
from sop.models import AuditEntry, User

log = logging.getLogger(__name__)

# Recorded even when `enable_audit_logging` is off.
SECURITY_ACTIONS = frozenset({
    "user_login", "user_login_failed", "user_logout", "user_locked", "user_unlocked",
    "user_created", "user_deactivated", "user_reactivated", "user_password_changed",
    "user_password_reset", "user_password_reset_requested", "user_role_changed",
    "access_denied", "setting_updated", "job_failed", "job_requeued", "job_run_now",
})


REQUEST_KEY = "audit_request"
USER_AGENT_LENGTH = 300


def capture_request_metadata() -> dict[str, str | None]:
    """The current request's IP and user agent, kept for the writers of this request."""
    metadata = {"ip": request.remote_addr,
                "user_agent": (request.user_agent.string or "")[:USER_AGENT_LENGTH]}
    setattr(g, REQUEST_KEY, metadata)
    return metadata


def request_metadata() -> dict[str, str | None]:
    """IP and user agent of the request being served ({} outside a request: jobs, the CLI).
    Captured before the request's view; a hook answered before that one captures it now."""
    if not has_request_context():
        return {}
    return g.get(REQUEST_KEY) or capture_request_metadata()


def register_audit_hooks(app: Flask) -> None:
    """Capture every request's metadata once, and forget it when the request ends (a test's
    app context may outlive the request)."""
    @app.before_request
    def keep_request_metadata() -> None:  # a before_request hook answers when it returns
        capture_request_metadata()

    @app.teardown_request
    def forget_request_metadata(_exc: BaseException | None = None) -> None:
        g.pop(REQUEST_KEY, None)


def audit_enabled(action: str) -> bool:
    """Security events are always recorded; the rest while `enable_audit_logging` is on."""
    from sop.settings import get_setting

    return action in SECURITY_ACTIONS or bool(get_setting("enable_audit_logging"))


def field_changes(before: dict[str, Any], after: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The fields whose value differs, as {field: {"before": old, "after": new}}."""
    return {
        key: {"before": before.get(key), "after": after.get(key)}
        for key in sorted(set(before) | set(after))
        if before.get(key) != after.get(key)
    }


def record_audit(
    action: str,
    message: str,
    *,
    actor: User | None = None,
    entity_type: str | None = None,
    entity_id: Any = None,
    changes: dict[str, dict[str, Any]] | None = None,
    severity: str = "info",
) -> AuditEntry | None:
    """Append one entry; IP and user agent come from the current request when there is one."""
    if not audit_enabled(action):
        return None
    entry = AuditEntry(
        action=action,
        severity=severity,
        message=message,
        actor_id=actor.pk if actor else None,
        actor_email=actor.email if actor else None,
        entity_type=entity_type,
        entity_id=str(entity_id) if entity_id is not None else None,
        changes=changes or {},
        **request_metadata(),
    )
    entry.save(force_insert=True)
    log.info("audit %s %s", action, entry.entity_id or "")
    return entry


def record_audits(
    action: str,
    entries: Iterable[tuple[Any, str, dict[str, dict[str, Any]]]],
    *,
    actor: User | None = None,
    entity_type: str | None = None,
    severity: str = "info",
) -> int:
    """Append one entry per (entity id, message, changes), all at one time, in one bulk
    insert (a grid copy or a workbook import changes thousands of lines); returns how many."""
    if not audit_enabled(action):
        return 0
    # Plain documents of AuditEntry's fields: building thousands of Document objects costs
    # more than the insert (a workbook import of 2,000 lines).
    common = {name: value for name, value in {
        "at": now(), "action": action, "severity": severity,
        "actor_id": actor.pk if actor else None, "actor_email": actor.email if actor else None,
        "entity_type": entity_type, **request_metadata()}.items() if value is not None}
    documents = [{**common, "entity_id": None if entity_id is None else str(entity_id),
                  "message": message,
                  "changes": changes or {}} for entity_id, message, changes in entries]
    if documents:
        raw_collection(AuditEntry).insert_many(documents, ordered=False)
        log.info("audit %s x%d", action, len(documents))
    return len(documents)
