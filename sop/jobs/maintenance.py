"""Housekeeping jobs run by the scheduler; each is safe to run twice."""

from __future__ import annotations


def archive_audit_log() -> str:
    from sop.admin.services import archive_audit_entries

    moved = archive_audit_entries()
    return f"archived {moved} audit entries"
