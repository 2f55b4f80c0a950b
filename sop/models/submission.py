from __future__ import annotations

from mongoengine import (
    DateTimeField,
    DictField,
    Document,
    EmbeddedDocument,
    EmbeddedDocumentListField,
    IntField,
    ReferenceField,
    StringField,
)

from sop.clock import now
from sop.models.cycle import Cycle
from sop.models.user import User

SUBMISSION_STATUSES = ("draft", "submitted", "approved", "rejected", "missed")
EDITABLE_STATUSES = frozenset({"draft", "rejected"})
SUBMISSION_METHODS = ("portal", "excel", "api")


class SubmissionEvent(EmbeddedDocument):
    """One step of the submission's timeline."""

    status = StringField(required=True, choices=SUBMISSION_STATUSES)
    at = DateTimeField(default=now)
    by = ReferenceField(User)
    comment = StringField(max_length=2000)


class Submission(Document):
    """A rep's plan for a cycle as a whole: draft → submitted → approved | rejected; a plan
    still not submitted when the cycle closes is `missed`. Submitted and approved plans are
    locked; a rejected one can be edited and submitted again."""

    cycle = ReferenceField(Cycle, required=True)
    rep = ReferenceField(User, required=True)
    status = StringField(required=True, choices=SUBMISSION_STATUSES, default="draft")
    submitted_at = DateTimeField()
    submitted_by = ReferenceField(User)
    method = StringField(choices=SUBMISSION_METHODS)
    reviewed_by = ReferenceField(User)
    reviewed_at = DateTimeField()
    review_comment = StringField(max_length=2000)
    line_count = IntField(default=0)
    totals = DictField()  # cases and $ over the mandatory months, frozen at submit
    history = EmbeddedDocumentListField(SubmissionEvent)
    created_at = DateTimeField(default=now)
    updated_at = DateTimeField(default=now)

    rep_scope = "rep"

    COLLECTION = "submissions"
    meta = {
        "collection": COLLECTION,
        "indexes": [
            {"fields": ["cycle", "rep"], "unique": True},
            ("cycle", "status"),
        ],
    }

    @property
    def is_editable(self) -> bool:
        return self.status in EDITABLE_STATUSES
