"""MongoEngine documents, one module per aggregate."""

from sop.models.audit import ArchivedAuditEntry, AuditEntry
from sop.models.password_reset import PasswordResetToken
from sop.models.setting import Setting
from sop.models.user import ROLES, User

ALL_DOCUMENTS = (User, PasswordResetToken, Setting, AuditEntry, ArchivedAuditEntry)

__all__ = [
    "ALL_DOCUMENTS",
    "ROLES",
    "ArchivedAuditEntry",
    "AuditEntry",
    "PasswordResetToken",
    "Setting",
    "User",
]
