from mongoengine import DateTimeField, DictField, Document, ObjectIdField, StringField

from sop.clock import now

SEVERITIES = ("info", "warning", "error", "critical")


class AuditEntryFields(Document):
    """Who did what, when, from where, to which entity, with the field-level before/after."""

    at = DateTimeField(required=True, default=now)
    action = StringField(required=True)
    severity = StringField(required=True, choices=SEVERITIES, default="info")
    actor_id = ObjectIdField()
    actor_email = StringField()
    ip = StringField()
    user_agent = StringField()
    entity_type = StringField()
    entity_id = StringField()
    changes = DictField()  # {field: {"before": ..., "after": ...}}
    message = StringField(required=True)

    meta = {
        "abstract": True,
        "indexes": [
            "-at",
            ("action", "-at"),
            ("severity", "-at"),
            ("actor_id", "-at"),
            ("actor_email", "-at"),
            ("entity_type", "entity_id", "-at"),
        ],
        "ordering": ["-at"],
    }


class AuditEntry(AuditEntryFields):
    """Append-only: services insert entries; nothing updates or deletes them but the archive job."""

    COLLECTION = "audit_entries"
    meta = {"collection": COLLECTION}


class ArchivedAuditEntry(AuditEntryFields):
    """Entries older than `audit_retention_days`, moved here by the weekly archive job."""

    COLLECTION = "audit_archive"
    meta = {"collection": COLLECTION}
