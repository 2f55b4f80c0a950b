"""Changes every master-data record shares: activation, audited with a field diff."""

from __future__ import annotations

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
