"""The audit trail: one function every service calls after a change (DOMAIN.md §6)."""

from __future__ import annotations

import logging
from typing import Any

from flask import has_request_context, request

from sop.models import AuditEntry, User

log = logging.getLogger(__name__)

# Recorded even when `enable_audit_logging` is off.
SECURITY_ACTIONS = frozenset({
    "user_login", "user_login_failed", "user_logout", "user_locked", "user_unlocked",
    "user_created", "user_deactivated", "user_reactivated", "user_password_changed",
    "user_password_reset", "user_password_reset_requested", "user_role_changed",
    "access_denied", "setting_updated", "job_failed", "job_requeued", "job_run_now",
})


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
    from sop.settings import get_setting

    if action not in SECURITY_ACTIONS and not get_setting("enable_audit_logging"):
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
    )
    if has_request_context():
        entry.ip = request.remote_addr
        entry.user_agent = (request.user_agent.string or "")[:300]
    entry.save(force_insert=True)
    log.info("audit %s %s", action, entry.entity_id or "")
    return entry
