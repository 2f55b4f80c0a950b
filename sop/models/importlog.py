from __future__ import annotations

from mongoengine import (
    DateTimeField,
    DictField,
    Document,
    EmbeddedDocument,
    EmbeddedDocumentListField,
    IntField,
    ObjectIdField,
    ReferenceField,
    StringField,
)

from sop.clock import now
from sop.models.user import User

IMPORT_KINDS = ("customers", "products", "prices", "sales", "budget")
IMPORT_STATUSES = ("uploaded", "validating", "validated", "rejected", "applying", "applied",
                   "failed")


class ImportProblem(EmbeddedDocument):
    sheet = StringField()
    row = IntField()
    column = StringField()
    value = StringField()
    message = StringField(required=True)
    severity = StringField(choices=("error", "warning", "note"), default="error")


class ImportLog(Document):
    """One uploaded file's way through preview and apply, with its progress and problems."""

    kind = StringField(required=True, choices=IMPORT_KINDS)
    file_name = StringField(required=True, max_length=255)
    file_size = IntField()
    file_id = ObjectIdField()  # the upload in GridFS; removed by the cleanup job
    plan_file_id = ObjectIdField()  # the validated writes (BSON chunks in GridFS) until applied
    uploaded_by = ReferenceField(User, required=True)
    status = StringField(required=True, choices=IMPORT_STATUSES, default="uploaded")
    phase = StringField()  # what the worker is doing now, for the progress bar
    rows_read = IntField(default=0)
    rows_validated = IntField(default=0)
    rows_written = IntField(default=0)
    rows_total = IntField()  # estimate from the sheet's dimension, when known
    counts = DictField()  # added, changed, unchanged, errors, warnings
    problems = EmbeddedDocumentListField(ImportProblem)  # the first MAX_STORED_PROBLEMS
    error_message = StringField()
    job_id = StringField()
    created_at = DateTimeField(default=now)
    validated_at = DateTimeField()
    applied_at = DateTimeField()
    applied_by = ReferenceField(User)

    rep_scope = None  # imports are an admin matter: never visible to reps

    COLLECTION = "import_logs"
    meta = {
        "collection": COLLECTION,
        "indexes": [("kind", "-created_at"), ("uploaded_by", "-created_at"), "-created_at"],
        "ordering": ["-created_at"],
    }

