from __future__ import annotations

from mongoengine import (
    BooleanField,
    DateTimeField,
    DictField,
    Document,
    EmbeddedDocument,
    EmbeddedDocumentListField,
    IntField,
    ListField,
    ObjectIdField,
    ReferenceField,
    StringField,
)

from sop.clock import now
from sop.models.customer import Customer
from sop.models.cycle import Cycle
from sop.models.importlog import ImportProblem
from sop.models.user import User

WORKBOOK_UPLOAD_STATUSES = ("reading", "failed", "previewed", "applying", "applied",
                            "discarded")
SHEET_MATCHES = ("name", "alias", "mapped", "create", "unmatched")


class SheetMatch(EmbeddedDocument):
    """Which customer a customer sheet of the upload goes to, and how that was decided."""

    name = StringField(required=True)  # the sheet name as written in the file
    customer = ReferenceField(Customer)  # None while unmatched or to be created
    match = StringField(required=True, choices=SHEET_MATCHES, default="unmatched")
    lines = IntField(default=0)  # lines kept on the sheet


class WorkbookUpload(Document):
    """One uploaded rep workbook on its way from preview to confirm (DOMAIN.md §5.1).

    The file stays in GridFS (`file_id`) and what was read from it as BSON (`parsed_id`), so
    the confirm does not read the workbook again. The preview (`changes`, `counts`) is computed
    again from the database at confirm time: it shows what will change, never a stale diff."""

    cycle = ReferenceField(Cycle, required=True)
    rep = ReferenceField(User, required=True)
    uploaded_by = ReferenceField(User)  # None: the command line
    file_name = StringField(required=True, max_length=255)
    file_size = IntField()
    file_kind = StringField()  # xlsx, xlsb, xls or ods (sop.excel.safety.WorkbookFacts)
    file_id = ObjectIdField()
    parsed_id = ObjectIdField()
    plan_id = ObjectIdField()  # the writes of the preview (when it had no error)
    state_key = StringField()  # the database state the preview saw: confirm reuses the writes
    status = StringField(required=True, choices=WORKBOOK_UPLOAD_STATUSES, default="previewed")
    sheets_total = IntField()  # while reading in the worker: its progress
    sheets_read = IntField(default=0)
    job_id = StringField()
    sheets = EmbeddedDocumentListField(SheetMatch)
    problems = EmbeddedDocumentListField(ImportProblem)  # the first few hundred
    file_problems = EmbeddedDocumentListField(ImportProblem)  # what the reader reported
    create_items = BooleanField(default=False)  # unknown items created (command line)
    counts = DictField()  # sheets, lines, added, changed, removed, unchanged, errors, warnings
    changes = ListField(DictField())  # per customer: counts and cases/$ before → after
    error_message = StringField()
    created_at = DateTimeField(default=now)
    applied_at = DateTimeField()
    applied_by = ReferenceField(User)

    rep_scope = "rep"  # a rep sees the uploads of their own plan, whoever uploaded them

    COLLECTION = "workbook_uploads"
    meta = {
        "collection": COLLECTION,
        "indexes": [("rep", "cycle", "-created_at"), "-created_at"],
        "ordering": ["-created_at"],
    }
