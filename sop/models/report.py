from __future__ import annotations

from mongoengine import (
    BooleanField,
    DateTimeField,
    DictField,
    Document,
    IntField,
    ObjectIdField,
    ReferenceField,
    StringField,
)

from sop.clock import now
from sop.models.user import User

REPORT_STATUSES = ("queued", "running", "done", "failed")


class Report(Document):
    """One requested report (sop.reports): built by a worker into GridFS (bucket "reports"), or
    served from the file of an identical earlier one whose data has not changed (`cached`; the
    file then belongs to several rows and goes when the last of them expires)."""

    kind = StringField(required=True)  # a key of sop.reports.registry.REPORT_TYPES
    filters = DictField()  # ReportFilters.as_dict() of the fields the type uses
    scope = StringField(required=True)  # the rep's id, or "all" for admins and managers
    cache_key = StringField(required=True)  # kind + filters + scope
    requested_by = ReferenceField(User, required=True)
    status = StringField(required=True, choices=REPORT_STATUSES, default="queued")
    cached = BooleanField(default=False)  # served from an earlier report's file
    job_id = StringField()
    stage = StringField()  # progress: what the builder is doing, how far, out of how many
    done = IntField()
    total = IntField()
    error = StringField()
    file_id = ObjectIdField()
    file_name = StringField()
    size = IntField()
    data_versions = DictField()  # collection -> "<epoch>:<counter>" read before building
    emails_sent = IntField(default=0)
    downloads = IntField(default=0)
    created_at = DateTimeField(default=now)
    started_at = DateTimeField()
    finished_at = DateTimeField()
    expires_at = DateTimeField()

    rep_scope = "requested_by"  # sop.security.scoped: a rep sees only their own reports

    COLLECTION = "reports"
    meta = {
        "collection": COLLECTION,
        "indexes": [
            ("cache_key", "status", "-finished_at"),
            ("requested_by", "-created_at"),
            "-created_at",
            "expires_at",
            "file_id",
        ],
        "ordering": ["-created_at"],
    }

    @property
    def finished(self) -> bool:
        return self.status in ("done", "failed")

    @property
    def available(self) -> bool:
        """Finished with a file that has not expired: downloadable and e-mailable."""
        return self.status == "done" and self.expires_at is not None \
            and self.expires_at > now()
