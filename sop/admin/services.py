"""Admin use cases: settings changes, the audit log, background jobs."""

from __future__ import annotations


def archive_audit_entries() -> int:
    raise NotImplementedError
