"""Changes every master-data record shares: create, edit and (de)activate, each audited
with a field diff. Entity services validate; these save and record."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from mongoengine import Document

from sop.audit import field_changes, record_audit
from sop.clock import now
from sop.models import User


def set_active(actor: User, record: Document, active: bool, entity_type: str,
               label: str) -> Document:
    """(De)activate a customer, item, ...: records are never deleted, so history stays whole.
    Audited as `<entity>_deactivated` or `<entity>_updated` (reactivation)."""
    if record.active != active:
        record.active = active
        record.updated_at = now()
        record.save()
        record_audit(f"{entity_type}_updated" if active else f"{entity_type}_deactivated",
                     f"{label} {'reactivated' if active else 'deactivated'}.", actor=actor,
                     entity_type=entity_type, entity_id=record.pk,
                     changes=field_changes({"active": not active}, {"active": active}))
    return record


def save_new(actor: User, record: Document, entity_type: str, label: str,
             snapshot: Callable[[Document], dict[str, Any]]) -> Document:
    """Insert a validated new record; audited as `<entity>_created` with every field."""
    record.save()
    record_audit(f"{entity_type}_created", f"{label} created.", actor=actor,
                 entity_type=entity_type, entity_id=record.pk,
                 changes=field_changes({}, snapshot(record)))
    return record


def save_changes(actor: User, record: Document, before: dict[str, Any], entity_type: str,
                 label: str, snapshot: Callable[[Document], dict[str, Any]]) -> Document:
    """Save an edited record if anything differs from `before`; audited as
    `<entity>_updated` with the changed fields only."""
    record.clean()  # derived fields (lower-case keys) take part in the comparison
    changes = field_changes(before, snapshot(record))
    if changes:
        record.updated_at = now()
        record.save()
        record_audit(f"{entity_type}_updated", f"{label} updated ({', '.join(changes)}).",
                     actor=actor, entity_type=entity_type, entity_id=record.pk,
                     changes=changes)
    return record
